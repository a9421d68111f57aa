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

    # -- helpers for subclasses -------------------------------------------------------------
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
) -> Plan:
    """Plan one layer within ``capacity`` slots of that layer: hits first, misses in waves.

    Held experts (resident or in flight) are computed first. Each miss then needs a slot: a free
    one when the layer holds fewer than ``capacity``, else a victim — first an idle expert of this
    layer in ``victim_order``, then one already computed in this step (oldest first, keys in
    ``protect`` last), so a batch
    whose union of experts exceeds the budget streams through the slots. The experts left
    resident at the end are therefore the last ones computed plus the idle ones the policy kept.

    Invariant: the layer never holds more than ``capacity`` slots, and never more than the global
    table allows (``view.free`` slots may be taken beyond what the layer already holds).
    """
    need = [ExpertKey(layer, e) for e in sorted(set(required))]
    held = view.layer_keys(layer)
    ops: list[Op] = []
    hits = [k for k in need if k in held]
    misses = [k for k in need if k not in held]
    for k in hits:
        ops.append(Op(OpKind.COMPUTE, k))
    idle = victim_order([k for k in held if k not in set(need)])
    computed = list(hits)
    in_layer = len(held)
    global_free = view.free
    for k in misses:
        if in_layer < capacity and global_free > 0:
            in_layer += 1
            global_free -= 1
        elif idle:
            ops.append(Op(OpKind.EVICT, idle.pop(0)))
        elif computed:
            pick = next((i for i, c in enumerate(computed) if c not in protect), 0)
            ops.append(Op(OpKind.EVICT, computed.pop(pick)))
        else:
            raise ValueError(f"layer {layer}: no slot for {k} with capacity {capacity}")
        ops.append(Op(OpKind.LOAD, k))
        ops.append(Op(OpKind.COMPUTE, k))
        computed.append(k)
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
