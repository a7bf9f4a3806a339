"""Validation of artefacts given as files: kind detection, the folder walk policy, findings, and the validators."""
