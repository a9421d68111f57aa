"""Baseline policies on their own: pure plans that respect the per-layer budget."""

import inspect

import pytest

from expertflow_runtime.errors import BadInput, UnknownNameError
from expertflow_runtime.plan import (
    CacheSpec,
    CacheView,
    ExecResult,
    ExpertKey,
    LayerRouting,
    OpKind,
    Plan,
)
from expertflow_runtime.policies import BASELINES, make_policy, plan_waves, policy_factory, policy_names

L, E = 2, 8


def view(resident=(), capacity=4):
    return CacheView(capacity, L, E, frozenset(ExpertKey(*k) for k in resident), frozenset())


def simulate(plan: Plan, resident: set, capacity_per_layer: int) -> set:
    """Apply a plan to a resident set, asserting the per-layer budget after every op."""
    for op in plan.ops:
        if op.kind is OpKind.EVICT:
            resident.remove(op.key)
        elif op.kind in (OpKind.LOAD, OpKind.PREFETCH):
            resident.add(op.key)
        else:
            assert op.key in resident, f"compute of non-resident {op.key}"
        for layer in range(L):
            assert sum(k.layer == layer for k in resident) <= capacity_per_layer
    return resident


def test_registry_lists_baselines_and_rejects_unknown_names():
    assert set(BASELINES) <= set(policy_names())
    with pytest.raises(UnknownNameError, match="valid: .*lru"):
        make_policy("no-such-policy")
    with pytest.raises(UnknownNameError, match="valid: .*lru"):
        policy_factory("no-such-policy")
    assert "popularity" in inspect.signature(policy_factory("static")).parameters


def test_waves_stream_a_large_union_through_a_small_budget():
    plan = plan_waves(0, [0, 1, 2, 3, 4, 5], view(resident=[(0, 3)]), capacity=2,
                      victim_order=sorted)
    assert sorted(plan.computes) == [ExpertKey(0, e) for e in range(6)]
    assert plan.computes[0] == ExpertKey(0, 3)  # the hit runs first
    left = simulate(plan, {ExpertKey(0, 3)}, 2)
    assert len(left) == 2


def test_lru_evicts_least_recently_used_idle_expert():
    pol = make_policy("lru")
    pol.attach(CacheSpec(L, E, 2, 4))
    v = view(resident=[(0, 1), (0, 2)])
    for e in (1, 2, 1):  # expert 2 is now the least recently used
        plan = pol.on_layer(0, LayerRouting(0, ((e,),)), v)
        pol.update(plan, ExecResult())
    plan = pol.on_layer(0, LayerRouting(0, ((5,),)), v)
    assert plan.evicts == [ExpertKey(0, 2)]
    assert plan.loads == [ExpertKey(0, 5)]


def test_on_demand_keeps_nothing_after_the_layer():
    pol = make_policy("on-demand")
    pol.attach(CacheSpec(L, E, 2, 4))
    plan = pol.on_layer(1, LayerRouting(1, ((0, 3), (3, 6))), view())
    assert simulate(plan, set(), 2) == set()


def test_static_pins_popular_experts_and_streams_misses_through_one_slot():
    pop = [[0, 0, 0, 0, 0, 7, 9, 8], [5, 4, 6, 0, 0, 0, 0, 0]]
    pol = make_policy("static", popularity=pop)
    pol.attach(CacheSpec(L, E, 1, 6))
    v = view(capacity=6)  # 3 slots per layer: 2 pinned + 1 streaming
    warm = pol.warm_start(v)
    assert set(warm.prefetches) == {ExpertKey(0, 6), ExpertKey(0, 7), ExpertKey(1, 2),
                                    ExpertKey(1, 0)}
    resident = set(warm.prefetches)
    plan = pol.on_layer(0, LayerRouting(0, ((6,), (1,), (2,), (3,))),
                        view(resident=resident, capacity=6))
    left = simulate(plan, set(resident), 3)
    assert resident <= left  # the static set survives a wave of misses
    assert len(plan.loads) == 3


def test_static_with_one_slot_lends_and_restores_the_pinned_expert():
    pol = make_policy("static", popularity=[[0, 0, 0, 0, 0, 0, 9, 8], [5, 4, 0, 0, 0, 0, 0, 0]])
    pol.attach(CacheSpec(L, E, 1, 2))
    resident = set(pol.warm_start(view(capacity=2)).prefetches)
    assert resident == {ExpertKey(0, 6), ExpertKey(1, 0)}
    plan = pol.on_layer(0, LayerRouting(0, ((2,),)), view(resident=resident, capacity=2))
    assert simulate(plan, set(resident), 1) == resident


def test_static_without_profile_is_bad_input():
    with pytest.raises(BadInput, match="profile"):
        make_policy("static")


def test_pregated_prefetches_the_previewed_experts_of_the_next_layer():
    pol = make_policy("pregated")
    pol.attach(CacheSpec(L, E, 2, 4))
    plan = pol.on_gate_preview(1, LayerRouting(1, ((4, 5), (4, 6))), view())
    assert plan.prefetches[0] == ExpertKey(1, 4)  # most demanded first
    assert len(plan.prefetches) == 2  # within the layer's two slots


def test_se_moe_refills_the_next_layer_from_the_last_step():
    pol = make_policy("se-moe")
    pol.attach(CacheSpec(L, E, 1, 4))
    pol.on_layer(1, LayerRouting(1, ((6,), (6,), (7,))), view())  # history for layer 1
    plan = pol.on_layer(0, LayerRouting(0, ((0,),)), view())
    assert ExpertKey(1, 6) in plan.prefetches
