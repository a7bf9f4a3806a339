"""Artefact validators, one module each (see harness.validation.dispatch for the contract)."""
