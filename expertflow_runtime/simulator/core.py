"""Trace-driven discrete-event simulator: the real policies, a cost model instead of tensors.

Only the executor is replaced, so a simulated result is evidence about the real policies: the
decode loop and every policy hook are the engine's own (``step_driver``), with the router's
choices read from a routing trace (``TraceForwards``) and plans carried out on a clock
(``SimExecutor``, the cost model).
Two resources advance in time:

* the **compute stream** runs, per layer, attention/router then the experts of the plan in order;
  a COMPUTE waits until its expert has landed (that wait is stall time);
* the **link** copies one expert at a time. PREFETCHes queue FIFO; a LOAD (a miss) jumps the
  queue but does not pre-empt the copy in progress. Copies overlap compute.

``on_gate_preview`` (pregated) gets the trace's true next-layer routes, an upper bound of
the engine's gate-on-current-hidden preview. Every policy hook's own wall time on this machine
is added to the compute stream (host-side planning is on the critical path in the engine too),
and the policy's predictor/scheduler time is reported separately when it exposes
``overheads()``.

Workload: ``groups`` micro-batches of ``batch`` sequences decode in rounds (group 0, then 1, ...);
a policy with ``wants_regroup`` may permute the pool at the start of each decode round.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

import numpy as np

from expertflow_runtime.plan import (
    CacheSpec,
    CacheView,
    ExecResult,
    ExpertKey,
    LayerRouting,
    OpKind,
    Plan,
    PlanError,
)
from expertflow_runtime.simulator.cost import CostModel
from expertflow_runtime.step_driver import HookTime, StepDriver, decode_rounds
from expertflow_runtime.trace import DECODE, RoutingTrace


class Link:
    """One copy engine: FIFO prefetches, LOADs ahead of queued prefetches, no pre-emption."""

    def __init__(self, transfer_s: float) -> None:
        self.transfer_s = transfer_s
        self.busy_until = 0.0
        self.queue: deque[tuple[ExpertKey, float]] = deque()  # issued, not started
        self.landing: dict[ExpertKey, float] = {}  # started copies: when they land

    def _start(self, key: ExpertKey, issued: float) -> None:
        start = max(self.busy_until, issued)
        self.busy_until = start + self.transfer_s
        self.landing[key] = self.busy_until

    def advance(self, now: float) -> None:
        """Start every queued prefetch whose turn came before ``now``."""
        while self.queue and max(self.busy_until, self.queue[0][1]) <= now:
            self._start(*self.queue.popleft())

    def prefetch(self, key: ExpertKey, now: float) -> None:
        self.queue.append((key, now))

    def load(self, key: ExpertKey, now: float) -> None:
        self.advance(now)
        self._start(key, now)

    def land_time(self, key: ExpertKey) -> float:
        """When ``key`` lands; a still-queued copy is started now in queue order."""
        while key not in self.landing and self.queue:
            self._start(*self.queue.popleft())
        return self.landing[key]


class SimExecutor:
    """Carries out plans on simulated time; mirrors the engine executor's accounting."""

    def __init__(self, cost: CostModel, capacity: int, num_layers: int, num_experts: int) -> None:
        self.cost, self.capacity = cost, capacity
        self.num_layers, self.num_experts = num_layers, num_experts
        self.link = Link(cost.transfer_s)
        self.now = 0.0
        self.resident: set[ExpertKey] = set()
        self.in_flight: set[ExpertKey] = set()
        self.unused_prefetch: set[ExpertKey] = set()
        self.peak = 0
        self.step = 0

    def view(self) -> CacheView:
        self._land()
        return CacheView(self.capacity, self.num_layers, self.num_experts,
                         frozenset(self.resident), frozenset(self.in_flight), self.step)

    def begin_step(self, step: int, tokens: int) -> None:
        """A forward of ``tokens`` tokens starts: its non-layer work passes on the clock."""
        self.step = step
        self.now += self.cost.forward_s(tokens)

    def warm(self, plan: Plan) -> None:
        """A warm start, before the timed run as in the engine: its copies land for free."""
        for k in plan.prefetches:
            self.resident.add(k)
        self.peak = len(self.resident)

    def _land(self) -> None:
        self.link.advance(self.now)
        for k in [k for k in self.in_flight if self.link.landing.get(k, np.inf) <= self.now]:
            self.in_flight.discard(k)
            self.resident.add(k)

    def _wait(self, key: ExpertKey, result: ExecResult) -> float:
        """Advance to when ``key`` has landed; the seconds waited."""
        waited = 0.0
        if key in self.in_flight:
            t = self.link.land_time(key)
            if t > self.now:  # the compute path blocks, then takes a while to resume
                resumed = t + self.cost.wait_resume_s
                waited = resumed - self.now
                result.stall_s += waited
                self.now = resumed
            self._land()
        return waited

    def execute(self, plan: Plan, tokens_per_expert: dict[int, int] | None = None) -> ExecResult:
        """Carry out ``plan``; ``tokens_per_expert`` (the layer's routed counts) sizes each
        COMPUTE's cost (1 token where absent)."""
        result = ExecResult()
        self._land()
        held_at_start = self.resident | self.in_flight
        for op in plan.ops:
            k = op.key
            if op.kind is OpKind.EVICT:
                if k in self.in_flight:  # as in the engine: the copy lands before the slot is reused
                    self._wait(k, result)
                if k in self.unused_prefetch:
                    result.wasted.append(k)
                    self.unused_prefetch.discard(k)
                self.resident.discard(k)
                self.in_flight.discard(k)
                self.link.landing.pop(k, None)
                result.evicted.append(k)
            elif op.kind in (OpKind.LOAD, OpKind.PREFETCH):
                if k in self.resident or k in self.in_flight:
                    continue
                if len(self.resident) + len(self.in_flight) >= self.capacity:
                    raise PlanError(f"{op.kind.value} {k} exceeds the budget of {self.capacity} slots")
                self.in_flight.add(k)
                self.now += self.cost.copy_issue_s
                result.bytes_moved += self.cost.expert_bytes
                if op.kind is OpKind.LOAD:
                    self.link.load(k, self.now)
                    result.loaded.append(k)
                else:
                    self.link.prefetch(k, self.now)
                    result.prefetched.append(k)
                    self.unused_prefetch.add(k)
                self.peak = max(self.peak, len(self.resident) + len(self.in_flight))
            elif op.kind is OpKind.COMPUTE:
                if k not in self.resident and k not in self.in_flight:
                    raise PlanError(f"compute of {k}, which is not on the device")
                hit = k in held_at_start and k not in result.loaded
                (result.hits if hit else result.misses).append(k)
                waited = self._wait(k, result)
                result.late_prefetch_waits += int(hit and waited > 0)
                self.unused_prefetch.discard(k)
                n = (tokens_per_expert or {}).get(k.expert, 1)
                self.now += self.cost.expert_s(n)
        result.peak_slots = self.peak
        return result


