"""One executor for every policy, and the reference caches (lru-global, lfu, lfru, belady)."""

from __future__ import annotations

import pytest

from expertflow_runtime.plan import CacheSpec, CacheView, ExecResult, ExpertKey, LayerRouting, OpKind
from expertflow_runtime.policies import REFERENCES, make_policy, plan_waves, policy_names
from expertflow_runtime.presets import from_name, profile_from_name
from expertflow_runtime.simulator.core import simulate
from expertflow_runtime.simulator.cost import CostModel
from expertflow_runtime.simulator.workload import synthetic_trace

K = ExpertKey


def _view(resident=(), capacity=4, layers=2, in_flight=()):
    return CacheView(capacity, layers, 8, frozenset(K(*k) for k in resident),
                     frozenset(K(*k) for k in in_flight))


def test_misses_with_a_free_slot_are_all_loaded_before_anything_computes():
    plan = plan_waves(0, [0, 1, 2], _view(resident=[(0, 2)], capacity=8), capacity=4,
                      victim_order=sorted)
    kinds = [op.kind for op in plan.ops]
    assert kinds[:2] == [OpKind.LOAD, OpKind.LOAD]  # both copies issued up front
    assert plan.computes[0] == K(0, 2)  # the landed hit computes while they travel


def test_a_miss_without_a_slot_is_issued_right_after_the_first_compute_frees_one():
    plan = plan_waves(0, [0, 1, 2, 3], _view(capacity=4), capacity=2, victim_order=sorted)
    ops = [(op.kind.value, op.key.expert) for op in plan.ops]
    assert ops[:3] == [("load", 0), ("load", 1), ("compute", 0)]
    assert ops[3:5] == [("evict", 0), ("load", 2)]  # not after the second compute
    assert sorted(plan.computes) == [K(0, e) for e in range(4)]


def test_landed_hits_compute_before_hits_still_in_flight():
    plan = plan_waves(0, [3, 5], _view(resident=[(0, 5)], in_flight=[(0, 3)]), capacity=2,
                      victim_order=sorted)
    assert plan.computes == [K(0, 5), K(0, 3)]


def test_references_are_registered():
    assert set(REFERENCES) <= set(policy_names())


def test_global_lru_gives_a_busy_layer_the_slots_an_idle_layer_holds():
    pol = make_policy("lru-global")
    pol.attach(CacheSpec(2, 8, 2, 4))
    v = _view(resident=[(0, 0), (0, 1), (1, 0), (1, 1)])
    for layer, e in ((1, 0), (1, 1), (0, 0)):  # (0, 1) is the least recently used
        pol.update(pol.on_layer(layer, LayerRouting(layer, ((e,),)), v), ExecResult())
    plan = pol.on_layer(1, LayerRouting(1, ((0,), (1,), (5,))), v)
    assert plan.evicts == [K(0, 1)]  # a slot of layer 0 goes to layer 1's miss
    assert plan.loads == [K(1, 5)]


def test_lfu_keeps_the_frequent_expert_that_lru_would_drop():
    lfu = make_policy("lfu")
    lfu.attach(CacheSpec(1, 8, 1, 2))
    v = _view(resident=[(0, 0), (0, 1)], capacity=2, layers=1)
    for e in (0, 0, 0, 1):  # 0 used three times, 1 once and most recently
        lfu.update(lfu.on_layer(0, LayerRouting(0, ((e,),)), v), ExecResult())
    plan = lfu.on_layer(0, LayerRouting(0, ((4,),)), v)
    assert plan.evicts == [K(0, 1)]


def test_lfru_forgets_old_frequency():
    pol = make_policy("lfru", half_life=1.0)
    pol.attach(CacheSpec(1, 8, 1, 2))
    v = _view(resident=[(0, 0), (0, 1)], capacity=2, layers=1)
    for e in (0, 0, 0):  # step 0: expert 0 three times
        pol.update(pol.on_layer(0, LayerRouting(0, ((e,),)), v), ExecResult())
    late = CacheView(2, 1, 8, v.resident, frozenset(), step=8)
    pol.update(pol.on_layer(0, LayerRouting(0, ((1,),)), late), ExecResult())  # step 8: expert 1
    plan = pol.on_layer(0, LayerRouting(0, ((4,),)), late)
    assert plan.evicts == [K(0, 0)]  # three uses 8 half-lives ago weigh less than one now


@pytest.fixture(scope="module")
def setting():
    preset = from_name("mixtral-8x7b").with_layers(4)
    trace = synthetic_trace(preset, sequences=8, prompt_len=4, gen_len=6, zipf=1.0,
                            stickiness=0.3, seed=3)
    return trace, CostModel.from_preset(preset, profile_from_name("a40-pcie4"))


def _sim(name, setting, **kw):
    trace, cost = setting
    return simulate(make_policy(name, **kw), trace, cost, capacity=2 * trace.num_layers, batch=4,
                    groups=2, policy_time="none")


@pytest.mark.parametrize("name", ["lru-global", "lfu", "lfru", "belady"])
def test_reference_keeps_the_budget(name, setting):
    kw = {"oracle_trace": setting[0]} if name == "belady" else {}
    r = _sim(name, setting, **kw)
    assert 0 < r.peak_slots <= 2 * setting[0].num_layers


def test_belady_copies_fewer_experts_and_stalls_less_than_any_other_cache(setting):
    belady = _sim("belady", setting, oracle_trace=setting[0])
    for name in ("lru", "lru-global", "lfu", "lfru"):
        other = _sim(name, setting)
        assert belady.experts_loaded <= other.experts_loaded, name
        assert belady.stall_s < other.stall_s, name


def test_belady_without_a_trace_is_bad_input():
    from expertflow_runtime.errors import BadInput

    with pytest.raises(BadInput, match="oracle_trace"):
        make_policy("belady")


def test_following_the_step_replay_plans_like_replaying_at_every_layer(setting, monkeypatch):
    """Large tables replay Belady once per step and follow it layer by layer; forced here on a
    small one, it keeps the budget (the simulator raises otherwise) and copies about as much."""
    import expertflow_runtime.policies.replay as ef
    from expertflow_runtime.expertflow_sources import NoisyTraceSource

    trace = setting[0]
    runs = {}
    for follow_above in (0, 1 << 30):
        monkeypatch.setattr(ef, "REPLAY_EVERY_LAYER_UP_TO", follow_above)
        runs[follow_above] = _sim("expertflow-no-scheduler", setting,
                                  source=NoisyTraceSource(trace, 0.8, 1))
    followed, replayed = runs[0], runs[1 << 30]
    assert 0 < followed.peak_slots <= 2 * trace.num_layers
    assert followed.experts_loaded <= 1.1 * replayed.experts_loaded
