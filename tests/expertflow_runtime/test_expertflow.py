"""The expertflow policies: budget kept, routed experts computed, predictions acted on."""

from __future__ import annotations

import numpy as np
import pytest

from expertflow_runtime.errors import BadInput
from expertflow_runtime.expertflow_sources import NoisyTraceSource, TraceSource
from expertflow_runtime.plan import CacheSpec, CacheView, ExpertKey, LayerRouting, OpKind, Phase, StepInfo
from expertflow_runtime.policies import make_policy, policy_names
from expertflow_runtime.presets import from_name, profile_from_name
from expertflow_runtime.simulator.core import simulate
from expertflow_runtime.simulator.cost import CostModel
from expertflow_runtime.simulator.workload import synthetic_trace

ABLATIONS = ("expertflow", "expertflow-no-scheduler", "expertflow-scheduler-only", "expertflow-oracle")


@pytest.fixture(scope="module")
def setting():
    preset = from_name("switch-base-64")
    trace = synthetic_trace(preset, sequences=16, prompt_len=4, gen_len=6, zipf=1.2,
                            stickiness=0.5, seed=1)
    return preset, trace, CostModel.from_preset(preset, profile_from_name("a40-pcie4"))


def _run(name, setting, budget=8, **kw):
    preset, trace, cost = setting
    source = TraceSource(trace) if name == "expertflow-oracle" else NoisyTraceSource(trace, 0.9)
    policy = make_policy(name, source=source) if name.startswith("expertflow") else make_policy(name, **kw)
    return policy, simulate(policy, trace, cost, capacity=budget * trace.num_layers, batch=8, groups=2,
                            policy_time="none")


def test_all_ablations_are_registered():
    assert set(ABLATIONS) <= set(policy_names())


@pytest.mark.parametrize("name", ABLATIONS)
def test_budget_is_never_exceeded(name, setting):
    _, r = _run(name, setting)
    assert 0 < r.peak_slots <= 8 * setting[1].num_layers


def test_oracle_prefetch_beats_lru_on_hit_rate_and_stall(setting):
    _, lru = _run("lru", setting)
    _, oracle = _run("expertflow-oracle", setting)
    assert oracle.hit_rate > lru.hit_rate + 0.15
    assert oracle.stall_s < lru.stall_s


def test_predictor_and_scheduler_time_is_reported(setting):
    policy, r = _run("expertflow", setting)
    over = policy.overheads()
    assert over["predictor_calls"] > 0 and over["scheduler_calls"] > 0
    assert r.predictor_s_per_step > 0 and r.scheduler_s_per_step > 0
    _, plain = _run("expertflow-no-scheduler", setting)
    assert plain.scheduler_s_per_step == 0


class _Routes:
    """Predicts, for any context ending in token t, the experts ``table[t]`` (one per layer)."""

    kind = "fixed"

    def __init__(self, table: dict[int, list[int]], num_layers: int, num_experts: int):
        self.table, self.L, self.E = table, num_layers, num_experts

    def predict(self, contexts, new_tokens):
        out = []
        for c in contexts:
            p = np.zeros((1, self.L, self.E), dtype=np.float32)
            for layer, e in enumerate(self.table[c[-1]]):
                p[0, layer, e] = 1.0
            out.append(p)
        return out


def test_a_mispredicted_expert_is_evicted_first():
    policy = make_policy("expertflow-no-scheduler", source=_Routes({2: [0, 0]}, 2, 4))  # expert 0
    policy.attach(CacheSpec(num_layers=2, num_experts=4, top_k=1, capacity=2))
    empty = CacheView(2, 2, 4, frozenset(), frozenset())
    start = policy.on_step_start(StepInfo(0, Phase.DECODE, ((1, 2),), (1,)), empty)
    assert start.prefetches == [ExpertKey(0, 0), ExpertKey(1, 0)]
    held = CacheView(2, 2, 4, frozenset(start.prefetches), frozenset())
    plan = policy.on_layer(0, LayerRouting(0, ((3,),)), held)  # the router chose 3, not 0
    assert policy.penalty[ExpertKey(0, 0)] == 1
    evicted = [o.key for o in plan.ops if o.kind is OpKind.EVICT]
    assert evicted[0] == ExpertKey(0, 0)  # the wrong guess goes, the next layer's stays
    assert ExpertKey(0, 3) in plan.loads and ExpertKey(0, 3) in plan.computes


def _ops(plan):
    return [(o.kind.value, o.key.layer, o.key.expert) for o in plan.ops]


def test_a_computed_expert_hands_its_slot_to_the_next_predicted_one():
    policy = make_policy("expertflow-no-scheduler", source=_Routes({7: [0, 1]}, 2, 4))
    policy.attach(CacheSpec(num_layers=2, num_experts=4, top_k=1, capacity=1))
    held = CacheView(1, 2, 4, frozenset({ExpertKey(0, 0)}), frozenset())
    start = policy.on_step_start(StepInfo(0, Phase.DECODE, ((7,),), (1,)), held)
    assert start.ops == ()  # the only slot is still needed by layer 0
    plan = policy.on_layer(0, LayerRouting(0, ((0,),)), held)
    assert _ops(plan) == [("compute", 0, 0), ("evict", 0, 0), ("prefetch", 1, 1)]


def test_a_key_the_next_micro_batch_needs_stays_and_a_spent_one_goes():
    # this step: layer 0 -> 0, layer 1 -> 1; the next micro-batch: layer 0 -> 2, layer 1 -> 3
    policy = make_policy("expertflow-no-scheduler", source=_Routes({7: [0, 1], 8: [2, 3]}, 2, 4))
    policy.attach(CacheSpec(num_layers=2, num_experts=4, top_k=1, capacity=3))
    keys = frozenset({ExpertKey(0, 0), ExpertKey(1, 1), ExpertKey(0, 2)})
    held = CacheView(3, 2, 4, keys, frozenset())
    policy.on_step_start(StepInfo(0, Phase.DECODE, ((7,),), (1,), upcoming=((8,),)), held)
    plan = policy.on_layer(0, LayerRouting(0, ((0,),)), held)
    # (1, 3) is the next micro-batch's; (0, 2) stays for it; (0, 0) is done and nobody predicts it
    assert _ops(plan) == [("compute", 0, 0), ("evict", 0, 0), ("prefetch", 1, 3)]


def test_copies_stay_near_beladys_minimum_with_exact_routes(setting):
    """With exact routes (the oracle) the cache copies no more experts than per-layer LRU does
    (it replays Belady's rule on the known future) and waits less for them."""
    _, lru = _run("lru", setting)
    _, oracle = _run("expertflow-oracle", setting)
    assert oracle.experts_loaded <= lru.experts_loaded
    assert oracle.stall_s < lru.stall_s


def test_expertflow_without_a_predictor_says_how_to_get_one():
    with pytest.raises(BadInput, match="train-predictor"):
        make_policy("expertflow")
    with pytest.raises(BadInput, match="oracle_trace"):
        make_policy("expertflow-oracle")
