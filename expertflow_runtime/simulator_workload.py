"""Routing traces for the simulator: generated with stated locality, or mapped from a tiny model.

Full-size models cannot run here, so their routes come from one of two places:

* ``synthetic_trace``: per layer, expert popularity follows a Zipf law of exponent ``zipf``
  (a random permutation per layer decides which expert is popular); each token repeats the
  previous token's experts of that layer with probability ``stickiness`` (temporal locality),
  else draws K distinct experts from the popularity. Token ids are random, so every context is
  distinct. Both parameters are reported with every simulated table.
* ``map_trace``: a trace recorded on a tiny variant with the same expert count and top-k (e.g.
  mixtral-tiny -> Mixtral-8x7B) tiled over the full model's layers: full layer l routes like
  tiny layer l mod L_tiny. Cross-layer correlation is therefore the tiny model's, repeated.

Legend: N tokens, L layers, E experts, K top-k.
"""

from __future__ import annotations

import numpy as np

from expertflow_runtime.errors import RuntimeInputError
from expertflow_runtime.presets import ModelPreset
from expertflow_runtime.trace import DECODE, PREFILL, RoutingTrace


def synthetic_trace(preset: ModelPreset, *, sequences: int, prompt_len: int, gen_len: int,
                    zipf: float = 1.0, stickiness: float = 0.3, seed: int = 0) -> RoutingTrace:
    """A trace of ``sequences`` sequences of prompt_len + gen_len tokens on ``preset``'s shape."""
    if not (0.0 <= stickiness <= 1.0) or zipf < 0:
        raise RuntimeInputError(f"stickiness={stickiness} must be in [0, 1] and zipf={zipf} >= 0")
    L, E, K = preset.moe_layers, preset.num_experts, preset.top_k
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, E + 1) ** zipf
    pop = np.stack([weights[rng.permutation(E)] for _ in range(L)])  # [L, E]
    pop /= pop.sum(axis=1, keepdims=True)
    T = prompt_len + gen_len
    n = sequences * T
    experts = np.zeros((n, L, K), dtype=np.int16)
    for s in range(sequences):
        for t in range(T):
            i = s * T + t
            for layer in range(L):
                if t > 0 and rng.random() < stickiness:
                    experts[i, layer] = experts[i - 1, layer]
                else:
                    experts[i, layer] = rng.choice(E, size=K, replace=False, p=pop[layer])
    phase = np.tile(np.r_[np.full(prompt_len, PREFILL), np.full(gen_len, DECODE)], sequences)
    return RoutingTrace(
        preset.name, L, E, K,
        tokens=rng.integers(0, preset.vocab_size, n).astype(np.int32),
        experts=experts,
        offsets=np.arange(0, n + 1, T, dtype=np.int64),
        phase=phase.astype(np.uint8),
        step=np.full(n, -1, dtype=np.int32),
        extra=dict(source="synthetic", zipf=zipf, stickiness=stickiness, seed=seed),
    )


def map_trace(trace: RoutingTrace, preset: ModelPreset) -> RoutingTrace:
    """Tile a tiny model's trace over ``preset``'s MoE layers (same E and K required)."""
    if (trace.num_experts, trace.top_k) != (preset.num_experts, preset.top_k):
        raise RuntimeInputError(
            f"trace of {trace.preset} has E={trace.num_experts}, K={trace.top_k}; {preset.name} needs "
            f"E={preset.num_experts}, K={preset.top_k}: use a synthetic trace for it instead"
        )
    layers = np.arange(preset.moe_layers) % trace.num_layers
    return RoutingTrace(
        preset.name, preset.moe_layers, preset.num_experts, preset.top_k,
        tokens=trace.tokens, experts=trace.experts[:, layers], offsets=trace.offsets,
        phase=trace.phase, step=trace.step, weights=None,
        extra={**trace.extra, "source": f"mapped from {trace.preset} ({trace.extra.get('source', 'recorded')})"},
    )
