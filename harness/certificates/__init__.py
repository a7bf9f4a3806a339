"""Certificates of a run: what they may claim, the HTML page, its signature, and offline verification."""
