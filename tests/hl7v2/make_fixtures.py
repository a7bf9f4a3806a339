"""Write the HL7 v2 fixtures from the builders: `python tests/hl7v2/make_fixtures.py` (from the repo root)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).parent)]
from harness.hl7v2.ack import expected_ack

import builders as b

ROOT = Path(__file__).resolve().parents[2] / "fixtures"


def conforming() -> dict[str, str]:
    files = {f"adt-{t.lower()}.hl7": b.adt(t) for t in b.STRUCTURES}
    files["oru-r01.hl7"] = b.document_message("ORU")
    for trigger, operation in (("T02", ("NW", "F")), ("T04", ("CA", "D")), ("T10", ("RO", "C"))):
        files[f"mdm-{trigger.lower()}.hl7"] = b.document_message("MDM", trigger, operation)
    for trigger, operation in (("T02", ("NW", "F")), ("T04", ("CA", "D")), ("T10", ("RO", "C"))):
        files[f"lps-mdm-{trigger.lower()}.hl7"] = b.lps_message(trigger, operation)
    for trigger in ("Z01", "Z02", "Z03"):
        files[f"zam-{trigger.lower()}.hl7"] = b.zam(trigger)
    for name, sent in (("ack-a01.hl7", files["adt-a01.hl7"]), ("ack-r01.hl7", files["oru-r01.hl7"]), ("ack-t10.hl7", files["mdm-t10.hl7"]),
                       ("lps-ack-t02.hl7", files["lps-mdm-t02.hl7"])):
        files[name] = expected_ack(sent.encode(), None, control_id="ACK0001", timestamp="20250110093001").decode()
    return files


def nonconforming() -> dict[str, str]:
    return {
        "adt-a01-ins-without-qualified-identity.hl7": b.set_field(b.adt("A01"), "PID", 32, "PROV"),
        "adt-a11-zbe-insert.hl7": b.set_field(b.set_field(b.adt("A11"), "ZBE", 4, "INSERT"), "ZBE", 6, ""),
        "mdm-t02-inconsistent-orc.hl7": b.set_field(b.document_message("MDM", "T02"), "ORC", 1, "CA"),
        "ack-r01-ae-without-err.hl7": expected_ack(b.document_message("ORU").encode(), None, control_id="ACK0002",
                                                   timestamp="20250110093001").decode().replace("MSA|AA", "MSA|AE"),
        "lps-mdm-t02-without-mail.hl7": b.drop_segment(b.lps_message(), "OBX", 2),
        "oru-r01-bad-padding.hl7": b.set_field(b.document_message("ORU"), "OBX", 5, "^TEXT^XML^Base64^PENsaW5pY2Fs="),
    }


def main() -> None:
    for folder, files in (("conforming", conforming()), ("nonconforming", nonconforming())):
        target = ROOT / folder / "hl7v2"
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (target / name).write_bytes(text.encode("utf-8"))


if __name__ == "__main__":
    main()
