"""Recorded routes imposed on the routers (``runtime bench --routes``): each token of each sequence
gets the recorded route of its position, calibration prompts never see the measured windows, and
every policy still decodes what all-resident decodes."""

import random

import numpy as np
import pytest
import torch

from expertflow_runtime.engine import Engine
from expertflow_runtime.errors import BadInput
from expertflow_runtime.forced_routes import ForcedRoutes
from expertflow_runtime.policies import make_policy
from expertflow_runtime.presets import from_name

E, K, L = 8, 2, 32


def recorded(tokens=(120, 90), seed=0):
    """Routes shaped like the Mixtral-8x7B recording: texts of [T, 32 layers, top-2]."""
    rng = np.random.default_rng(seed)
    return [np.stack([np.stack([rng.choice(E, K, replace=False) for _ in range(L)])
                      for _ in range(t)]).astype(np.int16) for t in tokens]


def prompts(n, length=6, seed=0):
    rng = random.Random(seed)
    return [[rng.randrange(256) for _ in range(length)] for _ in range(n)]


def test_positions_take_consecutive_recorded_tokens_of_their_window():
    routes, ps = recorded(), prompts(4)
    fr = ForcedRoutes(routes, ps, E, K)
    stream = np.concatenate(routes)
    W = fr.window
    assert W == int(len(stream) * 0.9) // 4
    fr.begin_step([ps[2] + [1, 2]], [3])  # positions 5, 6, 7 of the third sequence
    got = fr.index(layer=3, rows=3, mask=None)
    want = stream[2 * W + 5: 2 * W + 8, 3]
    assert np.array_equal(got.numpy(), want)


def test_calibration_prompts_never_get_a_measured_window():
    routes, ps = recorded(), prompts(4)
    fr = ForcedRoutes(routes, ps, E, K)
    stream = np.concatenate(routes)
    cal_start = len(stream) - max(1, int(len(stream) * 0.1))
    measured = {stream[i].tobytes() for i in range(4 * fr.window)}
    calibration = {stream[i].tobytes() for i in range(cal_start, len(stream))}
    other = prompts(1, seed=99)[0]
    fr.begin_step([other], [len(other)])
    rows = np.stack([fr.index(layer=layer, rows=len(other), mask=None).numpy() for layer in range(L)], 1)
    got = {r.astype(np.int16).tobytes() for r in rows}
    assert got <= calibration and not got & measured


def test_padding_rows_route_nowhere_and_a_mismatch_is_refused():
    routes, ps = recorded(), prompts(2)
    fr = ForcedRoutes(routes, ps, E, K)
    fr.begin_step([ps[0]], [len(ps[0])])
    mask = torch.tensor([False, False] + [True] * len(ps[0]))
    got = fr.index(layer=0, rows=len(mask), mask=mask)
    assert (got[:2] == -1).all() and (got[2:] >= 0).all()
    with pytest.raises(BadInput, match="announced"):
        fr.index(layer=0, rows=len(ps[0]) + 1, mask=None)
    with pytest.raises(BadInput, match="same model"):
        ForcedRoutes(routes, ps, num_experts=4, top_k=K)


def test_every_policy_decodes_like_all_resident_on_forced_routes():
    torch.set_num_threads(1)
    engine = Engine.build(from_name("mixtral-tiny"), link="none", seed=1)
    ps = prompts(3)
    engine.runtime.forced = ForcedRoutes(recorded(), ps, E, K)
    cap = engine.capacity_for(2)
    ref = engine.generate(ps, 4, policy=make_policy("all-resident"), capacity=cap,
                          record_trace=True)
    stream = np.concatenate(recorded())
    W = engine.runtime.forced.window
    _, ex = ref.trace.sequence(1)
    for t in range(len(ex)):  # the trace holds exactly the imposed routes
        for layer in range(ref.trace.num_layers):
            assert sorted(ex[t, layer]) == sorted(stream[W + t % W, layer])
    for name in ("lru", "lfu", "belady", "pregated"):  # pregated previews the forced next layer
        kw = {"oracle_trace": ref.trace} if name == "belady" else {}
        out = engine.generate(ps, 4, policy=make_policy(name, **kw), capacity=cap)
        assert out.tokens == ref.tokens, name
