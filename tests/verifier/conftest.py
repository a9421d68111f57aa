"""Shared fixtures: the real MiniLM checker is loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def checker():
    from verifier.settings import VerifierSettings
    return VerifierSettings(embedder_threads=2).make_checker()
