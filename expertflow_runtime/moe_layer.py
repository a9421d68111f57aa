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

from expertflow_runtime.plan import ExpertKey, LayerRouting, PlanError
from expertflow_runtime.step_driver import StepDriver

if TYPE_CHECKING:
    from expertflow_runtime.forced_routes import ForcedRoutes


@dataclass
class LayerRuntime:
    """Shared by all offloaded layers of one model; re-armed per run with a step driver (the
    policy and the executor of that run)."""

    num_experts: int
    act: Callable[[torch.Tensor], torch.Tensor]
    gated: bool
    driver: StepDriver | None = None
    # next_router[l] = (router module, is_switch) of the MoE layer run after layer l
    next_router: dict[int, tuple[nn.Module, bool]] = field(default_factory=dict)
    token_mask: torch.Tensor | None = None  # [T] bool: False = padding, routes nowhere
    step_routes: dict[int, torch.Tensor] = field(default_factory=dict)  # layer -> [T, K] cpu
    record_weights: bool = False
    step_weights: dict[int, torch.Tensor] = field(default_factory=dict)
    forced: ForcedRoutes | None = None  # recorded real routes in place of the router's

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
        assert self.driver is not None

        def preview() -> LayerRouting | None:
            """Layer + 1's routes for these tokens, before layer + 1 runs."""
            if layer not in self.next_router:
                return None
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
            return LayerRouting(layer + 1, tuple(map(tuple, nidx.cpu().tolist())))

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

        self.driver.layer(layer, routing, compute, preview)
        required = set(routing.experts)
        if set(outputs) != required:
            raise PlanError(f"layer {layer}: plan computed {sorted(outputs)}, router chose "
                            f"{sorted(required)}")
        out = torch.zeros_like(hidden)
        for e in sorted(outputs):
            tok, y = outputs[e]
            out.index_add_(0, tok, y.to(out.dtype))
        return out
