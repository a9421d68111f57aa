"""Shared fixtures: a data home in a temporary directory, and where ../shared is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.shared import CORPUS, REPO, SHARED, need_shared_corpus  # noqa: F401

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def sovereign_home(tmp_path, monkeypatch) -> Path:
    """SOVEREIGN_HOME in a fresh temporary directory, for code that builds its own Settings."""
    home = tmp_path / "home"
    monkeypatch.setenv("SOVEREIGN_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("SOVEREIGN_") and key not in ("SOVEREIGN_HOME", "SOVEREIGN_TEST_POSTGRES_URL"):
            monkeypatch.delenv(key)
    return home
