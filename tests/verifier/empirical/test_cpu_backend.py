"""The cpu backend end to end: the small variant on an emulated A40 link, ExpertFlow against LRU.

The "trained" model is assembled quickly from the runtime's own pieces (random weights, a short
trace, a predictor fitted for two seconds) so the test stays under a minute; the backend takes it
as it would take one `ensure_trained` left under the runtime directory.
"""

from __future__ import annotations

import json

import pytest

from verifier.empirical import check_claim
from verifier.empirical.backends import make_backend
from verifier.extract import extract_claims


BUDGET = 40.0  # training budget; unused here (the model is assembled by the fixture)


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory):
    from expertflow_runtime.adapters import load_model
    from expertflow_runtime.predictor_training import fit_from_checkpoint
    from expertflow_runtime.presets import from_name
    from expertflow_runtime.training import record_traces

    root = tmp_path_factory.mktemp("runtime")
    ckpt = root / "mixtral-tiny"
    preset = from_name("mixtral-tiny")
    load_model(preset).save_pretrained(ckpt)
    record_traces(preset, ckpt, sequences=4, prompt_len=32, new_tokens=4)
    (ckpt / "runtime.json").write_text(json.dumps({"preset": preset.name, "steps": 0, "seconds": 0.0}))
    fit_from_checkpoint("mixtral-tiny", ckpt, traces=[ckpt / "traces" / "train.npz",
                                                      ckpt / "traces" / "heldout.npz"], seconds=2)
    return root


@pytest.mark.slow
def test_a_throughput_claim_runs_both_policies_on_the_small_model_and_the_memory_claim_reuses_it(runtime_dir):
    (speed,) = extract_claims("ExpertFlow achieves 1.99× higher throughput than Cache-MoE on "
                              "Mixtral-8×7B with batch size 4.")
    result = check_claim(speed, backend="cpu", runtime_dir=runtime_dir, train_budget_s=BUDGET)
    assert result.verdict in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}
    scale, rows = result.measurements["scale"], result.measurements["rows"]
    assert scale["preset"] == "mixtral-tiny" and scale["link"] == "emulated:a40-pcie4"
    assert set(rows) == {"expertflow", "lru"}
    assert all(len(r["tokens_per_s_runs"]) == 2 for r in rows.values())
    for row in rows.values():
        assert 0 < row["peak_slots"] <= row["capacity"] == scale["budget"] * scale["moe_layers"]
    ratio = rows["expertflow"]["tokens_per_s"] / rows["lru"]["tokens_per_s"]
    assert result.measured == pytest.approx(ratio, rel=1e-3)
    assert any("small variant" in c for c in result.caveats)
    # ExpertFlow's scheduler needs two micro-batches a round; the baseline decodes the same pool
    assert all((r["groups"], r["batch"]) == (2, 4) for r in rows.values())
    assert rows["expertflow"]["scheduler_s_per_step"] > 0 == rows["lru"]["scheduler_s_per_step"]
    assert any("micro-batches of 4" in c for c in result.caveats)

    backend = make_backend("cpu", str(runtime_dir), BUDGET)  # the object check_claim used
    (memory,) = extract_claims("ExpertFlow reduces GPU memory of Mixtral-8x7B by 93.72% with batch size 4.")
    before = dict(backend._memo)
    assert before  # the throughput check's runs are remembered by this very backend
    again = check_claim(memory, backend="cpu", runtime_dir=runtime_dir, train_budget_s=BUDGET)
    assert backend._memo == before  # the same experiment: measured once, not run again
    assert again.measurements["rows"]["expertflow"] == rows["expertflow"]
    assert again.claimed.quantity == "memory_saving" and again.verdict != "NOT_TESTABLE"
