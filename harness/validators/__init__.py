"""Artefact validators, one module each (see harness.validation for the contract)."""
