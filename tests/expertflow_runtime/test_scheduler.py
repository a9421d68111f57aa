"""The token scheduler regroups sequences so each group activates fewer (layer, expert) pairs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from expertflow_runtime.scheduler import SchedulerError, TokenScheduler, activated_pairs

L, E, K = 4, 8, 2


def _two_kinds(n: int = 32) -> np.ndarray:
    """Sequences alternate between two route patterns, so the identity split mixes them."""
    rng = np.random.default_rng(0)
    protos = [np.stack([rng.choice(E, K, replace=False) for _ in range(L)]) for _ in range(2)]
    paths = np.zeros((n, L, E), dtype=bool)
    for i in range(n):
        for layer in range(L):
            paths[i, layer, protos[i % 2][layer]] = True
    return paths


def test_separates_interleaved_route_patterns():
    paths = _two_kinds()
    r = TokenScheduler().regroup(paths)
    assert sorted(r.perm.tolist()) == list(range(32))
    assert [len(g) for g in r.groups] == [16, 16]
    # each group now holds one pattern: exactly L*K pairs per group
    assert r.pairs_after == 2 * L * K < r.pairs_before
    assert r.pairs_after == activated_pairs(paths.reshape(32, -1), r.groups)
    for g in r.groups:
        assert len({tuple(map(tuple, np.argwhere(paths[i]))) for i in g}) == 1


def test_never_worse_than_keeping_the_groups():
    rng = np.random.default_rng(3)
    sched = TokenScheduler()
    for _ in range(5):
        paths = rng.random((16, L, E)) < 0.3
        r = sched.regroup(paths)
        assert r.pairs_after <= r.pairs_before
        if r.identity:
            assert r.moved == 0
    assert sched.calls == 5 and sched.total_s > 0


def test_already_grouped_pool_moves_nothing():
    paths = _two_kinds()
    order = np.r_[np.arange(0, 32, 2), np.arange(1, 32, 2)]
    r = TokenScheduler().regroup(paths[order])
    assert r.identity and r.moved == 0


def test_pool_that_cannot_split_evenly_is_rejected():
    with pytest.raises(SchedulerError, match="15 sequences"):
        TokenScheduler().regroup(np.zeros((15, L, E), dtype=bool))


@pytest.mark.slow
def test_regrouped_decoding_keeps_the_kv_cache_consistent():
    """Sequences moved between micro-batches every round still generate the all-resident tokens."""
    from expertflow_runtime.engine import Engine
    from expertflow_runtime.expertflow_engine import generate_grouped
    from expertflow_runtime.policies import make_policy
    from expertflow_runtime.presets import from_name

    class Alternating:  # odd-length contexts look alike, even ones too: forces a regroup
        kind = "test"

        def predict(self, contexts, new_tokens):
            out = []
            for c, n in zip(contexts, new_tokens):
                p = np.zeros((n, 4, 8), dtype=np.float32)
                p[..., [0, 1] if (len(c) + c[-1]) % 2 else [6, 7]] = 1.0
                out.append(p)
            return out

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops: one thread is faster on a shared CPU
    try:
        engine = Engine.build(from_name("mixtral-tiny"), link="none")
        prompts = [[(7 * i + j) % 250 for j in range(5 + i % 3)] for i in range(6)]
        ref = engine.generate(prompts, 4, policy=make_policy("all-resident"), capacity=32)
        policy = make_policy("expertflow", source=Alternating())
        run = generate_grouped(engine, prompts, 4, policy=policy, capacity=8, groups=2)
    finally:
        torch.set_num_threads(threads)
    assert run.metrics["regroups"] > 0
    assert run.tokens == ref.tokens
    assert run.metrics["peak_slots"] <= 8
