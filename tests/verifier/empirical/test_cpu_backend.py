"""The cpu backend end to end: the small variant on an emulated A40 link, ExpertFlow against LRU,
five interleaved repeats, and the full-size model simulated beside it.

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
    from expertflow_runtime.predictor.training import fit_from_checkpoint
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
def test_a_throughput_claim_runs_five_interleaved_repeats_at_two_scales_and_the_inverse_claim_reuses_them(runtime_dir):
    (speed,) = extract_claims("ExpertFlow achieves 1.99× higher throughput than Cache-MoE on "
                              "Mixtral-8×7B with batch size 4.")
    result = check_claim(speed, backend="cpu", runtime_dir=runtime_dir, train_budget_s=BUDGET)
    assert result.verdict in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}
    scale, rows = result.measurements["scale"], result.measurements["rows"]
    assert scale["preset"] == "mixtral-tiny" and scale["link"] == "emulated:a40-pcie4"
    assert set(rows) == {"expertflow", "lru"} and result.rests_on == "small"
    assert all(len(runs) == 5 for runs in rows.values())  # five interleaved repeats per policy
    for row in rows["expertflow"] + rows["lru"]:
        assert 0 < row["peak_slots"] <= row["capacity"] == scale["budget"] * scale["moe_layers"]
    ratios = sorted(e["tokens_per_s"] / b["tokens_per_s"] for e, b in zip(rows["expertflow"], rows["lru"]))
    assert result.measured == pytest.approx(ratios[2], rel=1e-3)  # the median of paired ratios
    assert result.interval == pytest.approx([ratios[0], ratios[-1]], rel=1e-3)
    assert [s.name for s in result.scales] == ["small", "full"] and result.agree is not None
    assert result.scales[1].scale["preset"] == "mixtral-8x7b"
    assert any("small variant" in c for c in result.caveats)
    assert any(c.startswith("full size: simulated") for c in result.caveats)
    # ExpertFlow's scheduler needs two micro-batches a round; the baseline decodes the same pool
    assert all((r["groups"], r["batch"]) == (2, 4) for r in rows["lru"] + rows["expertflow"])
    assert rows["expertflow"][0]["scheduler_s_per_step"] > 0 == rows["lru"][0]["scheduler_s_per_step"]
    assert any("micro-batches of 4" in c for c in result.caveats)

    backend = make_backend("cpu", str(runtime_dir), BUDGET)  # the object check_claim used
    (slower,) = extract_claims("LRU is 1.5x faster than ExpertFlow on Mixtral-8×7B with batch size 4.")
    before = {k: len(v) for k, v in backend._memo.items()}
    assert before  # the throughput check's runs are remembered by this very backend
    again = check_claim(slower, backend="cpu", runtime_dir=runtime_dir, train_budget_s=BUDGET)
    assert {k: len(v) for k, v in backend._memo.items()} == before  # the same runs, not run again
    assert again.measurements["rows"]["lru"] == rows["lru"]
    assert again.measured == pytest.approx(1 / result.measured, rel=1e-3)  # the same pairs, inverted
    assert again.verdict in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}
