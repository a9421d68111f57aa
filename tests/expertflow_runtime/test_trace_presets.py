"""Trace file format and presets."""

import numpy as np
import pytest

from expertflow_runtime.errors import UnknownNameError
from expertflow_runtime.presets import PROFILES, from_name, profile_from_name
from expertflow_runtime.trace import DECODE, PREFILL, RoutingTrace, TraceRecorder


def test_trace_round_trips_through_one_file(tmp_path):
    rec = TraceRecorder("mixtral-tiny", num_layers=2, num_experts=8, top_k=2)
    rec.add(0, 65, np.array([[1, 2], [3, 4]]), None, PREFILL, 0)
    rec.add(0, 66, np.array([[1, 5], [3, 7]]), None, DECODE, 1)
    rec.add(1, 67, np.array([[0, 2], [6, 4]]), None, PREFILL, 0)
    trace = rec.finish(note="x")
    path = trace.save(tmp_path / "t.npz")
    back = RoutingTrace.load(path)
    assert back.num_sequences == 2
    toks, ex = back.sequence(0)
    assert toks.tolist() == [65, 66] and ex.shape == (2, 2, 2)
    assert back.phase.tolist() == [PREFILL, DECODE, PREFILL]
    assert back.extra == {"note": "x"}
    pop = back.popularity()
    assert pop.shape == (2, 8) and np.allclose(pop.sum(axis=1), 1.0)
    assert pop[0, 1] == pytest.approx(2 / 6)


def test_trace_rejects_out_of_range_experts():
    with pytest.raises(ValueError, match="expert ids"):
        RoutingTrace("p", 1, 4, 1, tokens=np.zeros(1, np.int32),
                     experts=np.full((1, 1, 1), 4, np.int16), offsets=np.array([0, 1]),
                     phase=np.zeros(1, np.uint8), step=np.zeros(1, np.int32))


def test_presets_carry_the_published_shapes():
    mixtral = from_name("mixtral-8x7b")
    assert mixtral.expert_bytes == 3 * 4096 * 14336 * 2  # 352 MB in bf16 (DESIGN.md)
    assert from_name("switch-base-128").moe_layers == 12
    assert from_name("deepseek-moe-16b").moe_layers == 27
    assert from_name("qwen1.5-moe-a2.7b").top_k == 4
    assert from_name("mixtral-tiny").tiny


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(UnknownNameError, match="mixtral-tiny"):
        from_name("mixtral-9x9b")
    with pytest.raises(UnknownNameError, match="a40-pcie4"):
        profile_from_name("tpu")


def test_a40_miss_costs_about_one_decode_step():
    a40, mixtral = PROFILES["a40-pcie4"], from_name("mixtral-8x7b")
    copy = a40.transfer_s(mixtral.expert_bytes)
    assert 0.012 < copy < 0.016  # ~14 ms over PCIe 4.0 (DESIGN.md)
    assert a40.expert_compute_s(mixtral.expert_params, 4) < copy / 20
