"""MSSanté e-mails (RFC 5322/MIME) judged with the `mssante-exchange` pack; see docs/mssante.md.

`judge_email(data, path, context)` is the public entry point (CONTRACTS.md, "xdm → smtp").
"""

from harness.mssante.rules import judge_email

__all__ = ["judge_email"]
