"""Record routes on local text and fit the routing-path predictor for a model checkpoint.

Text: the Python standard library's own sources (on every machine), on the runtime's file split
(corpus.py: 1 file in 8 held out by path hash), so the held-out score is on text neither the
model nor the predictor saw. Routes are recorded by the real engine (all experts resident, no link
cost) over chunks of ``chunk`` bytes fed as prompts: at prefill every token routes on its causal
context exactly as it would when decoded, so these are the routes the runtime will see.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from expertflow_runtime.errors import BadInput
from expertflow_runtime.predictor.model import (
    PredictorConfig,
    evaluate_predictor,
    param_megabytes,
    save_predictor,
    train_predictor,
)
from expertflow_runtime.presets import from_name
from expertflow_runtime.trace import RoutingTrace


def stdlib_chunks(*, chunk: int, held_out: bool, limit: int, seed: int = 0) -> list[list[int]]:
    """Byte-id chunks of the stdlib sources, on the runtime's own train / held-out file split
    (corpus.py), so predictor training never sees the text the benchmark prompts come from."""
    from expertflow_runtime.corpus import load_bytes

    data = load_bytes("heldout" if held_out else "train", max_bytes=max(chunk * limit * 4, 1 << 16))
    starts = np.random.default_rng(seed).integers(0, len(data) - chunk - 1, size=limit)
    return [data[s : s + chunk].astype(np.int64).tolist() for s in starts]


def record_routes(preset_name: str, checkpoint: Path | None, prompts: list[list[int]],
                  batch: int = 64) -> RoutingTrace:
    """Routes of every prompt token: the top-k of the model's own router logits.

    Runs the plain HF model (all experts in memory) with ``output_router_logits``; the ranking
    of the logits is the router's choice (softmax and top-k renormalisation keep the order), so
    these are the experts the offloaded engine is told to compute. Prompts must share a length.
    """
    import torch

    from expertflow_runtime.adapters import load_model

    preset = from_name(preset_name)
    if len({len(p) for p in prompts}) != 1:
        raise BadInput("record_routes needs prompts of one length (chunks of text)")
    model = load_model(preset, checkpoint)
    rows: list[np.ndarray] = []
    with torch.inference_mode():
        for b in range(0, len(prompts), batch):
            ids = torch.tensor(prompts[b : b + batch])  # [B, S]
            out = model(input_ids=ids, output_router_logits=True)
            top = [lg.float().topk(preset.top_k, dim=-1).indices for lg in out.router_logits]  # L x [B*S, K]
            rows.append(torch.stack(top, dim=1).numpy())  # [B*S, L, K]
    experts = np.concatenate(rows).astype(np.int16)
    tokens = np.asarray(prompts, dtype=np.int32).reshape(-1)
    n, s = len(tokens), len(prompts[0])
    return RoutingTrace(preset.name, experts.shape[1], preset.num_experts, preset.top_k,
                        tokens=tokens, experts=experts, offsets=np.arange(0, n + 1, s, dtype=np.int64),
                        phase=np.zeros(n, dtype=np.uint8), step=np.full(n, -1, dtype=np.int32),
                        extra={"source": "stdlib text, router logits"})


def _sequences(trace: RoutingTrace) -> list[tuple[np.ndarray, np.ndarray]]:
    return [trace.sequence(s) for s in range(trace.num_sequences)]


def fit_from_checkpoint(preset_name: str, checkpoint: Path | None, *, traces: list[Path] | None = None,
                        seconds: float = 120.0, window: int = 32, chunk: int = 64,
                        train_chunks: int = 3000, heldout_chunks: int = 300, seed: int = 0) -> dict:
    """Train, evaluate on held-out text, save next to the checkpoint; returns a JSON-able report."""
    preset = from_name(preset_name)
    if checkpoint is None:
        from expertflow_runtime.training import checkpoint_dir

        default = checkpoint_dir(preset_name)
        checkpoint = default if (default / "config.json").is_file() else None
    if checkpoint is not None and not Path(checkpoint).is_dir():
        raise BadInput(f"checkpoint directory {str(checkpoint)!r} does not exist; train a "
                       "model with `sovereign runtime train` or omit --checkpoint")
    if preset.family == "switch":
        raise BadInput(f"preset {preset_name!r} is encoder-decoder; the predictor is "
                       "trained on decoder-only presets (mixtral-tiny, qwen-moe-tiny, ...)")
    t0 = time.perf_counter()
    recorded = Path(checkpoint) / "traces" if checkpoint is not None else None
    if traces:
        missing = [str(p) for p in traces if not Path(p).is_file()]
        if missing:
            raise BadInput(f"trace file(s) not found: {', '.join(missing)}")
        full = RoutingTrace.concat([RoutingTrace.load(p) for p in traces])
        seqs = _sequences(full)
        cut = max(1, len(seqs) // 10)
        train, held = seqs[cut:], seqs[:cut]
    else:
        # routes of the stdlib text (router logits over chunks; files split train / held-out)
        train = _sequences(record_routes(preset_name, checkpoint,
                                         stdlib_chunks(chunk=chunk, held_out=False, limit=train_chunks, seed=seed)))
        held = _sequences(record_routes(preset_name, checkpoint,
                                        stdlib_chunks(chunk=chunk, held_out=True, limit=heldout_chunks, seed=seed)))
        if recorded is not None and (recorded / "heldout.npz").is_file():
            # the runtime's own recordings (engine, prefill + greedy decode) take priority for
            # the held-out score: they are exactly what the policy sees online
            train += _sequences(RoutingTrace.load(recorded / "train.npz"))
            held = _sequences(RoutingTrace.load(recorded / "heldout.npz"))
    record_s = time.perf_counter() - t0
    L, E, K = train[0][1].shape[1], preset.num_experts, preset.top_k
    cfg = PredictorConfig(vocab_size=preset.vocab_size, n_layers=L, n_experts=E, top_k=K, window=window)
    model, history = train_predictor(train, cfg, epochs=50, time_limit_s=seconds, seed=seed)
    metrics = evaluate_predictor(model, held, batch_size=16)
    out_dir = Path(checkpoint) if checkpoint is not None else Path("artifacts") / f"{preset_name}-random"
    path = save_predictor(model, out_dir, metrics)
    return {
        "preset": preset_name, "path": str(path), "size_mb": param_megabytes(model),
        "train_tokens": int(sum(len(s[0]) for s in train)),
        "heldout_tokens": int(sum(len(s[0]) for s in held)),
        "epochs": len(history), "final_loss": history[-1], "record_s": record_s,
        "train_s": time.perf_counter() - t0 - record_s, "heldout": metrics.as_dict(),
    }
