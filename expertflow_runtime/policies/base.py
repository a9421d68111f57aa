"""The Policy protocol and the shared wave planner every per-layer policy builds on.

A policy is pure: it reads ids and counters (``CacheView``, ``LayerRouting``, ``StepInfo``) and
returns a ``Plan``; it imports no torch and does no I/O. Hooks, in the order the engine calls them
within one step::

    warm_start(view)                     -> Plan  # once, before the timed region
    on_step_start(step, view)            -> Plan  # before layer 0: a predictor-driven policy
                                                  # prefetches for every layer here
    for each MoE layer l:
        on_gate_preview(l + 1, routing, view) -> Plan  # only if wants_gate_preview: layer l+1's
                                                  # gate applied by the executor to layer l's
                                                  # MoE input (ids/scores, computed outside)
        on_layer(l, routing, view)       -> Plan  # the router's real choice for layer l
    and after every executed plan: update(plan, result)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class Policy(Protocol):
    name: str
    wants_gate_preview: bool

    def attach(self, spec: CacheSpec) -> None: ...

    def warm_start(self, view: CacheView) -> Plan: ...

    def on_step_start(self, step: StepInfo, view: CacheView) -> Plan: ...

    def on_gate_preview(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan: ...

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan: ...

    def update(self, plan: Plan, result: ExecResult) -> None: ...


class BasePolicy:
    """Defaults: no step-start or preview action, on-demand waves at each layer, no memory.

    Subclasses override ``victim_order`` (who leaves first) and the hooks they need.
    """

    name = "base"
    wants_gate_preview = False
    needs_full_budget = False  # all-resident: the budget must hold every expert

    def __init__(self) -> None:
        self.spec: CacheSpec | None = None

    def attach(self, spec: CacheSpec) -> None:
        self.spec = spec

    def warm_start(self, view: CacheView) -> Plan:
        """Experts to place before the timed run starts (PREFETCH/EVICT only); waited for."""
        return EMPTY_PLAN

    def on_step_start(self, step: StepInfo, view: CacheView) -> Plan:
        return EMPTY_PLAN

    def on_gate_preview(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        return EMPTY_PLAN

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        return plan_waves(
            layer,
            routing.experts,
            view,
            capacity=self.layer_capacity(view),
            victim_order=lambda keys: self.victim_order(layer, keys, view),
        )

    def update(self, plan: Plan, result: ExecResult) -> None:
        return None

    # -- shared by subclasses ---------------------------------------------------------------
    def layer_capacity(self, view: CacheView) -> int:
        return view.per_layer_capacity()

    def victim_order(self, layer: int, keys: list[ExpertKey], view: CacheView) -> list[ExpertKey]:
        """Order in which resident keys of ``layer`` may leave (first = evicted first)."""
        return sorted(keys)


def plan_waves(
    layer: int,
    required: Iterable[int],
    view: CacheView,
    *,
    capacity: int,
    victim_order: Callable[[list[ExpertKey]], list[ExpertKey]],
    protect: frozenset[ExpertKey] = frozenset(),
    shared: bool = False,
    rank_computed: bool = False,
) -> Plan:
    """Plan one layer within ``capacity`` slots: copies issued as early as a slot allows.

    This is the executor side every non-predictive policy shares with ExpertFlow's planner: the
    policy decides only who may leave (``victim_order``, ``protect``) and how many slots it may
    hold; when each copy is issued and in which order experts compute is decided here, the same
    way for all of them. A LOAD never blocks where it is issued (the compute that reads it
    waits), so:

    1. every miss that can get a slot now — a free one, or an idle expert's (one this layer does
       not need, in ``victim_order``) — is LOADed before anything computes;
    2. held experts compute, landed ones first, then those still in flight;
    3. the misses still without a slot take, one per compute, the slot of an expert this layer
       has already computed (oldest first, keys in ``protect`` last), and compute in the order
       they were loaded.

    So a batch whose union of experts exceeds the budget streams through the slots with each
    copy overlapping the computes before it. Slot decisions (which experts stay) are those of
    the policy alone: the experts left at the end are the last ones computed plus the idle ones
    the policy kept.

    ``shared``: the policy owns the global table (``capacity`` counts every layer's slots and
    idle experts of any layer may leave); otherwise only this layer's. ``rank_computed``: when
    the layer needs more experts than its slots, which of them stay is the policy's choice too:
    misses load in ``victim_order`` (the ones it values most last) and a computed expert gives
    up its slot in that order, instead of oldest computed first (LRU's order).

    Invariant: the scope never holds more than ``capacity`` slots, and never more than the global
    table allows (``view.free`` slots may be taken beyond what is held).
    """
    need = [ExpertKey(layer, e) for e in sorted(set(required))]
    needed = set(need)
    held = set(view.resident | view.in_flight) if shared else view.layer_keys(layer)
    hits = sorted((k for k in need if view.held(k)), key=lambda k: (k in view.in_flight, k.expert))
    misses = [k for k in need if not view.held(k)]
    if rank_computed and len(misses) > 1:
        misses = victim_order(misses)
    idle = victim_order([k for k in held if k not in needed])
    in_scope, global_free = len(held), view.free
    ops: list[Op] = []
    queue = list(hits)  # compute order; loaded misses join it as they are issued
    waiting: list[ExpertKey] = []
    for k in misses:
        if in_scope < capacity and global_free > 0:
            in_scope += 1
            global_free -= 1
        elif idle:
            ops.append(Op(OpKind.EVICT, idle.pop(0)))
        else:
            waiting.append(k)
            continue
        ops.append(Op(OpKind.LOAD, k))
        queue.append(k)
    computed: list[ExpertKey] = []  # computed and still holding their slot
    i = 0
    while i < len(queue):
        k = queue[i]
        ops.append(Op(OpKind.COMPUTE, k))
        computed.append(k)
        i += 1
        if waiting:
            ranked = victim_order(computed) if rank_computed else computed
            first = next((c for c in ranked if c not in protect), ranked[0])
            pick = computed.index(first)
            ops.append(Op(OpKind.EVICT, computed.pop(pick)))
            ops.append(Op(OpKind.LOAD, waiting[0]))
            queue.append(waiting.pop(0))
    if waiting:
        raise ValueError(f"layer {layer}: no slot for {waiting[0]} with capacity {capacity}")
    return Plan(ops=tuple(ops), layer=layer)


def prefetch_into_layer(
    layer: int,
    wanted: Iterable[int],
    view: CacheView,
    *,
    capacity: int,
    victim_order: Callable[[list[ExpertKey]], list[ExpertKey]],
) -> Plan:
    """Prefetch the best ``capacity`` of the ``wanted`` experts of ``layer`` (best first).

    Evicts experts of the layer outside that set (in ``victim_order``) to make room; never evicts
    a wanted one and never exceeds the global free slots.
    """
    # Only the best ``capacity`` can be held at once; the rest must not shield idle experts.
    wanted_keys = [ExpertKey(layer, e) for e in dict.fromkeys(wanted)][:capacity]
    held = view.layer_keys(layer)
    victims = victim_order([k for k in held if k not in set(wanted_keys)])
    in_layer = len(held)
    global_free = view.free
    ops: list[Op] = []
    for k in wanted_keys:
        if k in held:
            continue
        if in_layer < capacity and global_free > 0:
            in_layer += 1
            global_free -= 1
        elif victims:
            ops.append(Op(OpKind.EVICT, victims.pop(0)))
        else:
            break
        ops.append(Op(OpKind.PREFETCH, k))
    return Plan(ops=tuple(ops), layer=None)
