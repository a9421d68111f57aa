"""One step driver for the engine, the grouped engine and the simulator: the same routes give the
same cache counters whichever of the three drives them, and a plan that skips a routed expert is
refused the same way by both executors."""

import random

import pytest
import torch

from expertflow_runtime.engine import Engine
from expertflow_runtime.expertflow_engine import generate_grouped
from expertflow_runtime.plan import ExecResult, ExpertKey, LayerRouting, PlanError
from expertflow_runtime.policies import make_policy
from expertflow_runtime.policies.base import BasePolicy
from expertflow_runtime.presets import from_name, profile_from_name
from expertflow_runtime.simulator.core import SimExecutor, simulate
from expertflow_runtime.simulator.cost import CostModel
from expertflow_runtime.step_driver import RunCounters, StepDriver

NEW = 5
POLICIES = ["on-demand", "lru", "lru-global", "lfu", "lfru", "belady", "expertflow-oracle"]


@pytest.fixture(scope="module")
def setup():
    torch.set_num_threads(1)
    preset = from_name("mixtral-tiny")
    engine = Engine.build(preset, link="none", seed=1)
    rng = random.Random(3)
    prompts = [[rng.randrange(256) for _ in range(10)] for _ in range(4)]
    # one more token than the runs generate: the trace then holds every token they feed
    ref = engine.generate(prompts, NEW + 1, policy=make_policy("all-resident"), capacity=0,
                          record_trace=True)
    cost = CostModel.from_preset(preset, profile_from_name("a40-pcie4"))
    return engine, prompts, ref.trace, cost


def _kwargs(name, trace):
    if name == "belady":
        return {"oracle_trace": trace}
    if name == "expertflow-oracle":
        from expertflow_runtime.expertflow_sources import TraceSource

        return {"source": TraceSource(trace)}
    return {}


def _counts(m) -> tuple:
    return m["hits"], m["misses"], m["experts_loaded"]


@pytest.mark.parametrize("name", POLICIES)
def test_engine_grouped_engine_and_simulator_count_the_same(setup, name):
    engine, prompts, trace, cost = setup
    cap = engine.capacity_for(2)
    plain = engine.generate(prompts, NEW, policy=make_policy(name, **_kwargs(name, trace)),
                            capacity=cap).metrics.as_dict()
    sim = simulate(make_policy(name, **_kwargs(name, trace)), trace, cost, capacity=cap,
                   batch=len(prompts), max_new_tokens=NEW, policy_time="none")
    assert plain["misses"] > 0  # 2 of 8 slots per layer: the comparison has copies in it
    assert _counts(plain) == _counts(sim.as_dict())
    grouped = generate_grouped(engine, prompts, NEW, capacity=cap, groups=2,
                               policy=make_policy(name, **_kwargs(name, trace))).metrics
    sim2 = simulate(make_policy(name, **_kwargs(name, trace)), trace, cost, capacity=cap,
                    batch=len(prompts) // 2, groups=2, max_new_tokens=NEW, policy_time="none")
    assert _counts(grouped) == _counts(sim2.as_dict())


class SkipsAnExpert(BasePolicy):
    name = "skips"

    def on_layer(self, layer, routing, view):
        plan = super().on_layer(layer, routing, view)
        first = ExpertKey(layer, routing.experts[0])
        return type(plan)(tuple(o for o in plan.ops if o.key != first), plan.layer)


def test_a_plan_that_skips_a_routed_expert_is_refused_by_both_executors(setup):
    engine, prompts, trace, cost = setup
    with pytest.raises(PlanError, match="does not compute routed experts"):
        engine.generate(prompts[:1], 2, policy=SkipsAnExpert(), capacity=engine.capacity_for(8))
    with pytest.raises(PlanError, match="does not compute routed experts"):
        simulate(SkipsAnExpert(), trace, cost, capacity=trace.num_layers * 8, batch=1,
                 policy_time="none")


def test_counters_add_every_executed_plan_and_time_every_hook(setup):
    *_, cost = setup
    policy = BasePolicy()
    seen = []
    driver = StepDriver(policy, SimExecutor(cost, 4, 2, 8), charge=seen.append)
    driver.layer(0, LayerRouting(0, ((1, 2),)))
    driver.layer(1, LayerRouting(1, ((3, 1),)))
    assert (driver.counters.misses, driver.counters.loaded, driver.counters.plans) == (4, 4, 2)
    assert driver.counters.copy_ops == 4
    assert len(seen) == 4  # on_layer and update, per layer
    assert driver.planning_s == pytest.approx(sum(h.wall_s for h in seen))
    total = RunCounters()
    total.add(ExecResult(hits=[ExpertKey(0, 1)], evicted=[ExpertKey(0, 2)]))
    total.add(ExecResult(misses=[ExpertKey(0, 3)], loaded=[ExpertKey(0, 3)]))
    assert (total.hits, total.misses, total.evictions, total.copy_ops) == (1, 1, 1, 1)
