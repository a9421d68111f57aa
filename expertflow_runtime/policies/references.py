"""Reference caches that keep comparisons honest. Pure: ids and counters in, ``Plan`` out.

Each isolates one part of what ExpertFlow does, so a measured gain can be attributed:

* ``lru-global``: LRU over ONE slot table shared by every layer (ExpertFlow's table, without
  prediction): separates "a global table" from "prediction".
* ``lfu``: least frequently used leaves first (counts kept across evictions: "perfect" LFU,
  which suits stable per-layer popularity), ties by recency; per-layer slots, as ``lru``.
* ``lfru``: a recency/frequency hybrid in the LRFU family (Lee et al. 2001): each key's score
  is a sum of past uses decayed by half every ``half_life`` engine steps; the lowest score
  leaves first; per-layer slots, as ``lru``.

Frequency policies get per-layer slots because on a global table every non-predictive cache
collapses when one layer's union of experts is as large as the table (a batch of 16 on
Mixtral's 8 experts): the misses of each layer flush every other layer's experts, and the hit
rate falls to zero whatever the victim order (``lru-global`` shows it).
* ``belady``: Belady's rule with the exact future (routes looked up in a trace recorded by an
  all-resident run of the same prompts, as ``expertflow-oracle`` does), over the next
  ``horizon`` engine steps, with every copy issued as soon as its slot is free (perfect
  overlap, ExpertFlow's planner). No scheduler: token groups stay as the engine formed them.
  It is the bound for any cache on that grouping; ExpertFlow's scheduler changes the grouping
  and may pass it.

The non-predictive ones plan with ``plan_waves`` (copies issued as early as a slot allows);
only their victim order differs.
"""

from __future__ import annotations

import math
from typing import Any

from expertflow_runtime.errors import BadInput
from expertflow_runtime.plan import (
    CacheView,
    ExecResult,
    ExpertKey,
    LayerRouting,
    Plan,
    StepInfo,
)
from expertflow_runtime.policies import register_policy
from expertflow_runtime.policies.base import plan_waves
from expertflow_runtime.policies.baselines import RecencyPolicy
from expertflow_runtime.policies.expertflow import ExpertFlow, delivery_order


class SharedTablePolicy(RecencyPolicy):
    """A non-predictive cache over the global slot table: ``plan_waves(shared=True)``."""

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        return plan_waves(layer, routing.experts, view, capacity=view.capacity, shared=True,
                          victim_order=lambda keys: self.victim_order(layer, keys, view))


@register_policy("lru-global")
class GlobalLRU(SharedTablePolicy):
    name = "lru-global"


class FrequencyPolicy(RecencyPolicy):
    """Per-layer slots; when a layer needs more experts than its slots, the ones the policy
    values most are the ones left at the end (``plan_waves(rank_computed=True)``)."""

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        return plan_waves(layer, routing.experts, view, capacity=self.layer_capacity(view),
                          rank_computed=True,
                          victim_order=lambda keys: self.victim_order(layer, keys, view))


@register_policy("lfu")
class LFU(FrequencyPolicy):
    name = "lfu"

    def __init__(self) -> None:
        super().__init__()
        self.uses: dict[ExpertKey, int] = {}

    def update(self, plan: Plan, result: ExecResult) -> None:
        super().update(plan, result)
        for k in plan.computes:
            self.uses[k] = self.uses.get(k, 0) + 1

    def victim_order(self, layer: int, keys: list[ExpertKey], view: CacheView) -> list[ExpertKey]:
        return sorted(keys, key=lambda k: (self.uses.get(k, 0), self.last_use.get(k, -1), k))


@register_policy("lfru")
class LFRU(FrequencyPolicy):
    """``half_life``: engine steps over which a past use loses half its weight (1 ~ LRU-like,
    large ~ LFU-like). On synthetic Mixtral routes (simulator, 8 layers, 2 slots each) half-lives
    of 1 to 16 steps gave the same hit rate within 0.001; 4 is kept."""

    name = "lfru"

    def __init__(self, half_life: float = 4.0) -> None:
        super().__init__()
        if half_life <= 0:
            raise BadInput(f"lfru half_life={half_life} must be > 0")
        self.decay = math.log(2.0) / half_life
        self.score: dict[ExpertKey, tuple[float, int]] = {}  # key -> (score, step it holds at)
        self._step = 0

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        self._step = view.step
        return super().on_layer(layer, routing, view)

    def _now(self, k: ExpertKey) -> float:
        s, at = self.score.get(k, (0.0, self._step))
        return s * math.exp(-self.decay * (self._step - at))

    def update(self, plan: Plan, result: ExecResult) -> None:
        super().update(plan, result)
        for k in plan.computes:
            self.score[k] = (self._now(k) + 1.0, self._step)

    def victim_order(self, layer: int, keys: list[ExpertKey], view: CacheView) -> list[ExpertKey]:
        return sorted(keys, key=lambda k: (self._now(k), self.last_use.get(k, -1), k))


