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

import heapq
import itertools
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from expertflow_runtime.errors import RuntimeInputError
from expertflow_runtime.plan import (
    EMPTY_PLAN,
    CacheSpec,
    CacheView,
    ExecResult,
    ExpertKey,
    LayerRouting,
    Op,
    OpKind,
    Plan,
    StepInfo,
)
from expertflow_runtime.policies import register_policy
from expertflow_runtime.policies.baselines import RecencyPolicy
from expertflow_runtime.scheduler import TokenScheduler


# Known futures up to this many keys are replayed at every layer (under ~0.3 ms on this
# machine); longer ones (full-size tables: 450+ keys) are replayed once per step and followed.
REPLAY_EVERY_LAYER_UP_TO = 160


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


def _delivery_order(demand: dict[ExpertKey, float]) -> list[ExpertKey]:
    """Keys in the order the link should deliver them: by layer, most demanded first."""
    return sorted(demand, key=lambda k: (k.layer, -demand[k], k.expert))


class ExpertFlow(_Predicting, RecencyPolicy):
    """Predictive cache over the global slot table (see module docstring)."""

    name = "expertflow"
    pure_belady = False  # True: every predicted key ranks by its next use alone (no step split)

    def __init__(self, source: RouteSource, scheduler: TokenScheduler | None = None,
                 mispredict_decay: float = 0.5) -> None:
        RecencyPolicy.__init__(self)
        self._init_predicting(source, scheduler, None)
        self.mispredict_decay = mispredict_decay
        self.penalty: dict[ExpertKey, int] = {}  # consecutive mispredictions per key
        self.score: dict[ExpertKey, float] = {}  # predicted demand this step (tokens)
        self.wanted: list[ExpertKey] = []  # this step's predicted keys, delivery order
        self.ahead: list[ExpertKey] = []  # the next step's predicted keys, delivery order
        self._issue_seq = itertools.count(1)
        self.issued: dict[ExpertKey, int] = {}  # key -> order its prefetch was issued in
        self._deferred_copies: deque[ExpertKey] = deque()  # the last replay's copies not issued
        self._deferred_leave: dict[ExpertKey, int] = {}  # their victims -> layer of last use
        self._replay_len = 0  # keys in the last replay's known future
        self._uses_now: dict[ExpertKey, int] = {}  # key -> first position this step, last replay
        self._uses_ahead: dict[ExpertKey, int] = {}  # key -> first position in the next step

    def attach(self, spec: CacheSpec) -> None:
        super().attach(spec)
        self._top_k = spec.top_k

    # -- hooks --------------------------------------------------------------------------------
    def on_step_start(self, step: StepInfo, view: CacheView) -> Plan:
        preds = self._predict(step.token_ids, step.new_tokens)
        self.score = self._demand(np.concatenate(preds))
        self.wanted = _delivery_order(self.score)
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
        ops = self._follow(layer, order, view) if self._replay_len > REPLAY_EVERY_LAYER_UP_TO else None
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

    def _follow(self, layer: int, order: list[ExpertKey], view: CacheView) -> list[Op] | None:
        """This layer's ops from the last replay's schedule, or None when it no longer holds.

        A replay per layer cost ~3 ms per layer on full-size tables, so the replay made at step
        start (or at the last layer that broke it) is carried out layer by layer: each victim
        leaves right after its last use this step (after the layer, if it was mispredicted and
        never computed) and its slot goes to the next copy in the replay's order. An expert no
        prediction named is LOADed into a free slot, else into the slot of the held expert
        needed last (Belady on the replay's positions, ``_victims``). None when a needed
        expert's copy would come only after its compute: the caller replays.
        """
        needed = set(order)
        queue = self._deferred_copies
        while queue and queue[0].layer <= layer and queue[0] not in needed:
            queue.popleft()  # predicted for this layer, not routed here: its copy lapses
        queued: dict[ExpertKey, int] = {}  # first place in the queue (a key may come again)
        for i, k in zip(range(4 * len(order) + 8), queue):
            queued.setdefault(k, i)
        held = [k for k in order if view.held(k)]
        unnamed = [k for k in order if not view.held(k) and k not in queued]
        waiting = sorted((k for k in order if not view.held(k) and k in queued), key=queued.__getitem__)
        queue, leaving = deque(queue), dict(self._deferred_leave)
        ops: list[Op] = []
        have = set(view.resident | view.in_flight)  # held as the ops so far leave it
        slots = view.free

        def issue() -> None:
            nonlocal slots
            # a key still held is copied again only after it leaves (its next-step copy)
            while queue and slots > 0 and queue[0] not in have:
                k = queue.popleft()
                # this layer's own experts go on the high-priority path, as misses
                ops.append(Op(OpKind.LOAD, k) if k in needed else self._prefetch(k))
                have.add(k)
                slots -= 1

        def release(k: ExpertKey) -> None:
            nonlocal slots
            leaving.pop(k, None)
            have.discard(k)
            ops.append(Op(OpKind.EVICT, k))
            slots += 1

        # keys whose last use this step is here but which this layer does not compute (a
        # misprediction) leave before the computes, so the copies behind them are not held up
        for k in [k for k, at in leaving.items() if at <= layer and k not in needed]:
            if k in have:
                release(k)
            else:  # never copied: its copy and its leaving both lapse
                leaving.pop(k)
                if k in queue:
                    queue.remove(k)
        issue()
        spare: list[ExpertKey] = []  # victims for unpredicted misses, needed last at the end
        for k in unnamed:
            if slots == 0:
                if not spare:
                    spare = self._victims(layer, view, have - needed)
                while spare and spare[-1] not in have:
                    spare.pop()
                if not spare:
                    return None
                release(spare.pop())
            ops.append(Op(OpKind.LOAD, k))
            have.add(k)
            slots -= 1
        for k in held + unnamed + waiting:
            if k not in have:
                return None
            ops.append(Op(OpKind.COMPUTE, k))
            if leaving.get(k, -1) == layer:
                release(k)
                issue()
        self._deferred_copies, self._deferred_leave = queue, leaving
        return ops

    def _victims(self, layer: int, view: CacheView, have: set[ExpertKey]) -> list[ExpertKey]:
        """Victims for misses no one predicted: the held keys of ``have`` (the layer's needed
        ones left out), the one needed last at the END (by the last replay's positions: this
        step's later layers, then the next step's, then never)."""
        never = 1 << 30

        def next_use(h: ExpertKey) -> int:
            if h.layer > layer and h in self._uses_now:
                return self._uses_now[h]
            return self._uses_ahead.get(h, never)

        landed = sorted((h for h in view.resident if h in have), key=next_use)
        flying = sorted((h for h in view.in_flight if h in have), key=next_use)
        return flying + landed  # popped from the end: landed first (evicting a copy waits)

    # -- internals ----------------------------------------------------------------------------
    def _plan(self, view: CacheView, computes: list[ExpertKey], rest: list[ExpertKey]) -> list[Op]:
        """Belady's replacements over the known future, each copy issued as early as it can be.

        The future is ``computes`` (this layer's experts, in compute order), then ``rest`` (this
        step's predicted keys of later layers), then ``self.ahead`` (the next step's). Replaying
        it on the held set, a missing key takes a free slot or gives up the held key that is
        needed last: first keys no prediction mentions (mispredicted ones, then least recently
        used), then keys only the next step needs (the one free soonest: a copy can start only
        once its victim's last use is computed), then this step's keys used furthest ahead
        (Belady). That is close to the fewest copies that serve the future. Every copy is then
        issued in the order of need as soon as a slot is free: a victim leaves once its last use
        before its replacement has been computed. This layer's missing experts load on the
        high-priority path (ahead of queued prefetches) while the landed ones compute; the rest
        are prefetches.
        """
        seq = computes + rest + self.ahead
        self._replay_len = len(seq)
        never, horizon = len(seq), len(computes) + len(rest)  # next step's uses start at horizon
        following = [never] * len(seq)  # following[i]: the next position of seq[i] after i
        first: dict[ExpertKey, int] = {}
        for i in range(len(seq) - 1, -1, -1):
            following[i] = first.get(seq[i], never)
            first[seq[i]] = i
        seen: dict[ExpertKey, int] = {}  # key -> its last position replayed so far

        n_computes, pure, penalty, last_use = len(computes), self.pure_belady, self.penalty, self.last_use

        def rank(h: ExpertKey) -> tuple[int, int, int, int]:
            """Smaller = given up first (a min-heap). Changes only when ``h`` itself is replayed."""
            last = seen.get(h, -1)
            nu = following[last] if last >= 0 else first.get(h, never)
            if nu >= never:  # no predicted use left: free within this plan first
                return (-2, -(last < n_computes), -penalty.get(h, 0), last_use.get(h, -1))
            if nu >= horizon and not pure:  # only the next step wants it: the one free soonest
                return (-1, last, -nu, 0)
            return (0, -nu, 0, 0)  # Belady: needed furthest ahead

        heap: list[tuple[tuple[int, int, int, int], int, ExpertKey]] = []  # lazy: stale entries skipped
        version: dict[ExpertKey, int] = {}
        push = heapq.heappush

        def touch(h: ExpertKey) -> None:
            v = version[h] = version.get(h, 0) + 1
            push(heap, (rank(h), v, h))

        held = set(view.resident | view.in_flight)
        for h in held:
            touch(h)
        free = view.free
        leave: list[tuple[int, ExpertKey]] = []  # (computes done before it may go, victim)
        copies: list[tuple[int, ExpertKey]] = []  # (position of its first use, key)
        for i, k in enumerate(seq):
            if k not in held:
                if free > 0:
                    free -= 1
                elif held:
                    while True:
                        _, ver, victim = heapq.heappop(heap)
                        if victim in held and version[victim] == ver:
                            break
                    held.discard(victim)
                    leave.append((seen.get(victim, -1) + 1, victim))
                else:
                    raise ValueError(f"no slot for {tuple(k)} in a table of {view.capacity}")
                held.add(k)
                copies.append((i, k))
            seen[k] = i
            touch(k)

        ops: list[Op] = []
        slots = view.free
        leave.sort(key=lambda x: x[0])
        ci = li = 0
        for done in range(len(computes) + 1):  # ``done`` computes issued so far
            while li < len(leave) and leave[li][0] <= done:
                ops.append(Op(OpKind.EVICT, leave[li][1]))
                slots += 1
                li += 1
            while ci < len(copies) and slots > 0:
                pos, k = copies[ci]
                ops.append(Op(OpKind.LOAD, k) if pos < len(computes) else self._prefetch(k))
                slots -= 1
                ci += 1
            if done < len(computes):
                if ci < len(copies) and copies[ci][0] == done:
                    raise ValueError(f"no slot for {tuple(computes[done])} when it is computed")
                ops.append(Op(OpKind.COMPUTE, computes[done]))
        # the rest of the schedule, carried out layer by layer while predictions hold: each
        # victim leaves after its last use this step (its own layer; never, if the next step's)
        self._uses_now, self._uses_ahead = {}, {}
        for i in range(len(computes), len(seq)):
            (self._uses_now if i < horizon else self._uses_ahead).setdefault(seq[i], i)
        self._deferred_copies = deque(k for _, k in copies[ci:])
        # (a key may leave twice: after its use here, and again after a copy for the next step;
        # only the first matters before the next replay)
        self._deferred_leave = {}
        for at, v in leave[li:]:
            self._deferred_leave.setdefault(v, v.layer if at - 1 < horizon else 1 << 30)
        return ops

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
        return _delivery_order(self._demand(np.concatenate(preds)))

    def _prefetch(self, key: ExpertKey) -> Op:
        self.issued[key] = next(self._issue_seq)
        return Op(OpKind.PREFETCH, key)


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
        raise RuntimeInputError(
            f"policy {name!r} needs a trained predictor: pass checkpoint_dir (train one with "
            "`sovereign runtime train-predictor`) or oracle_trace"
        )
    from expertflow_runtime.predictor import load_predictor

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
        raise RuntimeInputError("policy 'expertflow-oracle' needs oracle_trace: a trace recorded by "
                                "an all-resident run on the same prompts")
    policy = ExpertFlow(_source(None, source, oracle_trace, "expertflow-oracle"), TokenScheduler())
    policy.name = "expertflow-oracle"
    return policy


__all__ = ["EMPTY_PLAN", "ExecResult", "ExpertFlow", "OverheadClock", "RouteSource",
           "SchedulerOnly", "make_expertflow", "make_no_scheduler", "make_oracle",
           "make_scheduler_only"]
