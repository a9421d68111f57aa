"""The engine on tiny presets: every policy decodes exactly what all-resident decodes, within
the slot budget; the offloaded model decodes what the plain transformers model decodes."""

import random

import pytest
import torch

from expertflow_runtime.adapters import load_model
from expertflow_runtime.engine import Engine
from expertflow_runtime.errors import BudgetError
from expertflow_runtime.plan import Op, OpKind, Plan, PlanError
from expertflow_runtime.policies import BASELINES, make_policy
from expertflow_runtime.policies.base import BasePolicy
from expertflow_runtime.presets import from_name

NEW = 6


def prompts(n=3, length=12, seed=0):
    rng = random.Random(seed)
    return [[rng.randrange(256) for _ in range(length)] for _ in range(n)]


@pytest.fixture(scope="module", params=["mixtral-tiny", "qwen-moe-tiny", "olmoe-tiny",
                                        "switch-tiny"])
def engine(request):
    torch.set_num_threads(1)
    return Engine.build(from_name(request.param), link="none", seed=1)


def test_every_policy_matches_all_resident_within_budget(engine):
    ps = prompts()
    per_layer = 2
    cap = engine.capacity_for(per_layer)
    ref = engine.generate(ps, NEW, policy=make_policy("all-resident"), capacity=cap,
                          record_trace=True)
    assert ref.metrics.hit_rate == 1.0
    assert all(len(t) == NEW for t in ref.tokens)
    for name in BASELINES[1:]:
        kw = {"popularity": ref.trace.popularity().tolist()} if name == "static" else {}
        run = engine.generate(ps, NEW, policy=make_policy(name, **kw), capacity=cap)
        assert run.tokens == ref.tokens, name
        assert 0 < run.metrics.peak_slots <= cap, name
        assert run.metrics.misses > 0, name  # 2 slots per layer cannot hold the union
        assert run.metrics.bytes_moved == run.metrics.experts_loaded * engine.layout.nbytes


def test_reuse_policies_hit_more_than_on_demand(engine):
    ps = prompts(n=2)
    cap = engine.capacity_for(2)
    od = engine.generate(ps, NEW, policy=make_policy("on-demand"), capacity=cap)
    lru = engine.generate(ps, NEW, policy=make_policy("lru"), capacity=cap)
    assert od.metrics.hit_rate == 0.0
    assert lru.metrics.hit_rate > 0.0


def test_trace_records_every_token_at_every_visited_layer(engine):
    ps = prompts(n=2, length=10)
    run = engine.generate(ps, 4, policy=make_policy("all-resident"), capacity=0,
                          record_trace=True)
    tr = run.trace
    assert tr.num_sequences == 2
    assert tr.experts.shape[1:] == (engine.num_layers, engine.preset.top_k)
    toks, ex = tr.sequence(0)
    assert toks[:10].tolist() == ps[0]
    enc = set(tr.extra.get("encoder_layers", []))
    dec = [layer for layer in range(engine.num_layers) if layer not in enc]
    assert (ex[10:, dec] >= 0).all()  # decode tokens routed at every decoder layer


@pytest.mark.parametrize("name", ["mixtral-tiny", "qwen-moe-tiny", "olmoe-tiny", "deepseek-tiny",
                                  "qwen3-moe-tiny", "switch-tiny"])
def test_offloaded_model_decodes_like_transformers(name):
    torch.set_num_threads(1)
    p = from_name(name)
    ps = prompts(n=2, length=10, seed=3)
    plain = load_model(p, seed=2)
    ids = torch.tensor(ps)
    with torch.inference_mode():
        if p.family == "switch":
            want = plain.generate(ids, max_new_tokens=NEW, do_sample=False)[:, 1:]
        else:
            want = plain.generate(ids, attention_mask=torch.ones_like(ids),
                                  max_new_tokens=NEW, do_sample=False)[:, ids.shape[1]:]
    engine = Engine.build(p, link="none", seed=2)
    got = engine.generate(ps, NEW, policy=make_policy("lru"), capacity=engine.capacity_for(1))
    assert got.tokens == want.tolist()


class GreedyOverbooking(BasePolicy):
    """Prefetches every expert of layer 0 whatever the budget: must be refused."""

    name = "overbooking"

    def on_step_start(self, step, view):
        return Plan(tuple(Op(OpKind.PREFETCH, k) for k in
                          [(0, e) for e in range(view.num_experts)]))


def test_a_plan_over_budget_is_refused():
    engine = Engine.build(from_name("mixtral-tiny"), link="none")
    with pytest.raises(PlanError, match="no free slot"):
        engine.generate(prompts(n=1), 2, policy=GreedyOverbooking(),
                        capacity=engine.capacity_for(1))


def test_budget_outside_the_model_is_bad_input():
    engine = Engine.build(from_name("mixtral-tiny"), link="none")
    for bad in (0, 9):
        with pytest.raises(BudgetError, match="1, 8"):
            engine.capacity_for(bad)


def test_reference_caches_match_all_resident_within_budget(engine):
    ps = prompts()
    cap = engine.capacity_for(2)
    ref = engine.generate(ps, NEW, policy=make_policy("all-resident"), capacity=cap,
                          record_trace=True)
    for name in ("lru-global", "lfu", "lfru", "belady"):
        kw = {"oracle_trace": ref.trace} if name == "belady" else {}
        run = engine.generate(ps, NEW, policy=make_policy(name, **kw), capacity=cap)
        assert run.tokens == ref.tokens, name
        assert 0 < run.metrics.peak_slots <= cap, name


def test_memory_is_what_the_run_held_not_the_configured_budget():
    engine = Engine.build(from_name("mixtral-tiny"), link="none", seed=1)
    ps = prompts(n=2)
    cap = engine.capacity_for(8)  # a budget that could hold every expert
    full = engine.generate(ps, 3, policy=make_policy("all-resident"), capacity=cap).metrics
    od = engine.generate(ps, 3, policy=make_policy("on-demand"), capacity=cap).metrics
    slot = engine.layout.nbytes
    assert full.peak_device_bytes == full.resident_bytes_all  # every expert held
    assert full.non_expert_bytes > 0 and full.memory_source.startswith("tensor bytes")
    # on-demand frees each layer's experts after use: it never fills the budget it was given
    assert od.peak_expert_bytes == od.peak_slots * slot < cap * slot
    assert od.peak_device_bytes == od.non_expert_bytes + od.peak_expert_bytes < full.peak_device_bytes
