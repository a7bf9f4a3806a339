"""Conformance campaigns: many candidates, each run in its own subprocess, one dashboard (docs/campaigns.md)."""
