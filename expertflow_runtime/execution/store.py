"""Host copies of every routed expert, and the layout that cuts them from the model.

Each expert is kept as ONE flat contiguous host tensor so that a transfer is a single copy:

    gated experts (Mixtral, Qwen-MoE, OLMoE, DeepSeek):  [gate_up (2I*H) | down (H*I)]
    Switch experts:                                     [wi (I*H)       | wo (H*I)]

``ExpertLayout.views(flat)`` turns a flat buffer (host or device slot) back into the two matrices
without copying. Host copies are pinned when CUDA is present so copies can run asynchronously.
The store is read-only after construction; the executor owns every copy out of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from expertflow_runtime.plan import ExpertKey


@dataclass(frozen=True)
class ExpertLayout:
    """Shapes of one expert's two matrices. ``first``: [rows1, H] (gate_up or wi), ``second``:
    [H, I] (down or wo). ``gated``: the first matrix stacks gate and up ([2I, H])."""

    hidden: int
    intermediate: int
    gated: bool
    dtype: torch.dtype

    @property
    def first_rows(self) -> int:
        return 2 * self.intermediate if self.gated else self.intermediate

    @property
    def numel(self) -> int:
        return self.first_rows * self.hidden + self.hidden * self.intermediate

    @property
    def nbytes(self) -> int:
        return self.numel * torch.empty((), dtype=self.dtype).element_size()

    def views(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(first [rows1, H], second [H, I]) views into ``flat`` [numel]."""
        n1 = self.first_rows * self.hidden
        return (flat[:n1].view(self.first_rows, self.hidden),
                flat[n1:].view(self.hidden, self.intermediate))

    def pack(self, first: torch.Tensor, second: torch.Tensor, pin: bool) -> torch.Tensor:
        flat = torch.empty(self.numel, dtype=self.dtype, pin_memory=pin)
        a, b = self.views(flat)
        a.copy_(first)
        b.copy_(second)
        return flat


def cut_fused(experts: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per-expert (first, second) matrices of a transformers experts module.

    Fused layout (transformers 5): ``gate_up_proj [E, 2I, H]``, ``down_proj [E, H, I]``.
    Switch layout: a ModuleDict ``expert_{i}`` with ``wi.weight [I, H]``, ``wo.weight [H, I]``.
    """
    if hasattr(experts, "gate_up_proj"):
        gu, down = experts.gate_up_proj.detach(), experts.down_proj.detach()
        return [(gu[e], down[e]) for e in range(gu.shape[0])]
    out = []
    for i in range(len(experts)):
        mlp = experts[f"expert_{i}"]
        out.append((mlp.wi.weight.detach(), mlp.wo.weight.detach()))
    return out


class ExpertStore:
    """Host copy of every routed expert of every MoE layer, keyed by ``ExpertKey``."""

    def __init__(self, layout: ExpertLayout, pin: bool | None = None):
        self.layout = layout
        self.pin = torch.cuda.is_available() if pin is None else pin
        self._host: dict[ExpertKey, torch.Tensor] = {}

    def add_layer(self, layer: int, experts: nn.Module) -> None:
        """Copy the experts of one transformers experts module into the store."""
        for e, (first, second) in enumerate(cut_fused(experts)):
            self._host[ExpertKey(layer, e)] = self.layout.pack(first.to(self.layout.dtype),
                                                               second.to(self.layout.dtype),
                                                               self.pin)

    def host(self, key: ExpertKey) -> torch.Tensor:
        return self._host[key]

    def __contains__(self, key: ExpertKey) -> bool:
        return key in self._host

    def __len__(self) -> int:
        return len(self._host)

    @property
    def nbytes(self) -> int:
        return len(self._host) * self.layout.nbytes
