"""Fixtures for the app's tests: a data home with one reviewed run, the owner's password, and
an AppTest factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.seed import Seeded, seed_run

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "ui" / "app.py"
OWNER_PASSWORD = "correct horse battery"


@pytest.fixture
def owner_password(sovereign_home, monkeypatch) -> str:
    from ui.auth import hash_password

    # Few iterations: the format and the check are the same, the test is just faster.
    monkeypatch.setenv("SOVEREIGN_OWNER__PASSWORD_HASH", hash_password(OWNER_PASSWORD, iterations=1000))
    monkeypatch.setenv("SOVEREIGN_OWNER__NAME", "ada")
    return OWNER_PASSWORD


@pytest.fixture
def seeded(sovereign_home) -> Seeded:
    return seed_run()


@pytest.fixture
def app(sovereign_home):
    """A fresh AppTest of ui/app.py (call `.run()` on it)."""
    from streamlit.testing.v1 import AppTest

    def make():
        return AppTest.from_file(str(APP), default_timeout=60)

    return make
