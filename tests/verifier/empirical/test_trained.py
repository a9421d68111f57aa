"""Training the cpu backend's small models: several missing presets side by side, once per home."""

from __future__ import annotations

import json

import pytest

from verifier.empirical.trained import ensure_all, missing


@pytest.mark.slow
def test_two_missing_presets_train_in_parallel_processes_and_are_then_reused(tmp_path):
    said: list[str] = []
    trained = ensure_all(["mixtral-tiny", "qwen-moe-tiny", "mixtral-tiny"], tmp_path, budget_s=2.0,
                         progress=said.append)
    assert [t.preset for t in trained] == ["mixtral-tiny", "qwen-moe-tiny"]
    assert missing(["mixtral-tiny", "qwen-moe-tiny"], tmp_path) == []
    for t in trained:
        report = json.loads((t.path / "runtime.json").read_text())
        assert report["steps"] > 0 and t.predictor and t.train_trace.is_file()
    assert len(said) == 1 and "mixtral-tiny, qwen-moe-tiny" in said[0]

    stamps = {t.preset: (t.path / "runtime.json").stat().st_mtime_ns for t in trained}
    said.clear()
    again = ensure_all(["qwen-moe-tiny", "mixtral-tiny"], tmp_path, budget_s=2.0, progress=said.append)
    assert said == []  # nothing to train
    assert {t.preset: (t.path / "runtime.json").stat().st_mtime_ns for t in again} == stamps


def test_an_unknown_preset_is_named_before_anything_trains(tmp_path):
    from expertflow_runtime.errors import BadInput

    with pytest.raises(BadInput, match="mixtral-huge"):
        ensure_all(["mixtral-huge"], tmp_path, budget_s=1.0)
    assert list(tmp_path.iterdir()) == []