class ExactFuture:
    """Where each token context sits in a recorded trace, so its future routes can be read.

    ``position(context)`` -> (sequence, token index) of the context's last token, or None;
    ``keys(positions, offset, layers)``: experts demanded (key -> tokens) by the tokens
    ``offset`` places after those positions.
    """

    def __init__(self, trace: Any) -> None:
        from expertflow_runtime.expertflow_sources import context_key

        self._key = context_key
        self.routes = [trace.sequence(s)[1] for s in range(trace.num_sequences)]  # [T, L, K] each
        self.index: dict[tuple[int, ...], tuple[int, int]] = {}
        self._memo: dict[tuple[int, int], tuple[ExpertKey, ...]] = {}
        for s in range(trace.num_sequences):
            ids = trace.sequence(s)[0]
            for t in range(len(ids)):
                self.index[context_key(ids[: t + 1])] = (s, t)

    def position(self, context) -> tuple[int, int] | None:
        return self.index.get(self._key(context))

    def demand(self, positions: list[tuple[int, int]], offset: int) -> dict[ExpertKey, float]:
        out: dict[ExpertKey, float] = {}
        for s, t in positions:
            for k in self._keys(s, t + offset):
                out[k] = out.get(k, 0.0) + 1.0
        return out

    def _keys(self, s: int, t: int) -> tuple[ExpertKey, ...]:
        """Token t of sequence s's experts at every layer (each asked for many times: kept)."""
        got = self._memo.get((s, t))
        if got is None:
            ex = self.routes[s]
            got = () if t >= len(ex) else tuple(
                ExpertKey(layer, int(e)) for layer, row in enumerate(ex[t].tolist())
                for e in row if e >= 0)
            self._memo[(s, t)] = got
        return got


class _NoSource:
    kind = "exact-future"

    def predict(self, contexts, new_tokens):  # never called: Belady reads ExactFuture itself
        raise AssertionError("belady reads its future from the trace directly")


class Belady(ExpertFlow):
    """Belady over the exact routes of the next ``horizon`` steps (see the module docstring).

    The step after this one is the next micro-batch of the round (``StepInfo.upcoming``) or,
    for the last one, the micro-batch that ran before it (groups alternate when nothing
    regroups them); then the pattern repeats a token further on.
    """

    name = "belady"
    wants_regroup = False
    pure_belady = True

    def __init__(self, future: ExactFuture, horizon: int = 4) -> None:
        super().__init__(_NoSource(), None)
        if horizon < 1:
            raise BadInput(f"belady horizon={horizon} must be >= 1")
        self.future, self.horizon = future, horizon
        self._previous: list[tuple[int, int]] = []

    def on_step_start(self, step: StepInfo, view: CacheView) -> Plan:
        here, positions = [], []  # last tokens; every token this step feeds (prompt at prefill)
        for context, n in zip(step.token_ids, step.new_tokens):
            at = self.future.position(context)
            if at is not None:
                here.append(at)
                positions += [(at[0], at[1] - i) for i in range(n)]
        self.score = self._merge([self.future.demand(positions, 0)])
        self.wanted = delivery_order(self.score)
        if step.upcoming:
            other = [p for p in map(self.future.position, step.upcoming) if p is not None]
        else:  # the group that ran before this one comes back next, one token on
            other = [(s, t + 1) for s, t in self._previous if (s, t) not in set(here)]
        self._previous = here
        ahead = []
        for j in range(1, self.horizon):
            if other:
                group, offset = (other, (j - 1) // 2) if j % 2 else (here, j // 2)
            else:
                group, offset = here, j
            ahead += delivery_order(self.future.demand(group, offset))
        self.ahead = ahead
        return Plan(ops=tuple(self._plan(view, [], self.wanted)))

    @staticmethod
    def _merge(parts: list[dict[ExpertKey, float]]) -> dict[ExpertKey, float]:
        out: dict[ExpertKey, float] = {}
        for part in parts:
            for k, v in part.items():
                out[k] = out.get(k, 0.0) + v
        return out

    def overheads(self) -> dict[str, float]:
        return {}


@register_policy("belady")
def make_belady(oracle_trace: Any = None, horizon: int = 4, **_: Any) -> Belady:
    if oracle_trace is None:
        raise BadInput("policy 'belady' needs oracle_trace: a trace recorded by an "
                       "all-resident run on the same prompts (its exact future)")
    from expertflow_runtime.trace import RoutingTrace

    trace = oracle_trace if isinstance(oracle_trace, RoutingTrace) else RoutingTrace.load(oracle_trace)
    return Belady(ExactFuture(trace), horizon)


__all__ = ["Belady", "ExactFuture", "GlobalLRU", "LFRU", "LFU", "SharedTablePolicy",
           "make_belady"]
