"""Turns the per-layer routes of each engine step into rows of a ``RoutingTrace``.

The runtime leaves ``step_routes[layer]`` = [T_l, K] expert ids (E = routed nowhere) for every MoE
layer that ran in the step. Decoder-only models: every layer saw the same T tokens (prefill:
B*S left-padded positions; decode: B). Switch: encoder layers saw the B*S prompt tokens, decoder
layers the B decoder tokens; a row gets -1 at the layers its token never visited.
"""

from __future__ import annotations

import numpy as np
import torch

from expertflow_runtime.adapters import BOS_ID, MoESite
from expertflow_runtime.presets import ModelPreset
from expertflow_runtime.trace import DECODE, PREFILL, TraceRecorder


class StepRecorder:
    def __init__(self, preset: ModelPreset, sites: list[MoESite], batch: int):
        self.L, self.K, self.E = len(sites), preset.top_k, preset.num_experts
        self.decoder_layers = [s.layer for s in sites if s.decoder]
        self.encoder_layers = [s.layer for s in sites if not s.decoder]
        self.rec = TraceRecorder(preset.name, self.L, self.E, self.K)
        self.batch = batch

    def _rows(self, routes: dict[int, torch.Tensor], layers: list[int], rows: list[int],
              weights: dict[int, torch.Tensor]):
        """[len(rows), L, K] experts (-1 where not routed) and weights (None if unrecorded)."""
        ex = np.full((len(rows), self.L, self.K), -1, dtype=np.int16)
        w = np.zeros((len(rows), self.L, self.K), dtype=np.float32) if weights else None
        idx = torch.tensor(rows, dtype=torch.long)
        for layer in layers:
            r = routes[layer][idx].numpy()
            ex[:, layer, :] = np.where(r >= self.E, -1, r)
            if w is not None and layer in weights:
                w[:, layer, :] = weights[layer][idx].numpy()
        return ex, w

    def record_prefill(self, step: int, rt, prompts: list[list[int]], mask: torch.Tensor,
                       switch: bool) -> None:
        B, S = mask.shape
        enc_layers = self.encoder_layers if switch else self.decoder_layers
        positions = [(b, s) for b in range(B) for s in range(S) if mask[b, s]]
        ex, w = self._rows(rt.step_routes, enc_layers, [b * S + s for b, s in positions],
                           rt.step_weights)
        for i, (b, s) in enumerate(positions):
            tok = prompts[b][s - (S - len(prompts[b]))]
            self.rec.add(b, tok, ex[i], None if w is None else w[i], PREFILL, step)
        if switch:  # the decoder's start token also ran at step 0
            ex, w = self._rows(rt.step_routes, self.decoder_layers, list(range(B)),
                               rt.step_weights)
            for b in range(B):
                self.rec.add(b, BOS_ID, ex[b], None if w is None else w[b], PREFILL, step)

    def record_decode(self, step: int, rt, fed: list[int]) -> None:
        ex, w = self._rows(rt.step_routes, self.decoder_layers, list(range(len(fed))),
                           rt.step_weights)
        for b, tok in enumerate(fed):
            self.rec.add(b, tok, ex[b], None if w is None else w[b], DECODE, step)

    def finish(self):
        return self.rec.finish(encoder_layers=self.encoder_layers)
