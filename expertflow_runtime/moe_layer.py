"""The per-layer MoE step: routing -> plan -> execute (with compute) -> update.

``LayerRuntime.run_layer`` is what every ``OffloadedExperts`` module calls. Legend: T tokens of
this forward, H hidden, K top-k, E routed experts (index E = routes nowhere).

Outputs are accumulated in ascending expert order whatever order the plan computed them in, so
every policy produces bit-identical hidden states to all-resident (and to transformers' own eager
experts loop, which also adds experts in ascending order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import nn

from expertflow_runtime.executor import Executor
from expertflow_runtime.plan import ExecResult, ExpertKey, LayerRouting, Plan, PlanError
from expertflow_runtime.policies.base import Policy

if TYPE_CHECKING:
    from expertflow_runtime.forced_routes import ForcedRoutes


@dataclass
class RunCounters:
    """Sums over every executed plan of one run."""

    hits: int = 0
    misses: int = 0
    loaded: int = 0
    prefetched: int = 0
    wasted: int = 0
    bytes_moved: int = 0
    stall_s: float = 0.0
    late_prefetch_waits: int = 0
    plans: int = 0

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

    def cache_metrics(self) -> dict[str, float | int]:
        """The run's cache figures, as both decoding loops report them. ``hit_rate`` counts a
        prefetch still in flight when its expert is computed as a hit; ``on_time_hit_rate``
        counts only copies that had landed (no wait); ``in_flight_hits`` are the hits left out of
        it (their copy was still in flight when the compute came, so it waited)."""
        computed = max(1, self.hits + self.misses)
        return dict(hit_rate=self.hits / computed,
                    on_time_hit_rate=(self.hits - self.late_prefetch_waits) / computed,
                    in_flight_hits=self.late_prefetch_waits,
                    hits=self.hits, misses=self.misses, experts_loaded=self.loaded + self.prefetched,
                    bytes_moved=self.bytes_moved, stall_s=self.stall_s, wasted_prefetches=self.wasted)


@dataclass
class LayerRuntime:
    """Shared by all offloaded layers of one model; re-armed per run with a policy/executor."""

    num_experts: int
    act: Callable[[torch.Tensor], torch.Tensor]
    gated: bool
    policy: Policy | None = None
    executor: Executor | None = None
    counters: RunCounters = field(default_factory=RunCounters)
    # next_router[l] = (router module, is_switch) of the MoE layer run after layer l
    next_router: dict[int, tuple[nn.Module, bool]] = field(default_factory=dict)
    token_mask: torch.Tensor | None = None  # [T] bool: False = padding, routes nowhere
    step_routes: dict[int, torch.Tensor] = field(default_factory=dict)  # layer -> [T, K] cpu
    record_weights: bool = False
    step_weights: dict[int, torch.Tensor] = field(default_factory=dict)
    forced: ForcedRoutes | None = None  # recorded real routes in place of the router's

    def execute(self, plan: Plan, compute=None) -> ExecResult:
        assert self.executor is not None and self.policy is not None
        result = self.executor.execute(plan, compute)
        self.policy.update(plan, result)
        self.counters.add(result)
        return result

    def run_layer(self, layer: int, hidden: torch.Tensor, index: torch.Tensor,
                  weights: torch.Tensor) -> torch.Tensor:
        E = self.num_experts
        if self.forced is not None:
            index, weights = self.forced.apply(layer, index, weights, E, self.token_mask)
        if self.token_mask is not None and self.token_mask.numel() == index.shape[0]:
            index = torch.where(self.token_mask.to(index.device)[:, None], index,
                                torch.full_like(index, E))  # [T, K]
        index_cpu = index.to("cpu", torch.int64)  # the policy needs ids on the host
        self.step_routes[layer] = index_cpu
        if self.record_weights:
            self.step_weights[layer] = weights.detach().to("cpu", torch.float32)
        routing = LayerRouting(layer, tuple(tuple(e for e in row if e < E)
                                            for row in index_cpu.tolist()
                                            if any(e < E for e in row)))
        policy = self.policy
        assert policy is not None and self.executor is not None
        if policy.wants_gate_preview and layer in self.next_router:
            if self.forced is not None:
                # the true next-layer routes stand in for the gate's preview (an upper bound)
                nidx = self.forced.index(layer + 1, index.shape[0], self.token_mask)  # [T, K]
                nidx = nidx[nidx[:, 0] >= 0]  # padding rows route nowhere
            else:
                router, switch = self.next_router[layer]
                from expertflow_runtime.adapters import route  # local: adapters imports this module

                with torch.no_grad():
                    nidx, _ = route(router, hidden, switch)  # [T, K] predicted for layer + 1
                if self.token_mask is not None and self.token_mask.numel() == nidx.shape[0]:
                    nidx = nidx[self.token_mask.to(nidx.device)]
            preview = LayerRouting(layer + 1, tuple(map(tuple, nidx.cpu().tolist())))
            self.execute(policy.on_gate_preview(layer + 1, preview, self.executor.view()))

        # Token lists per expert: sort once, slice by counts.
        flat = index.reshape(-1)  # [T*K]
        order = torch.argsort(flat, stable=True)
        counts = torch.bincount(flat, minlength=E + 1).tolist()
        starts = [0]
        for c in counts:
            starts.append(starts[-1] + c)
        K = index.shape[1]
        outputs: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

        def compute(key: ExpertKey, w: tuple[torch.Tensor, torch.Tensor]) -> None:
            e = key.expert
            sel = order[starts[e]:starts[e + 1]]
            tok, pos = sel // K, sel % K
            x = hidden[tok]  # [n, H]
            first, second = w
            if self.gated:
                gate, up = nn.functional.linear(x, first).chunk(2, dim=-1)
                h = self.act(gate) * up
            else:
                h = self.act(nn.functional.linear(x, first))
            y = nn.functional.linear(h.to(second.dtype), second)  # [n, H]
            outputs[e] = (tok, y * weights[tok, pos, None])

        plan = policy.on_layer(layer, routing, self.executor.view())
        self.execute(plan, compute)
        required = set(routing.experts)
        if set(outputs) != required:
            raise PlanError(f"layer {layer}: plan computed {sorted(outputs)}, router chose "
                            f"{sorted(required)}")
        out = torch.zeros_like(hidden)
        for e in sorted(outputs):
            tok, y = outputs[e]
            out.index_add_(0, tok, y.to(out.dtype))
        return out
