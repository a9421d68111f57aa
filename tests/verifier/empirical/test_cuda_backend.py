"""The cuda backend: refuses clearly without a GPU; on a GPU, full-size layers with real copies."""

from __future__ import annotations

import pytest
import torch

from verifier.empirical import BackendUnavailable, check_claim, make_backend
from verifier.extract import extract_claims


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
def test_without_cuda_the_backend_says_what_to_use_instead(tmp_path):
    with pytest.raises(BackendUnavailable) as err:
        make_backend("cuda", str(tmp_path), 60.0)
    assert "--backend cpu" in str(err.value) and "--cluster ray" in str(err.value)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_full_size_mixtral_layers_on_the_gpu_give_a_verdict(tmp_path):
    (claim,) = extract_claims("ExpertFlow achieves 1.99× higher throughput than Cache-MoE on "
                              "Mixtral-8×7B with batch size 4.")
    result = check_claim(claim, backend="cuda", runtime_dir=tmp_path)
    assert result.verdict in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}
    rows = result.measurements["rows"]
    assert all(r["peak_device_bytes"] > 0 for r in rows["expertflow"]) and result.rests_on == "small"
    assert all(r["peak_slots"] <= r["capacity"] for runs in rows.values() for r in runs)
    assert [s.name for s in result.scales] == ["small", "full"] and result.repeats == 5
