"""Routing traces for the simulator: generated with stated locality, or mapped from a tiny model.

Full-size models cannot run here, so their routes come from one of three places:

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

import json
from pathlib import Path

import numpy as np

from expertflow_runtime.errors import BadInput
from expertflow_runtime.presets import ModelPreset
from expertflow_runtime.trace import DECODE, PREFILL, RoutingTrace


def synthetic_trace(preset: ModelPreset, *, sequences: int, prompt_len: int, gen_len: int,
                    zipf: float = 1.0, stickiness: float = 0.3, seed: int = 0) -> RoutingTrace:
    """A trace of ``sequences`` sequences of prompt_len + gen_len tokens on ``preset``'s shape."""
    if not (0.0 <= stickiness <= 1.0) or zipf < 0:
        raise BadInput(f"stickiness={stickiness} must be in [0, 1] and zipf={zipf} >= 0")
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
        raise BadInput(
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


def real_routes(path: str | Path) -> list[np.ndarray]:
    """Recorded routes of a real model, one array [T, L, K] (int16, -1 = layer not recorded) per
    generated text, in token order.

    ``path``: a directory of ``*_routing.jsonl`` files or one such file; each line is one
    (dataset, problem_id, token_idx, layer) with its ``experts`` (the format of
    ../shared/data/routing/mixtral-8x7b, recorded from Mixtral-8x7B by vLLM).
    """
    path = Path(path)
    files = sorted(path.glob("*_routing.jsonl")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise BadInput(f"no routing files at {path}: give a *_routing.jsonl file or a "
                       "directory of them")
    rows: dict[tuple[str, int], dict[tuple[int, int], list[int]]] = {}
    for f in files:
        with open(f) as fh:
            for n, line in enumerate(fh, 1):
                try:
                    r = json.loads(line)
                    key = (str(r["dataset"]), int(r["problem_id"]))
                    rows.setdefault(key, {})[(int(r["token_idx"]), int(r["layer"]))] = \
                        [int(e) for e in r["experts"]]
                except (ValueError, KeyError, TypeError) as exc:
                    raise BadInput(f"{f}:{n}: not a routing record ({exc})") from None
    out = []
    for key in sorted(rows):
        cells = rows[key]
        T = 1 + max(t for t, _ in cells)
        L = 1 + max(layer for _, layer in cells)
        K = max(len(v) for v in cells.values())
        ex = np.full((T, L, K), -1, dtype=np.int16)
        for (t, layer), experts in cells.items():
            ex[t, layer, : len(experts)] = experts
        out.append(ex)
    return out


def trace_from_routes(routes: list[np.ndarray], preset: ModelPreset, *, sequences: int,
                      prompt_len: int = 2, seed: int = 0) -> RoutingTrace:
    """A simulator workload from recorded routes: the texts cut into ``sequences`` windows of
    consecutive tokens (as long as the routes allow), the first ``prompt_len`` of each fed as
    its prompt. Within a window the locality is the real model's; token ids are random (the
    recording has none), so every context is distinct. The shape must match ``preset``."""
    L, K = routes[0].shape[1:]
    if (L, K) != (preset.moe_layers, preset.top_k) or max(int(r.max()) for r in routes) >= preset.num_experts:
        raise BadInput(f"routes have {L} layers x top-{K}; {preset.name} needs "
                       f"{preset.moe_layers} x top-{preset.top_k} over {preset.num_experts} experts")
    total = sum(len(r) for r in routes)
    window = total // sequences
    while window > 0 and sum(len(r) // window for r in routes) < sequences:
        window -= 1  # windows never straddle two texts
    if window < prompt_len + 2:
        raise BadInput(f"{total} recorded tokens cannot make {sequences} sequences of "
                       f"more than {prompt_len + 1} tokens; ask for fewer sequences")
    windows = [r[i : i + window] for r in routes for i in range(0, len(r) - window + 1, window)]
    windows = windows[:sequences]
    if len(windows) < sequences:
        raise BadInput(f"the routes give {len(windows)} windows of {window} tokens; "
                       f"{sequences} sequences asked")
    experts = np.concatenate(windows)
    n = len(experts)
    rng = np.random.default_rng(seed)
    phase = np.tile(np.r_[np.full(prompt_len, PREFILL), np.full(window - prompt_len, DECODE)],
                    sequences)
    return RoutingTrace(
        preset.name, L, preset.num_experts, K,
        tokens=rng.integers(0, preset.vocab_size, n).astype(np.int32), experts=experts,
        offsets=np.arange(0, n + 1, window, dtype=np.int64), phase=phase.astype(np.uint8),
        step=np.full(n, -1, dtype=np.int32),
        extra=dict(source=f"recorded routes ({total} tokens, {sequences} windows of {window})"),
    )
