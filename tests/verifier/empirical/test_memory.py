"""The memory model reproduces the published parameter counts of the full-size models."""

from __future__ import annotations

import pytest

from expertflow_runtime.presets import from_name
from verifier.empirical.memory import memory_at_fraction, non_expert_params


@pytest.mark.parametrize("name, billions", [
    ("mixtral-8x7b", 46.7), ("qwen1.5-moe-a2.7b", 14.3), ("deepseek-moe-16b", 16.4),
    ("mixtral-8x22b", 141.0), ("olmoe-1b-7b", 6.9),
])
def test_total_parameters_match_the_model_cards(name, billions):
    p = from_name(name)
    total = non_expert_params(p) + p.expert_params * p.total_expert_slots
    assert total / 1e9 == pytest.approx(billions, rel=0.02)


def test_holding_fewer_experts_saves_memory_in_proportion():
    p = from_name("mixtral-8x7b")
    none, quarter, everything = (memory_at_fraction(p, f) for f in (0.0, 0.25, 1.0))
    assert everything["saving_pct"] == 0.0
    assert none["saving_pct"] > quarter["saving_pct"] > 70.0
    assert quarter["device_gb"] < everything["all_resident_gb"]
