"""Talking to a candidate's endpoints: TLS/HTTP/MLLP probes, MLLP framing, per-exchange deadlines."""
