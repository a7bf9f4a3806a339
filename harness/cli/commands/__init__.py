"""Sub-commands of `enrs-harness`, one module each (see harness.cli)."""
