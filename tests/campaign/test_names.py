"""Folder names of campaign candidates keep their meaning: accents transliterated, not dropped."""

from __future__ import annotations

from harness.campaign.config import slugify


def test_accents_are_transliterated_and_names_stay_unique() -> None:
    taken: set[str] = set()
    assert slugify("simulateur-défaillant", taken) == "simulateur-defaillant"
    assert slugify("Cœur Éditeur", taken) == "coeur-editeur"
    assert slugify("Straße 1", taken) == "strasse-1"
    assert slugify("simulateur défaillant", taken) == "simulateur-defaillant-2"  # same meaning, another folder
    assert slugify("日本語", taken) == "candidate"
