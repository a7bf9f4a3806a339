"""The base layer: errors, bilingual labels, verdicts, safe reading of untrusted files (bounded, no DTD, RE2),
bundled resources. Imports nothing else of harness."""
