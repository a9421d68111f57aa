"""ExpertFlow (arXiv 2410.17954): predictive expert cache + token scheduler, and its ablations.

Pure like every policy: ids, counters and numpy in, ``Plan`` out. The predictions come from an
injected *route source* (``expertflow_sources``: the trained predictor, or a recorded trace for
the oracle); its time and the scheduler's are measured here, inside the engine's timed step, and
reported by ``overheads()``.

* **Predictive cache.** At step start the source predicts every new token's path for ALL layers,
  and the engine's ``StepInfo.upcoming`` names the next micro-batch of the round, whose path is
  predicted too: the known future is this step's predicted keys (by layer, then by predicted
  demand, damped for experts mispredicted before) followed by the next step's. The single global
  slot table is shared across layers by that future: at step start and at every layer the
  policy replays Belady's rule on it (a missing key takes the slot of the key needed last; keys
  no prediction mentions go first) and issues each copy as soon as its slot's last use has been
  computed. This keeps the copies close to the minimum for the future it knows (the earlier
  "stream every predicted expert" cache copied 50% more) while the link still works ahead.
* **Misses** are LOADed at once (the executor's high-priority path).
* **Scheduler** (``regroup``): the pool of two micro-batches is re-split by predicted path
  (scheduler.TokenScheduler); the engine moves KV rows by the returned permutation.

Registered: ``expertflow`` (all parts), ``expertflow-no-scheduler`` (predictor + cache),
``expertflow-scheduler-only`` (scheduler over an LRU cache), ``expertflow-oracle`` (exact routes
from a recorded trace; the upper bound).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from expertflow_runtime.errors import BadInput
from expertflow_runtime.plan import (
    EMPTY_PLAN,
    CacheSpec,
    CacheView,
    ExecResult,
    ExpertKey,
    LayerRouting,
    Plan,
    StepInfo,
)
from expertflow_runtime.policies import register_policy, replay
from expertflow_runtime.policies.baselines import RecencyPolicy
from expertflow_runtime.scheduler import TokenScheduler


class RouteSource(Protocol):
    """Scores in [0, 1], one array [n_new, L, E] per sequence (see expertflow_sources)."""

    kind: str

    def predict(self, contexts: Sequence[Sequence[int]], new_tokens: Sequence[int]) -> list[np.ndarray]: ...


class OverheadClock:
    """Seconds spent predicting and scheduling, and how many times each ran."""

    def __init__(self) -> None:
        self.predictor_s = self.scheduler_s = 0.0
        self.predictor_calls = self.scheduler_calls = 0

    def as_dict(self) -> dict[str, float]:
        return dict(predictor_s=self.predictor_s, scheduler_s=self.scheduler_s,
                    predictor_calls=self.predictor_calls, scheduler_calls=self.scheduler_calls)


class _Predicting:
    """Shared by the policies that consult a route source: cached predictions + regrouping."""

    wants_regroup = True  # the engine calls regroup() each round (a no-op permutation without
    # a scheduler, but it predicts the whole pool in one call)

    def _init_predicting(self, source: RouteSource, scheduler: TokenScheduler | None, top_k: int | None) -> None:
        self.source = source
        self.scheduler = scheduler
        self.clock = OverheadClock()
        self._cache: dict[tuple[int, ...], np.ndarray] = {}  # (context) -> [1, L, E], one round
        self._top_k = top_k

    def _predict(self, contexts: Sequence[Sequence[int]], new_tokens: Sequence[int]) -> list[np.ndarray]:
        todo = [i for i, (c, n) in enumerate(zip(contexts, new_tokens))
                if not (n == 1 and tuple(c) in self._cache)]
        out: list[np.ndarray | None] = [self._cache.get(tuple(c)) if n == 1 else None
                                        for c, n in zip(contexts, new_tokens)]
        if todo:
            start = time.perf_counter()
            fresh = self.source.predict([contexts[i] for i in todo], [new_tokens[i] for i in todo])
            self.clock.predictor_s += time.perf_counter() - start
            self.clock.predictor_calls += 1
            for i, p in zip(todo, fresh):
                out[i] = p
        return out  # type: ignore[return-value]

    def regroup(self, pool: StepInfo, group_size: int) -> tuple[int, ...] | None:
        """Permutation of the pool (new position i takes old sequence perm[i]) or None.

        The pool's predictions are kept for the round's steps (each step's own keys, and the
        next group's for the lookahead: the next group's tokens are already known, which is
        what merging two batches buys).
        """
        preds = self._predict(pool.token_ids, pool.new_tokens)
        self._cache = {tuple(c): p for c, p, n in zip(pool.token_ids, preds, pool.new_tokens) if n == 1}
        k = self._top_k or 1
        if len({p.shape for p in preds}) == 1:  # decode rounds: one new token each, one sort
            paths = _top_k_mask(np.stack(preds), k).any(axis=1)  # [N, L, E]
        else:
            paths = np.stack([_top_k_mask(p, k).any(axis=0) for p in preds])
        perm = np.arange(len(preds))
        if self.scheduler is not None:
            start = time.perf_counter()
            result = self.scheduler.regroup(paths)
            self.clock.scheduler_s += time.perf_counter() - start
            self.clock.scheduler_calls += 1
            perm = result.perm
        if self.scheduler is None or bool(np.array_equal(perm, np.arange(len(perm)))):
            return None
        return tuple(int(i) for i in perm)

    def overheads(self) -> dict[str, float]:
        return self.clock.as_dict()


def _top_k_mask(scores: np.ndarray, k: int) -> np.ndarray:
    """bool mask of the k best experts per token and layer; scores [T, L, E]."""
    idx = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=-1)
    return mask & (scores > 0)


def delivery_order(demand: dict[ExpertKey, float]) -> list[ExpertKey]:
    """Keys in the order the link should deliver them: by layer, most demanded first."""
    return sorted(demand, key=lambda k: (k.layer, -demand[k], k.expert))


class ExpertFlow(replay.ReplayPlanner, _Predicting, RecencyPolicy):
    """Predictive cache over the global slot table (see module docstring); the planner that
    turns the known future into copies is ``replay.ReplayPlanner``."""

    name = "expertflow"

    def __init__(self, source: RouteSource, scheduler: TokenScheduler | None = None,
                 mispredict_decay: float = 0.5) -> None:
        RecencyPolicy.__init__(self)
        self._init_predicting(source, scheduler, None)
        self.mispredict_decay = mispredict_decay
        self.penalty: dict[ExpertKey, int] = {}  # consecutive mispredictions per key
        self.score: dict[ExpertKey, float] = {}  # predicted demand this step (tokens)
        self.wanted: list[ExpertKey] = []  # this step's predicted keys, delivery order
        self.ahead: list[ExpertKey] = []  # the next step's predicted keys, delivery order
        self._init_replay()

    def attach(self, spec: CacheSpec) -> None:
        super().attach(spec)
        self._top_k = spec.top_k

    # -- hooks --------------------------------------------------------------------------------
    def on_step_start(self, step: StepInfo, view: CacheView) -> Plan:
        preds = self._predict(step.token_ids, step.new_tokens)
        self.score = self._demand(np.concatenate(preds))
        self.wanted = delivery_order(self.score)
        self.ahead = self._next_group(step)
        return Plan(ops=tuple(self._plan(view, [], self.wanted)))

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        need = [ExpertKey(layer, e) for e in routing.experts]
        # landed experts first, then those in flight in the order the link delivers them (a
        # compute never waits on a late copy while a landed expert could run), then the misses
        order = sorted(need, key=lambda k: (not view.held(k), k in view.in_flight,
                                            self.issued.get(k, 0)))
        # a replay costs O(known future); small tables replay at every layer (the freshest
        # plan), large ones follow the step's replay until it breaks
        ops = self._follow(layer, order, view) if self._replay_len > replay.REPLAY_EVERY_LAYER_UP_TO else None
        if ops is None:
            ops = self._plan(view, order, [k for k in self.wanted if k.layer > layer])
        needed = set(need)
        for k in self.wanted:  # learn from this layer's mispredictions
            if k.layer == layer:
                self.penalty[k] = 0 if k in needed else self.penalty.get(k, 0) + 1
        for k in need:
            if k not in self.score:
                self.penalty[k] = 0
        return Plan(ops=tuple(ops), layer=layer)

    def _demand(self, scores: np.ndarray) -> dict[ExpertKey, float]:
        """Predicted tokens per key from scores [T, L, E], damped by past mispredictions."""
        mask = _top_k_mask(scores, self._top_k or 1)
        demand = mask.sum(axis=0) + 1e-3 * scores.sum(axis=0)  # [L, E]; probability tie-break
        out = {}
        for layer, e in zip(*np.nonzero(mask.any(axis=0))):
            key = ExpertKey(int(layer), int(e))
            out[key] = float(demand[layer, e]) * self.mispredict_decay ** self.penalty.get(key, 0)
        return out

    def _next_group(self, step: StepInfo) -> list[ExpertKey]:
        """Predicted keys of the step after this one (``step.upcoming``: the next micro-batch of
        the round), in delivery order. Its predictions come from the ``regroup`` cache when that
        ran; fresh ones are kept there too."""
        if not step.upcoming:
            return []
        preds = self._predict(step.upcoming, [1] * len(step.upcoming))
        self._cache.update((tuple(c), p) for c, p in zip(step.upcoming, preds))
        return delivery_order(self._demand(np.concatenate(preds)))

class SchedulerOnly(_Predicting, RecencyPolicy):
    """Ablation: the scheduler regroups by predicted path; the cache is plain per-layer LRU."""

    name = "expertflow-scheduler-only"

    def __init__(self, source: RouteSource, scheduler: TokenScheduler | None = None) -> None:
        RecencyPolicy.__init__(self)
        self._init_predicting(source, scheduler or TokenScheduler(), None)

    def attach(self, spec: CacheSpec) -> None:
        super().attach(spec)
        self._top_k = spec.top_k


def _source(checkpoint_dir: str | Path | None, source: RouteSource | None, oracle_trace: Any,
            name: str) -> RouteSource:
    """Resolve the route source; importing the torch-backed sources only here, at the boundary."""
    if source is not None:
        return source
    from expertflow_runtime import expertflow_sources as src

    if oracle_trace is not None:
        from expertflow_runtime.trace import RoutingTrace

        trace = oracle_trace if isinstance(oracle_trace, RoutingTrace) else RoutingTrace.load(oracle_trace)
        return src.TraceSource(trace)
    if checkpoint_dir is None:
        raise BadInput(
            f"policy {name!r} needs a trained predictor: pass checkpoint_dir (train one with "
            "`sovereign runtime train-predictor`) or oracle_trace"
        )
    from expertflow_runtime.predictor.model import load_predictor

    return src.PredictorSource(load_predictor(checkpoint_dir))


@register_policy("expertflow")
def make_expertflow(checkpoint_dir: str | Path | None = None, source: RouteSource | None = None,
                    oracle_trace: Any = None, **_: Any) -> ExpertFlow:
    return ExpertFlow(_source(checkpoint_dir, source, None, "expertflow"), TokenScheduler())


@register_policy("expertflow-no-scheduler")
def make_no_scheduler(checkpoint_dir: str | Path | None = None, source: RouteSource | None = None,
                      oracle_trace: Any = None, **_: Any) -> ExpertFlow:
    policy = ExpertFlow(_source(checkpoint_dir, source, None, "expertflow-no-scheduler"), None)
    policy.name = "expertflow-no-scheduler"
    return policy


@register_policy("expertflow-scheduler-only")
def make_scheduler_only(checkpoint_dir: str | Path | None = None, source: RouteSource | None = None,
                        oracle_trace: Any = None, **_: Any) -> SchedulerOnly:
    return SchedulerOnly(_source(checkpoint_dir, source, None, "expertflow-scheduler-only"))


@register_policy("expertflow-oracle")
def make_oracle(checkpoint_dir: str | Path | None = None, source: RouteSource | None = None,
                oracle_trace: Any = None, **_: Any) -> ExpertFlow:
    if source is None and oracle_trace is None:
        raise BadInput("policy 'expertflow-oracle' needs oracle_trace: a trace recorded by "
                       "an all-resident run on the same prompts")
    policy = ExpertFlow(_source(None, source, oracle_trace, "expertflow-oracle"), TokenScheduler())
    policy.name = "expertflow-oracle"
    return policy


__all__ = ["EMPTY_PLAN", "ExecResult", "ExpertFlow", "OverheadClock", "RouteSource",
           "SchedulerOnly", "make_expertflow", "make_no_scheduler", "make_oracle",
           "make_scheduler_only"]
