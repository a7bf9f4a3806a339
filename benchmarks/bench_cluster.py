"""`validate` on one machine against `validate --cluster` (Dask). Run by hand (needs the [cluster] extra):

    PYTHONPATH=. python benchmarks/bench_cluster.py [--count 2000] [--repeat 2] [--kill-check]

Builds a corpus of --count documents (copies of the bundled fixtures: conforming, nonconforming and
unreadable ones) in a temporary folder, then times the whole command, as a user runs it (start-up,
JSON output included), for: --jobs 1, --jobs 2, --cluster local:1, --cluster local:2 (an in-process
LocalCluster) and --cluster tcp://… (a `dask scheduler` and two `dask worker` processes on loopback).
Every JSON output must be byte for byte the one of --jobs 1. The CPU seconds of every process (the
command, a LocalCluster's workers, the scheduler and its workers) are measured beside the wall time.
The cluster's overhead per document: the difference in CPU time with --jobs 1, divided by the number
of documents, and the same difference (wall and CPU) on as many files that cost nothing to judge
(unrecognised); the fixed start-up of a LocalCluster is measured apart on one folder.
Each configuration runs --repeat times, interleaved, and the best time counts (the load moves a lot).

--kill-check also runs the corpus through the two-worker scheduler, SIGKILLs one worker (and its nanny)
a few seconds in, and checks that the JSON is still the one of --jobs 1. The load average is printed
beside the numbers: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_corpus(folder: Path, count: int) -> int:
    sources = sorted(p for p in (REPO / "fixtures").rglob("*") if p.is_file() and p.name != "README.md")
    for index in range(count):
        source = sources[index % len(sources)]
        target = folder / f"batch{index // len(sources):04d}" / source.relative_to(REPO / "fixtures")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return count


CPU: list[float] = [0.0]  # CPU seconds (user + system) of the last harness() call, its worker processes included


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def harness(args: list[str], cwd: Path, cluster: Cluster | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall seconds and the run; CPU[0] gets its CPU seconds (a LocalCluster's workers are its children; a
    scheduler's and its workers' CPU is counted when `cluster` is given): on a loaded machine the wall time
    moves with the load and with how many processes share the cores, the CPU time much less."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    before = _children_cpu() + (cluster.cpu() if cluster else 0.0)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    CPU[0] = _children_cpu() + (cluster.cpu() if cluster else 0.0) - before
    return wall, run


class Cluster:
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1, each in its own process group."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.processes = folder, []
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        scheduler_file = folder / "scheduler.json"
        self.processes.append(self._spawn(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                                           str(scheduler_file)], env))
        while not scheduler_file.exists():
            time.sleep(0.2)
        time.sleep(0.2)
        self.address = json.loads(scheduler_file.read_text())["address"]
        for name in ("w0", "w1"):
            self.processes.append(self._spawn(["worker", self.address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--name",
                                               name], env))
        from distributed import Client

        with Client(self.address) as client:
            client.wait_for_workers(2, timeout=120)

    def _spawn(self, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=self.folder, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def cpu(self) -> float:
        """CPU seconds used so far by the scheduler, the nannies and the workers."""
        import psutil

        total = 0.0
        for process in self.processes:
            try:
                for member in [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]:
                    times = member.cpu_times()
                    total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def close(self) -> None:
        for process in self.processes:
            self.kill(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration; the best counts")
    parser.add_argument("--kill-check", action="store_true", help="also kill a worker mid-run and compare the JSON")
    parser.add_argument("--kill-after", type=float, default=5.0, help="seconds into the run before the kill")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="enrs-bench-cluster-") as scratch:
        base = Path(scratch)
        count = build_corpus(base / "docs", options.count)
        _, one = harness(["validate", "docs/batch0000/conforming/cda", "--format", "json"], base)
        startup_local, _ = harness(["validate", "docs/batch0000/conforming/cda", "--format", "json"], base)
        startup_cluster, _ = harness(["validate", "docs/batch0000/conforming/cda", "--format", "json", "--cluster", "local:1"], base)
        cluster = Cluster(base)
        try:
            configurations = (("validate --jobs 1", ["--jobs", "1"]), ("validate --jobs 2", ["--jobs", "2"]),
                              ("--cluster local:1", ["--cluster", "local:1"]), ("--cluster local:2", ["--cluster", "local:2"]),
                              ("--cluster tcp:// (2 dask workers)", ["--cluster", cluster.address]))
            best: dict[str, tuple[float, float, float]] = {}
            reference = None
            for _ in range(options.repeat):
                for label, extra in configurations:
                    seconds, run = harness(["validate", "docs", "--format", "json", *extra], base, cluster if "tcp" in label else None)
                    reference = reference or run.stdout
                    if run.stdout != reference:
                        label += "  ** JSON DIFFERS **"
                    load = os.getloadavg()[0]
                    if label not in best or seconds < best[label][0]:
                        best[label] = (seconds, load, CPU[0])
                    print(f"{label:<36} {seconds:8.1f} s {count / seconds:8.1f} docs/s  CPU {CPU[0]:6.1f} s   load {load:.1f}", flush=True)
            rows = [(label, seconds, load, cpu) for label, (seconds, load, cpu) in best.items()]
            print(f"\n{count} documents, {os.cpu_count()} CPUs\n")
            print("| configuration | seconds | documents/s | CPU s (all processes) | CPU ms/document | load (1 min) |\n"
                  "|---|---:|---:|---:|---:|---:|")
            for label, seconds, load, cpu in rows:
                print(f"| {label} | {seconds:.1f} | {count / seconds:.1f} | {cpu:.1f} | {cpu / count * 1000:.2f} | {load:.1f} |")
            print(f"\ncluster CPU overhead per document: local:1 {(rows[2][3] - rows[0][3]) / count * 1000:.2f} ms, "
                  f"tcp:// {(rows[4][3] - rows[0][3]) / count * 1000:.2f} ms (start-up included)")
            fixed = startup_cluster - startup_local
            print(f"\ncluster start-up (one folder of {len(json.loads(one.stdout)['files'])} documents, local:1 vs local): {fixed:.1f} s")
            # the path's own cost: documents that take no time to judge (unrecognised: ABORTED at once)
            for index in range(count):
                (base / "tiny" / f"{index // 1000:03d}").mkdir(parents=True, exist_ok=True)
                (base / "tiny" / f"{index // 1000:03d}" / f"{index}.txt").write_bytes(b"not a document\n")
            tiny: dict[str, tuple[float, float]] = {}
            for label, extra in (("--jobs 1", []), ("local:1", ["--cluster", "local:1"]), ("tcp", ["--cluster", cluster.address])):
                wall = harness(["validate", "tiny", "--format", "json", *extra], base, cluster if label == "tcp" else None)[0]
                tiny[label] = (wall, CPU[0])
            print(f"\n{count} unrecognised files (no judging cost), wall / CPU seconds: "
                  + ", ".join(f"{label} {wall:.1f} / {cpu:.1f}" for label, (wall, cpu) in tiny.items())
                  + "; cluster path cost per document, start-up included (wall / CPU): "
                  + ", ".join(f"{label} {(tiny[label][0] - tiny['--jobs 1'][0]) / count * 1000:.2f} / "
                              f"{(tiny[label][1] - tiny['--jobs 1'][1]) / count * 1000:.2f} ms"
                              for label in ("local:1", "tcp"))
                  + f"   load {os.getloadavg()[0]:.1f}", flush=True)
            if options.kill_check:
                env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
                started = time.perf_counter()
                run = subprocess.Popen([sys.executable, "-m", "harness", "validate", "docs", "--format", "json", "--cluster",
                                        cluster.address],
                                       cwd=base, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                time.sleep(options.kill_after)
                alive_at_kill = run.poll() is None
                cluster.kill(cluster.processes[1])
                out, err = run.communicate()
                print(f"\nkill check: worker w0 SIGKILLed {options.kill_after:g} s in (run still going: {alive_at_kill}); "
                      f"exit {run.returncode}, {time.perf_counter() - started:.1f} s, JSON identical to --jobs 1: {out == reference}, "
                      f"files {len(json.loads(out)['files']) if out else 0}/{count}")
                if err.strip():
                    print("stderr:", err.strip()[-500:])
        finally:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
