"""The baseline caching policies. Pure: ids and counters in, ``Plan`` out.

* ``all-resident``: every expert on the device before the timed run (the upper limit; needs a
  budget of all experts).
* ``on-demand``: load what the router chose, free it after use; no reuse across steps.
* ``static``: the most popular experts of each layer (from a recorded routing profile) pinned;
  a miss borrows the slot of the least popular idle one, which is copied back after the layer.
* ``lru``: Cache-MoE's fixed per-layer LRU cache (Eliseev & Mazur 2023 style).
* ``se-moe``: SE-MoE's ring (Shen et al. 2022): while layer l runs, the slots of the layer that runs
  next (wrapping to the first layer of the next step) are refilled with the experts that layer used most in the previous
  step; there is no routing prediction beyond that history.
* ``pregated``: Pre-gated MoE (Hwang et al., ISCA 2024) trains a pre-gate; ours is the
  TRAINING-FREE variant: the next layer's own router is applied by the executor to the current
  layer's MoE input, and its top-k experts are prefetched for the next layer. Misses fall back to
  LRU.
"""

from __future__ import annotations

from collections.abc import Sequence

from expertflow_runtime.errors import BadInput
from expertflow_runtime.plan import (
    CacheView,
    ExecResult,
    ExpertKey,
    LayerRouting,
    Op,
    OpKind,
    Plan,
)
from expertflow_runtime.policies import register_policy
from expertflow_runtime.policies.base import BasePolicy, plan_waves, prefetch_into_layer


class RecencyPolicy(BasePolicy):
    """Tracks a logical clock of computes; victims leave least recently used first."""

    def __init__(self) -> None:
        super().__init__()
        self._clock = 0
        self.last_use: dict[ExpertKey, int] = {}

    def update(self, plan: Plan, result: ExecResult) -> None:
        for k in plan.computes:
            self._clock += 1
            self.last_use[k] = self._clock

    def victim_order(self, layer: int, keys: list[ExpertKey], view: CacheView) -> list[ExpertKey]:
        return sorted(keys, key=lambda k: (self.last_use.get(k, -1), k.expert))


@register_policy("all-resident")
class AllResident(BasePolicy):
    name = "all-resident"
    needs_full_budget = True

    def warm_start(self, view: CacheView) -> Plan:
        assert self.spec is not None
        keys = [ExpertKey(layer, e) for layer in range(self.spec.num_layers)
                for e in range(self.spec.num_experts)]
        return Plan(ops=tuple(Op(OpKind.PREFETCH, k) for k in keys if not view.held(k)))

    def layer_capacity(self, view: CacheView) -> int:
        return view.num_experts


@register_policy("on-demand")
class OnDemand(BasePolicy):
    name = "on-demand"

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        plan = super().on_layer(layer, routing, view)
        # Free every slot the layer holds once its experts ran: nothing survives the step.
        held = set(view.layer_keys(layer))
        for op in plan.ops:
            if op.kind is OpKind.EVICT:
                held.discard(op.key)
            elif op.kind is OpKind.LOAD:
                held.add(op.key)
        frees = tuple(Op(OpKind.EVICT, k) for k in sorted(held))
        return Plan(ops=plan.ops + frees, layer=layer)


@register_policy("static")
class Static(BasePolicy):
    """``popularity``: [L][E] numbers (any scale), e.g. ``RoutingTrace.popularity()``.

    With c slots per layer the c-1 most popular experts are pinned and one slot streams the
    misses; with c = 1 the one pinned expert lends its slot to a miss and is copied back after.
    """

    name = "static"

    def __init__(self, popularity: Sequence[Sequence[float]] | None = None) -> None:
        super().__init__()
        if popularity is None:
            raise BadInput("policy 'static' needs a routing profile (popularity=[L][E])")
        self.popularity = [list(map(float, row)) for row in popularity]
        self.pinned: frozenset[ExpertKey] = frozenset()

    def _rank(self, layer: int) -> list[int]:
        row = self.popularity[layer]
        return sorted(range(len(row)), key=lambda e: (-row[e], e))

    def warm_start(self, view: CacheView) -> Plan:
        pins = max(1, view.per_layer_capacity() - 1)
        self.pinned = frozenset(ExpertKey(layer, e) for layer in range(view.num_layers)
                                for e in self._rank(layer)[:pins])
        return Plan(ops=tuple(Op(OpKind.PREFETCH, k) for k in sorted(self.pinned)
                              if not view.held(k)))

    def victim_order(self, layer: int, keys: list[ExpertKey], view: CacheView) -> list[ExpertKey]:
        row = self.popularity[layer]
        return sorted(keys, key=lambda k: (k in self.pinned, row[k.expert], k.expert))

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        plan = plan_waves(layer, routing.experts, view, capacity=self.layer_capacity(view),
                          victim_order=lambda keys: self.victim_order(layer, keys, view),
                          protect=self.pinned)
        after = view.after(plan)
        # Restore the static set if a pinned expert had to lend its slot.
        missing = sorted(k for k in self.pinned if k.layer == layer and not after.held(k))
        if not missing:
            return plan
        held = sorted(after.layer_keys(layer) - self.pinned)
        ops = [Op(OpKind.EVICT, k) for k in held[:len(missing)]]
        ops += [Op(OpKind.PREFETCH, k) for k in missing[:len(ops) + after.free]]
        return Plan(ops=plan.ops + tuple(ops), layer=layer)


@register_policy("lru")
class LRU(RecencyPolicy):
    name = "lru"


@register_policy("se-moe")
class SEMoE(RecencyPolicy):
    name = "se-moe"

    def __init__(self) -> None:
        super().__init__()
        self.prev_counts: dict[int, dict[int, int]] = {}
        # The ring follows the order layers actually ran (decoder-only: 0..L-1 then wrap; Switch
        # at decode: only the decoder's layers), learned from the calls themselves.
        self.next_of: dict[int, int] = {}
        self._last: int | None = None

    def on_layer(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        plan = super().on_layer(layer, routing, view)
        self.prev_counts[layer] = routing.counts
        if self._last is not None and self._last != layer:
            self.next_of[self._last] = layer
        self._last = layer
        nxt = self.next_of.get(layer, (layer + 1) % view.num_layers)
        counts = self.prev_counts.get(nxt)
        if not counts:
            return plan
        after = view.after(plan)
        wanted = sorted(counts, key=lambda e: (-counts[e], e))
        ring = prefetch_into_layer(
            nxt, wanted, after, capacity=self.layer_capacity(view),
            victim_order=lambda keys: self.victim_order(nxt, keys, after))
        return Plan(ops=plan.ops + ring.ops, layer=layer)


@register_policy("pregated")
class PreGated(RecencyPolicy):
    name = "pregated"
    wants_gate_preview = True

    def on_gate_preview(self, layer: int, routing: LayerRouting, view: CacheView) -> Plan:
        counts = routing.counts
        wanted = sorted(counts, key=lambda e: (-counts[e], e))
        return prefetch_into_layer(
            layer, wanted, view, capacity=self.layer_capacity(view),
            victim_order=lambda keys: self.victim_order(layer, keys, view))


__all__ = ["AllResident", "LRU", "OnDemand", "PreGated", "RecencyPolicy", "SEMoE", "Static"]
