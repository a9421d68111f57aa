"""Where ../shared is, for tests that read its corpus or data (they skip when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
DATA = SHARED / "data"


def need_shared_corpus() -> Path:
    if not (CORPUS / "moe-inference.jsonl").is_file():
        pytest.skip(f"../shared/corpus is absent ({CORPUS}); it holds the arXiv records these tests read")
    return CORPUS
