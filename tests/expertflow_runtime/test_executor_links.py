"""Executor invariants and the emulated link's timing, without a model."""

import time

import pytest
import torch

from expertflow_runtime.errors import UnknownNameError
from expertflow_runtime.execution.executor import Executor
from expertflow_runtime.execution.links import EmulatedLink, Link, parse_link
from expertflow_runtime.execution.store import ExpertLayout, ExpertStore
from expertflow_runtime.plan import ExpertKey, Op, OpKind, Plan, PlanError
from expertflow_runtime.presets import PROFILES

LAYOUT = ExpertLayout(hidden=16, intermediate=8, gated=True, dtype=torch.float32)


class FakeExperts(torch.nn.Module):
    def __init__(self, E, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.gate_up_proj = torch.nn.Parameter(torch.randn(E, 16, 16, generator=g))
        self.down_proj = torch.nn.Parameter(torch.randn(E, 16, 8, generator=g))


def make_executor(capacity=2, link=None):
    store = ExpertStore(LAYOUT, pin=False)
    for layer in range(2):
        store.add_layer(layer, FakeExperts(4, layer))
    return Executor(store, capacity, link or Link(), torch.device("cpu"), 2, 4)


def K(layer, e):
    return ExpertKey(layer, e)


def test_compute_sees_the_experts_own_weights():
    ex = make_executor()
    seen = {}
    plan = Plan((Op(OpKind.LOAD, K(1, 3)), Op(OpKind.COMPUTE, K(1, 3))), layer=1)
    res = ex.execute(plan, lambda k, w: seen.setdefault(k, [t.clone() for t in w]))
    first, second = seen[K(1, 3)]
    ref = FakeExperts(4, 1)
    assert torch.equal(first, ref.gate_up_proj[3]) and torch.equal(second, ref.down_proj[3])
    assert res.misses == [K(1, 3)] and res.hits == []
    assert res.bytes_moved == LAYOUT.nbytes


def test_second_use_is_a_hit_and_eviction_frees_the_slot():
    ex = make_executor(capacity=1)
    ex.execute(Plan((Op(OpKind.LOAD, K(0, 0)),)))
    res = ex.execute(Plan((Op(OpKind.COMPUTE, K(0, 0)),), layer=0), lambda k, w: None)
    assert res.hits == [K(0, 0)]
    ex.execute(Plan((Op(OpKind.EVICT, K(0, 0)), Op(OpKind.LOAD, K(0, 1)))))
    assert ex.view().resident == frozenset({K(0, 1)})
    assert ex.peak_slots == 1


@pytest.mark.parametrize("plan, message", [
    (Plan((Op(OpKind.LOAD, K(0, 0)), Op(OpKind.LOAD, K(0, 1)), Op(OpKind.LOAD, K(0, 2)))),
     "no free slot"),
    (Plan((Op(OpKind.COMPUTE, K(0, 0)),), layer=0), "not resident"),
    (Plan((Op(OpKind.EVICT, K(1, 1)),)), "holds no slot"),
])
def test_broken_plans_are_refused(plan, message):
    with pytest.raises(PlanError, match=message):
        make_executor(capacity=2).execute(plan, lambda k, w: None)


def test_emulated_link_takes_the_modelled_time_and_misses_jump_the_queue():
    per_copy = 0.04
    link = EmulatedLink(PROFILES["a40-pcie4"], per_copy / LAYOUT.nbytes)
    ex = make_executor(capacity=4, link=link)
    t0 = time.perf_counter()
    ex.execute(Plan((Op(OpKind.PREFETCH, K(0, 0)), Op(OpKind.PREFETCH, K(0, 1)),
                     Op(OpKind.PREFETCH, K(0, 2)))))
    assert time.perf_counter() - t0 < per_copy  # prefetches do not block
    t1 = time.perf_counter()
    res = ex.execute(Plan((Op(OpKind.LOAD, K(1, 0)), Op(OpKind.COMPUTE, K(1, 0)))),
                     compute=lambda key, weights: None)
    # the load is issued without blocking; the compute that reads it waits for its own copy and
    # at most the one in progress, not for all three queued prefetches (4 copies)
    assert 0.9 * per_copy <= res.stall_s < 3.0 * per_copy
    assert res.stall_s <= time.perf_counter() - t1
    assert res.misses == [K(1, 0)] and res.late_prefetch_waits == 0  # a miss, not a late hit
    assert ex.drain() > 0
    ex.close()


def test_link_names_are_checked():
    assert parse_link("emulated:h100-pcie5").profile.name == "h100-pcie5"
    with pytest.raises(UnknownNameError, match="emulated:a40-pcie4"):
        parse_link("pcie9")


def test_emulation_keeps_the_profiles_transfer_to_compute_ratio():
    from expertflow_runtime.execution.emulation import transfer_compute_ratio
    from expertflow_runtime.presets import from_name

    a40, h100 = PROFILES["a40-pcie4"], PROFILES["h100-pcie5"]
    # decode is memory-bound: one copy costs HBM / link bandwidth expert reads, any model size
    for name in ("mixtral-tiny", "mixtral-8x7b"):
        assert transfer_compute_ratio(from_name(name), a40, 4) == pytest.approx(696 / 25)
    assert transfer_compute_ratio(from_name("mixtral-8x7b"), h100, 4) == pytest.approx(3350 / 50)


def test_a_compute_that_waits_on_its_prefetch_is_a_late_hit():
    per_copy = 0.03
    ex = make_executor(capacity=2, link=EmulatedLink(PROFILES["a40-pcie4"], per_copy / LAYOUT.nbytes))
    ex.execute(Plan((Op(OpKind.PREFETCH, K(0, 0)),)))
    time.sleep(2 * per_copy)  # landed before it is needed
    ex.execute(Plan((Op(OpKind.PREFETCH, K(0, 1)),)))
    res = ex.execute(Plan((Op(OpKind.COMPUTE, K(0, 0)), Op(OpKind.COMPUTE, K(0, 1))), layer=0),
                     lambda k, w: None)
    assert res.hits == [K(0, 0), K(0, 1)] and res.misses == []
    assert res.late_prefetch_waits == 1 and res.stall_s > 0.5 * per_copy
    ex.close()