@dataclass
class SimResult:
    """One policy's simulated run. Times in seconds; rates per second."""

    policy: str
    tokens_per_s: float
    hit_rate: float
    on_time_hit_rate: float  # hits whose copy had landed when the compute came (no wait)
    ttft_s: float
    tpot_s: float
    experts_loaded: int
    bytes_moved: int
    stall_s: float
    peak_slots: int
    wall_s: float
    decode_tokens: int
    predictor_s_per_step: float = 0.0
    scheduler_s_per_step: float = 0.0
    planning_s_per_step: float = 0.0  # all policy hooks, measured here (charged or not)
    in_flight_hits: int = 0  # hits whose copy was still in flight at the compute (they waited)
    hits: int = 0
    misses: int = 0
    prefetches: int = 0  # of experts_loaded, the background copies
    # device memory at the full-size shape: the most expert slots the run occupied at once,
    # plus the weights that stay (from the cost model; 0 when it does not know them)
    peak_expert_bytes: int = 0
    peak_device_bytes: int = 0
    resident_bytes_all: int = 0  # the same weights with every expert held (all-resident)
    memory_source: str = "simulated: occupied slots x expert bytes + non-expert weights"
    # the policy's own decisions per decode step: hooks less route source and scheduler
    decode_planning_s_per_step: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _pool(trace: RoutingTrace, n: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """First n sequences: (tokens, experts, prompt length), cut to a common decode length."""
    if trace.num_sequences < n:
        raise ValueError(f"trace holds {trace.num_sequences} sequences; the workload needs {n}")
    seqs = []
    for s in range(n):
        ids, ex = trace.sequence(s)
        a = int(trace.offsets[s])
        phase = trace.phase[a : a + len(ids)]
        prompt = int((phase != DECODE).sum()) or 1
        seqs.append((ids, ex, prompt))
    gen = min(len(ids) - p for ids, _, p in seqs)
    return [(ids[: p + gen], ex[: p + gen], p) for ids, ex, p in seqs]


class PolicyCharge:
    """What of a policy's own time the simulated clock is charged, per hook (``simulate``'s
    ``policy_time`` and ``predictor_call_s``); sums the predictor and scheduler time charged."""

    def __init__(self, executor: SimExecutor, policy_time: str,
                 predictor_call_s: float | None) -> None:
        if policy_time not in ("all", "overheads", "none"):
            raise ValueError(f"policy_time={policy_time!r}; valid: all, overheads, none")
        self.executor, self.mode, self.call_s = executor, policy_time, predictor_call_s
        self.predictor_s = self.scheduler_s = 0.0

    def __call__(self, spent: HookTime) -> None:
        pred = (spent.predictor_calls * self.call_s if self.call_s is not None
                else spent.predictor_s)
        self.predictor_s += pred
        self.scheduler_s += spent.scheduler_s
        if self.mode == "all":
            self.executor.now += spent.wall_s - spent.predictor_s + pred
        elif self.mode == "overheads":
            self.executor.now += pred + spent.scheduler_s


class TraceForwards:
    """``step_driver.Forwards`` read from a trace: each MoE layer's routes for the tokens a
    forward feeds, its attention/router cost on the clock, then the driver's layer hooks.
    ``seqs``: (tokens, experts [T, L, K], prompt length) per pool sequence."""

    def __init__(self, seqs: list[tuple[np.ndarray, np.ndarray, int]], driver: StepDriver,
                 executor: SimExecutor, cost: CostModel, num_layers: int) -> None:
        self.seqs, self.driver, self.ex, self.cost, self.L = seqs, driver, executor, cost, num_layers
        self.extra = 0  # generated tokens in every context
        self.t0 = executor.now
        self.ttft_s = 0.0

    def contexts(self, members: list[int]) -> tuple[tuple[int, ...], ...]:
        """Each member's prompt and its first ``extra`` generated tokens."""
        return tuple(tuple(int(t) for t in self.seqs[m][0][: self.seqs[m][2] + self.extra])
                     for m in members)

    def prefill_tokens(self, members: list[int]) -> list[int]:
        return [self.seqs[m][2] for m in members]

    def prefill(self, group: int, members: list[int]) -> None:
        self._forward(members, self.prefill_tokens(members))

    def decode(self, group: int, members: list[int]) -> None:
        self._forward(members, [1] * len(members))

    def prefill_done(self) -> None:
        self.ttft_s = self.ex.now - self.t0

    def next_round(self) -> None:
        self.extra += 1

    def permute(self, perm: list[int]) -> None:
        """The trace's sequences are read by index: only the KV caches' regroup costs time."""
        self.ex.now += self.cost.regroup_s

    def finish(self) -> None:
        """No copies to drain: the clock stops at the last compute."""

    def _rows(self, members: list[int], new: list[int], lengths: list[int],
              layer: int) -> tuple[tuple[int, ...], ...]:
        rows = (tuple(int(e) for e in self.seqs[m][1][t, layer] if e >= 0)
                for m, n, c in zip(members, new, lengths) for t in range(c - n, c))
        return tuple(r for r in rows if r)

    def _forward(self, members: list[int], new: list[int]) -> None:
        lengths = [self.seqs[m][2] + self.extra for m in members]
        context = sum(lengths)
        for layer in range(self.L):
            rows = self._rows(members, new, lengths, layer)
            if not rows:  # a layer these tokens never visit (Switch: encoder layers at decode)
                continue
            routing = LayerRouting(layer, rows)
            self.ex.now += self.cost.layer_s(len(rows), context)

            def preview(layer: int = layer) -> LayerRouting | None:
                # the engine applies layer l+1's gate to layer l's input; here the trace's true
                # l+1 routes stand in for it (an upper bound for ``pregated``)
                if layer + 1 >= self.L:
                    return None
                ahead = self._rows(members, new, lengths, layer + 1)
                return LayerRouting(layer + 1, ahead) if ahead else None

            self.driver.layer(layer, routing, routing.counts, preview)


def simulate(policy, trace: RoutingTrace, cost: CostModel, *, capacity: int, batch: int,
             groups: int = 1, max_new_tokens: int | None = None,
             policy_time: str = "all", predictor_call_s: float | None = None) -> SimResult:
    """Run ``policy`` over the first ``groups * batch`` sequences of ``trace``.

    ``policy_time``: what of the policy's own time is added to the simulated clock —
    ``"all"`` (the default everywhere): every hook's measured wall time on this machine, as in
    the engine, so every policy's own planning is charged like the predictor's and the
    scheduler's; ``"overheads"``: only the predictor's and scheduler's time (a diagnosis: how
    much planning costs a policy); ``"none"``: deterministic (tests). ``predictor_call_s``: charge
    this per predictor call instead of the measured time, for stand-in route sources (a trace
    lookup is not a predictor).

    Invariants checked as in the engine: the slot table never exceeds ``capacity`` (PlanError),
    and every routed expert is computed.
    """
    L, E, K = trace.num_layers, trace.num_experts, trace.top_k
    policy.attach(CacheSpec(num_layers=L, num_experts=E, top_k=K, capacity=capacity,
                            expert_bytes=cost.expert_bytes))
    ex = SimExecutor(cost, capacity, L, E)
    charge = PolicyCharge(ex, policy_time, predictor_call_s)
    seqs = _pool(trace, groups * batch)
    gen = min(len(i) - p for i, _, p in seqs)
    gen = gen if max_new_tokens is None else min(gen, max_new_tokens)
    driver = StepDriver(policy, ex, charge=charge)
    driver.warm_start()
    forwards = TraceForwards(seqs, driver, ex, cost, L)
    decode_rounds(driver, forwards, groups=groups, batch=batch, new_tokens=gen)
    wall, ttft, c = ex.now - forwards.t0, forwards.ttft_s, driver.counters
    decode_tokens = len(seqs) * max(gen - 1, 0)
    tokens = len(seqs) * gen  # the first token of each sequence comes out of prefill
    computed = c.hits + c.misses
    steps = max(driver.step, 1)
    return SimResult(
        policy=getattr(policy, "name", type(policy).__name__),
        tokens_per_s=tokens / wall if wall > 0 else 0.0,
        hit_rate=c.hits / computed if computed else 1.0,
        on_time_hit_rate=(c.hits - c.late_prefetch_waits) / computed if computed else 1.0,
        ttft_s=ttft,
        tpot_s=(wall - ttft) / max(gen - 1, 1) if gen > 1 else 0.0,  # one round = one token per sequence
        experts_loaded=c.loaded + c.prefetched,
        bytes_moved=c.bytes_moved,
        stall_s=c.stall_s,
        peak_slots=ex.peak,
        in_flight_hits=c.late_prefetch_waits,
        hits=c.hits,
        misses=c.misses,
        prefetches=c.prefetched,
        peak_expert_bytes=ex.peak * cost.expert_bytes,
        peak_device_bytes=ex.peak * cost.expert_bytes + cost.non_expert_bytes,
        resident_bytes_all=L * E * cost.expert_bytes + cost.non_expert_bytes,
        wall_s=wall,
        decode_tokens=decode_tokens,
        predictor_s_per_step=charge.predictor_s / steps,
        scheduler_s_per_step=charge.scheduler_s / steps,
        planning_s_per_step=driver.planning_s / steps,
        decode_planning_s_per_step=driver.decode_planning_s / max(1, driver.decode_steps),
    )
