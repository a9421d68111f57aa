"""The one step driver: decode rounds and every policy hook, shared by the engine and the simulator.

A run is ``groups`` micro-batches of ``batch`` sequences: each micro-batch is prefilled, then
every round feeds one new token to every sequence, micro-batch after micro-batch; a policy with
``wants_regroup`` may permute the pool at the start of a decode round. Within one forward::

    plan = policy.on_step_start(step, view)  -> execute -> update
    for each MoE layer l:                      (the forward reaches the layer)
        plan = policy.on_gate_preview(l + 1, ...) -> execute -> update   (wants_gate_preview)
        plan = policy.on_layer(l, routing, view)  -> execute -> update

``decode_rounds`` is that loop, ``StepDriver`` the hooks, the run counters and the policy's own
time. What differs between the users is only what is behind two seams:

* the **executor** (``PlanExecutor``): the engine's moves tensors through a link and runs the
  experts; the simulator's advances a clock by a cost model;
* the **forwards** (``Forwards``): the engine runs the offloaded model (its layers call
  ``StepDriver.layer``); the simulator reads the routes of a trace.

Every hook is timed here, so planning time is measured the same way for both; the simulator
adds it to its clock through ``charge`` (the engine's clock is the wall clock: nothing to add).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from expertflow_runtime.plan import CacheView, ExecResult, LayerRouting, Phase, Plan, PlanError, StepInfo

Contexts = tuple[tuple[int, ...], ...]


@dataclass
class RunCounters:
    """Sums over every executed plan of one run (the one place they are added up)."""

    hits: int = 0
    misses: int = 0
    loaded: int = 0
    prefetched: int = 0
    wasted: int = 0
    bytes_moved: int = 0
    stall_s: float = 0.0
    late_prefetch_waits: int = 0
    plans: int = 0
    copy_ops: int = 0  # copies issued (loads + prefetches)
    evictions: int = 0

    def add(self, r: ExecResult) -> None:
        self.hits += len(r.hits)
        self.misses += len(r.misses)
        self.loaded += len(r.loaded)
        self.prefetched += len(r.prefetched)
        self.wasted += len(r.wasted)
        self.bytes_moved += r.bytes_moved
        self.stall_s += r.stall_s
        self.late_prefetch_waits += r.late_prefetch_waits
        self.plans += 1
        self.copy_ops += len(r.loaded) + len(r.prefetched)
        self.evictions += len(r.evicted)

    def cache_metrics(self) -> dict[str, float | int]:
        """The run's cache figures. ``hit_rate`` counts a prefetch still in flight when its
        expert is computed as a hit; ``on_time_hit_rate`` counts only copies that had landed (no
        wait); ``in_flight_hits`` are the hits left out of it (their copy was still in flight
        when the compute came, so it waited)."""
        computed = max(1, self.hits + self.misses)
        return dict(hit_rate=self.hits / computed,
                    on_time_hit_rate=(self.hits - self.late_prefetch_waits) / computed,
                    in_flight_hits=self.late_prefetch_waits,
                    hits=self.hits, misses=self.misses, experts_loaded=self.loaded + self.prefetched,
                    bytes_moved=self.bytes_moved, stall_s=self.stall_s, wasted_prefetches=self.wasted,
                    prefetches=self.prefetched, evictions=self.evictions)


@dataclass(frozen=True)
class HookTime:
    """One policy hook: its wall time and, of it, the predictor's and scheduler's own time
    (from the policy's ``overheads()``, zero for a policy without one)."""

    wall_s: float
    predictor_s: float
    predictor_calls: int
    scheduler_s: float


class PlanExecutor(Protocol):
    """What carries out plans: ``executor.Executor`` (tensors) or ``simulator.SimExecutor``."""

    def view(self) -> CacheView: ...

    def execute(self, plan: Plan, compute: Any = None) -> ExecResult: ...

    def begin_step(self, step: int, tokens: int) -> None: ...

    def warm(self, plan: Plan) -> None: ...


class Forwards(Protocol):
    """The forward passes a decode loop drives; sequences are named by pool index [0, P)."""

    def contexts(self, members: list[int]) -> Contexts: ...  # every token so far, per member

    def prefill_tokens(self, members: list[int]) -> list[int]: ...  # tokens each feeds at prefill

    def prefill(self, group: int, members: list[int]) -> None: ...

    def decode(self, group: int, members: list[int]) -> None: ...

    def prefill_done(self) -> None: ...  # every micro-batch prefilled

    def next_round(self) -> None: ...  # the tokens of the last forwards join the contexts

    def permute(self, perm: list[int]) -> None: ...  # new pool position i = old position perm[i]

    def finish(self) -> None: ...  # the last tokens join; copies drained


class StepDriver:
    """Calls ``policy``'s hooks, has ``executor`` carry out their plans, feeds the results back,
    adds them up (``counters``) and times every hook (``planning_s``; ``charge`` is called with
    each ``HookTime`` when given)."""

    def __init__(self, policy, executor: PlanExecutor, *,
                 charge: Callable[[HookTime], None] | None = None) -> None:
        self.policy, self.executor, self.charge = policy, executor, charge
        self.counters = RunCounters()
        self.step = 0
        self.phase = Phase.PREFILL
        self.planning_s = 0.0  # every hook, measured
        self.decode_planning_s = 0.0  # decode-step hooks less predictor and scheduler
        self.decode_steps = 0
        self._overheads = getattr(policy, "overheads", None)

    def _spent(self) -> tuple[float, int, float]:
        o = self._overheads() if self._overheads else {}
        return o.get("predictor_s", 0.0), o.get("predictor_calls", 0), o.get("scheduler_s", 0.0)

    def hook(self, fn, *args):
        """``fn(*args)``, timed."""
        before = self._spent()
        start = time.perf_counter()
        out = fn(*args)
        wall = time.perf_counter() - start
        after = self._spent()
        spent = HookTime(wall, after[0] - before[0], after[1] - before[1], after[2] - before[2])
        self.planning_s += wall
        if self.phase is Phase.DECODE:
            self.decode_planning_s += wall - spent.predictor_s - spent.scheduler_s
        if self.charge is not None:
            self.charge(spent)
        return out

    def execute(self, plan: Plan, compute: Any = None) -> ExecResult:
        result = self.executor.execute(plan, compute)
        self.counters.add(result)
        self.hook(self.policy.update, plan, result)
        return result

    def warm_start(self) -> None:
        """The policy's warm start, before the timed region: neither counted nor timed."""
        warm = getattr(self.policy, "warm_start", None)
        if warm is not None:
            self.executor.warm(warm(self.executor.view()))

    def start_step(self, phase: Phase, contexts: Contexts, new: list[int],
                   upcoming: Contexts = ()) -> None:
        self.phase = phase
        self.decode_steps += phase is Phase.DECODE
        self.executor.begin_step(self.step, sum(new))
        info = StepInfo(self.step, phase, contexts, tuple(new), upcoming)
        self.execute(self.hook(self.policy.on_step_start, info, self.executor.view()))

    def end_step(self) -> None:
        self.step += 1

    def layer(self, layer: int, routing: LayerRouting, compute: Any = None,
              preview: Callable[[], LayerRouting | None] | None = None) -> ExecResult:
        """One MoE layer: the gate preview of the next layer when the policy wants it (``preview``
        gives its routing, or None where there is no next layer), then the layer's own plan,
        which must compute every routed expert."""
        if preview is not None and self.policy.wants_gate_preview:
            ahead = preview()
            if ahead is not None:
                self.execute(self.hook(self.policy.on_gate_preview, layer + 1, ahead,
                                       self.executor.view()))
        plan = self.hook(self.policy.on_layer, layer, routing, self.executor.view())
        missing = set(routing.experts) - {k.expert for k in plan.computes if k.layer == layer}
        if missing:
            raise PlanError(f"layer {layer}: plan does not compute routed experts {sorted(missing)}")
        return self.execute(plan, compute)

    def regroup(self, pool: StepInfo, batch: int) -> list[int] | None:
        return self.hook(self.policy.regroup, pool, batch)


@dataclass
class Rounds:
    """What ``decode_rounds`` did: forwards by phase and how often the pool was regrouped."""

    prefill_steps: int = 0
    decode_steps: int = 0
    regroups: int = 0


def decode_rounds(driver: StepDriver, forwards: Forwards, *, groups: int, batch: int,
                  new_tokens: int) -> Rounds:
    """Prefill every micro-batch, then ``new_tokens - 1`` decode rounds (prefill gives the first
    token of every sequence)."""
    pool = groups * batch
    order = list(range(pool))  # pool position -> sequence
    done = Rounds()
    regroup = getattr(driver.policy, "wants_regroup", False) and groups > 1
    for g in range(groups):
        members = order[g * batch : (g + 1) * batch]
        driver.start_step(Phase.PREFILL, forwards.contexts(members),
                          forwards.prefill_tokens(members))
        forwards.prefill(g, members)
        driver.end_step()
        done.prefill_steps += 1
    forwards.prefill_done()
    for _ in range(1, new_tokens):
        forwards.next_round()
        if regroup:
            info = StepInfo(driver.step, Phase.DECODE, forwards.contexts(order), (1,) * pool)
            perm = driver.regroup(info, batch)
            if perm is not None:
                order = [order[i] for i in perm]
                forwards.permute(perm)
                done.regroups += 1
        for g in range(groups):
            members = order[g * batch : (g + 1) * batch]
            # the next micro-batch of this round: its tokens are known (the first micro-batch of
            # the next round is not: it waits for the regroup, which needs this one's tokens)
            upcoming = forwards.contexts(order[(g + 1) * batch : (g + 2) * batch])
            driver.start_step(Phase.DECODE, forwards.contexts(members), [1] * len(members),
                              upcoming)
            forwards.decode(g, members)
            driver.end_step()
            done.decode_steps += 1
    forwards.finish()
    return done
