"""enrs-harness: conformance test harness for French regional digital health environments."""

__version__ = "0.2.0.dev0"
