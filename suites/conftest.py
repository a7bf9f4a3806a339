"""Shared fixtures of the bundled conformance suites."""
