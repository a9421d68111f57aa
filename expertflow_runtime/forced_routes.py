"""Recorded real routes imposed on a model's routers (``sovereign runtime bench --routes``).

A full-size model built from its configuration has random weights, so its routers do not route
like the real model. With forced routes, every MoE layer replaces its router's choice, token by
token, with the experts a real model chose (``simulator.workload.real_routes``: Mixtral-8x7B
recorded by vLLM), so every policy sees the real workload's expert traffic on the real layer
shapes, and the copies, stalls and compute are measured, not modelled.

How tokens get routes: the recorded texts are joined into one stream of tokens (every layer
recorded). The measured prompts get one window each, in order, from the first 90 % of the stream;
any other prompt (the static policy's calibration prompts, a warm-up) gets a window from the last
10 %, chosen by a hash of the prompt, so a calibration never sees the measured routes. Position
``p`` of a sequence (prompt and generated tokens alike) takes token ``p mod W`` of its window, so
consecutive positions take consecutive recorded tokens. Model layer ``l`` takes recorded layer
``l mod L``. Gate weights are equal (1/K): they change the hidden states, never the traffic, and
every policy gets the same ones, so tokens stay comparable to all-resident's.

The engine tells the routes which rows a forward holds (``begin_step``: the sequences and how many
new tokens each feeds); padding rows (the layer's token mask) are skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import torch

from expertflow_runtime.errors import BadInput

CALIBRATION_SHARE = 0.10


class ForcedRoutes:
    def __init__(self, routes: list[np.ndarray], prompts: Sequence[Sequence[int]],
                 num_experts: int, top_k: int) -> None:
        full = [r[np.all(r[:, :, 0] >= 0, axis=1)] for r in routes]  # tokens with every layer
        if not any(len(r) for r in full):
            raise BadInput("the recorded routes hold no token with every layer recorded")
        stream = np.concatenate(full)
        if stream.shape[2] != top_k or int(stream.max()) >= num_experts:
            raise BadInput(
                f"the recorded routes pick {stream.shape[2]} of {int(stream.max()) + 1}+ experts; "
                f"this model routes {top_k} of {num_experts}: record routes of the same model")
        self.top_k, self.num_layers = top_k, stream.shape[1]
        n_cal = max(1, int(len(stream) * CALIBRATION_SHARE))
        measured, self._cal = stream[: len(stream) - n_cal], stream[len(stream) - n_cal:]
        keys = [tuple(p) for p in prompts]
        if len(set(keys)) != len(keys):
            raise BadInput("forced routes need distinct prompts")
        self.window = len(measured) // max(1, len(keys))
        if self.window < 1:
            raise BadInput(f"{len(measured)} recorded tokens cannot give {len(keys)} "
                           "sequences a window each: fewer sequences")
        self._windows = {k: measured[i * self.window:(i + 1) * self.window]
                         for i, k in enumerate(keys)}
        self._prompt_len = len(keys[0]) if keys else 0
        self._rows: np.ndarray | None = None  # [T, L, K] of the current forward

    def _window_of(self, context: Sequence[int]) -> np.ndarray:
        key = tuple(context[: self._prompt_len])
        win = self._windows.get(key)
        if win is not None:
            return win
        digest = hashlib.sha256(np.asarray(key, dtype=np.int64).tobytes()).digest()
        start = int.from_bytes(digest[:4], "little") % len(self._cal)
        return np.roll(self._cal, -start, axis=0)[: self.window]

    def begin_step(self, seqs: Sequence[Sequence[int]], new: Sequence[int]) -> None:
        """The rows of the next forward: the last ``new[i]`` positions of each sequence."""
        rows = []
        for ctx, n in zip(seqs, new):
            win = self._window_of(ctx)
            rows.extend(win[p % len(win)] for p in range(len(ctx) - n, len(ctx)))
        self._rows = np.stack(rows) if rows else None

    def index(self, layer: int, rows: int, mask: torch.Tensor | None) -> torch.Tensor:
        """[rows, K] expert ids for ``layer``; rows masked out (padding) route nowhere (E)."""
        if self._rows is None:
            raise BadInput("forced routes: a forward ran before its step began")
        ids = torch.from_numpy(self._rows[:, layer % self.num_layers].astype(np.int64))
        if mask is None or mask.numel() != rows:
            if ids.shape[0] != rows:
                raise BadInput(f"forced routes: the forward holds {rows} tokens, the step "
                               f"announced {ids.shape[0]}")
            return ids
        keep = mask.to("cpu", torch.bool)
        if int(keep.sum()) != ids.shape[0]:
            raise BadInput(f"forced routes: {int(keep.sum())} unmasked tokens, the step "
                           f"announced {ids.shape[0]}")
        out = torch.full((rows, ids.shape[1]), -1, dtype=torch.int64)
        out[keep] = ids
        return out

    def apply(self, layer: int, index: torch.Tensor, weights: torch.Tensor,
              num_experts: int, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The layer's (index, weights) with the recorded routes in place of the router's."""
        ids = self.index(layer, index.shape[0], mask)
        ids = torch.where(ids < 0, torch.full_like(ids, num_experts), ids).to(index.device)
        w = torch.full(ids.shape, 1.0 / self.top_k, dtype=weights.dtype, device=weights.device)
        return ids, w
