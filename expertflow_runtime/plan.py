"""The one typed plan between a caching policy and the executor.

An engine step reads as three lines (as vLLM's SchedulerOutput -> runner -> update)::

    plan = policy.on_layer(layer, routing, view)    # or on_step_start / on_gate_preview
    result = executor.execute(plan)
    policy.update(plan, result)

Everything here is plain Python: ids, counters and frozen dataclasses. No torch, no I/O, so the
same policy objects drive the real engine and the trace-driven simulator (which replaces only the
executor by a cost model that consumes the same ``Plan``).

Ids: an expert is ``ExpertKey(layer, expert)``; layers count MoE layers only (0..L-1) and experts
the routed experts of that layer (0..E-1). Shared experts (DeepSeek, Qwen-MoE) are always resident
and never appear in a plan.

Budget: one global table of ``capacity`` device slots, each holding one routed expert. Per-layer
policies (lru, static, se-moe, ...) partition it as ``capacity // num_layers`` per layer; ExpertFlow
shares it across layers. A slot is used from the moment a load or prefetch is issued (in flight)
until the expert is evicted, so ``len(resident) + len(in_flight) <= capacity`` always holds; the
executor raises ``PlanError`` on a plan that would break it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple


class ExpertKey(NamedTuple):
    """One routed expert: ``layer`` in [0, L), ``expert`` in [0, E)."""

    layer: int
    expert: int


class OpKind(str, enum.Enum):
    EVICT = "evict"  # free the slot (waits for the copy first when it is still in flight)
    LOAD = "load"  # copy now on the high-priority path; the compute that reads it waits for it
    PREFETCH = "prefetch"  # copy in the background into a free slot; the step does not wait
    COMPUTE = "compute"  # run this expert for the tokens routed to it (waits if in flight)


@dataclass(frozen=True)
class Op:
    kind: OpKind
    key: ExpertKey


class Phase(str, enum.Enum):
    PREFILL = "prefill"
    DECODE = "decode"


@dataclass(frozen=True)
class Plan:
    """An ordered list of operations, executed in order.

    ``layer`` is the MoE layer the plan serves (None for a step-start plan, which may only EVICT
    and PREFETCH). A layer plan must COMPUTE every expert the router chose for that layer exactly
    once; the executor checks it. Slots freed by EVICT are reusable by later ops of the same plan,
    which is how a batch whose union of experts exceeds the budget runs in waves.
    """

    ops: tuple[Op, ...] = ()
    layer: int | None = None

    @property
    def evicts(self) -> list[ExpertKey]:
        return [o.key for o in self.ops if o.kind is OpKind.EVICT]

    @property
    def loads(self) -> list[ExpertKey]:
        return [o.key for o in self.ops if o.kind is OpKind.LOAD]

    @property
    def prefetches(self) -> list[ExpertKey]:
        return [o.key for o in self.ops if o.kind is OpKind.PREFETCH]

    @property
    def computes(self) -> list[ExpertKey]:
        return [o.key for o in self.ops if o.kind is OpKind.COMPUTE]

    def __add__(self, other: Plan) -> Plan:
        layer = self.layer if self.layer is not None else other.layer
        return Plan(ops=self.ops + other.ops, layer=layer)


EMPTY_PLAN = Plan()


@dataclass
class ExecResult:
    """What executing one plan did. Times in seconds, sizes in bytes.

    ``hits``: computed experts that were resident or in flight when the plan started;
    ``misses``: computed experts that had to be LOADed by this plan. ``stall_s`` is the time the
    compute path waited on copies (high-priority loads plus waits on late prefetches).
    ``wasted``: prefetched experts evicted before any compute used them.
    ``late_prefetch_waits``: hits whose prefetch was still in flight, so the compute waited.
    """

    hits: list[ExpertKey] = field(default_factory=list)
    misses: list[ExpertKey] = field(default_factory=list)
    loaded: list[ExpertKey] = field(default_factory=list)
    prefetched: list[ExpertKey] = field(default_factory=list)
    evicted: list[ExpertKey] = field(default_factory=list)
    wasted: list[ExpertKey] = field(default_factory=list)
    bytes_moved: int = 0
    stall_s: float = 0.0
    late_prefetch_waits: int = 0
    peak_slots: int = 0
    wall_s: float = 0.0


@dataclass(frozen=True)
class CacheView:
    """Read-only picture of the slot table a policy sees when it plans.

    ``resident``: experts whose copy has landed; ``in_flight``: issued copies not yet landed
    (both occupy slots). ``last_used``: per key, the global step counter of its last compute
    (absent if never computed since it was loaded).
    """

    capacity: int
    num_layers: int
    num_experts: int
    resident: frozenset[ExpertKey]
    in_flight: frozenset[ExpertKey]
    step: int = 0

    @property
    def used(self) -> int:
        return len(self.resident) + len(self.in_flight)

    @property
    def free(self) -> int:
        return self.capacity - self.used

    def per_layer_capacity(self) -> int:
        """Slots a per-layer policy may hold in each layer (an even partition of the table)."""
        return max(1, self.capacity // self.num_layers)

    def held(self, key: ExpertKey) -> bool:
        return key in self.resident or key in self.in_flight

    def layer_keys(self, layer: int) -> set[ExpertKey]:
        return {k for k in self.resident | self.in_flight if k.layer == layer}

    def after(self, plan: Plan) -> CacheView:
        """The table as it will be once ``plan`` ran (loads landed, prefetches in flight)."""
        resident, in_flight = set(self.resident), set(self.in_flight)
        for op in plan.ops:
            if op.kind is OpKind.EVICT:
                resident.discard(op.key)
                in_flight.discard(op.key)
            elif op.kind is OpKind.LOAD:
                in_flight.discard(op.key)
                resident.add(op.key)
            elif op.kind is OpKind.PREFETCH and op.key not in resident:
                in_flight.add(op.key)
        return CacheView(self.capacity, self.num_layers, self.num_experts, frozenset(resident),
                         frozenset(in_flight), self.step)


@dataclass(frozen=True)
class CacheSpec:
    """Model and budget facts a policy is attached to before a run."""

    num_layers: int
    num_experts: int
    top_k: int
    capacity: int  # global slot count (experts), >= num_layers for per-layer policies
    expert_bytes: int = 0


@dataclass(frozen=True)
class StepInfo:
    """Known at the start of an engine step, before any layer runs.

    ``token_ids``: per sequence of the batch, every token id so far (prompt + generated), so a
    predictor can read the whole context; ``new_tokens``: how many trailing tokens of each
    sequence this step feeds (prompt length at prefill, 1 at decode). ``upcoming``: the contexts
    the next step will feed, one new token each, when they are already known (grouped decoding:
    the next micro-batch of the same round); empty otherwise.
    """

    step: int
    phase: Phase
    token_ids: tuple[tuple[int, ...], ...]
    new_tokens: tuple[int, ...]
    upcoming: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class LayerRouting:
    """The router's choice for one MoE layer over the T tokens of this step.

    ``token_experts[t]`` are token t's top-k expert ids (K ints) in router order; ``scores`` the
    matching router weights when the caller has them (same shape) else None. ``experts`` is the
    sorted union, ``counts[e]`` the number of tokens routed to e.
    """

    layer: int
    token_experts: tuple[tuple[int, ...], ...]
    scores: tuple[tuple[float, ...], ...] | None = None

    @property
    def experts(self) -> list[int]:
        return sorted({e for row in self.token_experts for e in row})

    @property
    def counts(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for row in self.token_experts:
            for e in row:
                out[e] = out.get(e, 0) + 1
        return out


class PlanError(RuntimeError):
    """A plan broke an invariant (budget exceeded, compute of a non-resident expert, ...).

    Always a bug in the policy that produced it, never the user's input.
    """
