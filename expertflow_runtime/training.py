"""``sovereign runtime train``: train a tiny preset on local text so that its routing is learned.

Next-byte language modelling on the standard library's sources (corpus.py) with the model's own
load-balancing auxiliary loss, AdamW, for a step or time budget. Saved under
``checkpoint_dir(preset)`` (``$SOVEREIGN_HOME/runtime/<preset>/``, default ``~/.sovereign``):

    config.json, model.safetensors   transformers checkpoint (loadable with from_pretrained)
    runtime.json                     preset, steps, seconds, train/held-out loss
    traces/train.npz, heldout.npz    routing traces (trace.py) recorded by the engine after
                                     training, for the predictor trainer and the simulator
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from expertflow_runtime.adapters import BOS_ID, load_model
from expertflow_runtime.corpus import load_bytes, prompts
from expertflow_runtime.errors import BadInput, CheckpointError
from expertflow_runtime.presets import ModelPreset


def data_home() -> Path:
    return Path(os.environ.get("SOVEREIGN_HOME", "~/.sovereign")).expanduser()


def checkpoint_dir(preset: ModelPreset | str) -> Path:
    name = preset if isinstance(preset, str) else preset.name
    return data_home() / "runtime" / name


@dataclass
class TrainReport:
    preset: str
    out_dir: str
    steps: int
    seconds: float
    train_loss: float
    heldout_loss: float
    tokens_seen: int
    trace_tokens: int


def _batches(data: np.ndarray, batch: int, seq_len: int, rng: np.random.Generator):
    while True:
        starts = rng.integers(0, len(data) - seq_len - 1, size=batch)
        x = np.stack([data[s:s + seq_len] for s in starts]).astype(np.int64)
        ids = torch.from_numpy(x)
        ids[:, 0] = BOS_ID  # every window starts like a prompt does
        yield ids


def _lm_loss(model, ids: torch.Tensor, switch: bool):
    if switch:  # encoder reads the first half, decoder predicts the second
        half = ids.shape[1] // 2
        out = model(input_ids=ids[:, :half], labels=ids[:, half:], output_router_logits=True)
    else:
        out = model(input_ids=ids, labels=ids, output_router_logits=True)
    return out.loss


def train(preset: ModelPreset, *, max_seconds: float = 180.0, steps: int = 0, batch: int = 16,
          seq_len: int = 128, lr: float = 3e-3, seed: int = 0, out_dir: str | Path | None = None,
          trace_sequences: int = 64, threads: int | None = None, log=None) -> TrainReport:
    """Train until ``steps`` (if > 0) or ``max_seconds``, whichever comes first; save; record."""
    if not preset.tiny:
        raise BadInput(f"preset {preset.name!r} is full-size; train a tiny one "
                       "(mixtral-tiny, qwen-moe-tiny, olmoe-tiny, deepseek-tiny, "
                       "switch-tiny, qwen3-moe-tiny)")
    if max_seconds <= 0 and steps <= 0:
        raise BadInput("give --steps > 0 or --max-seconds > 0")
    from expertflow_runtime.bench import set_cpu_threads

    set_cpu_threads(preset, threads)
    torch.manual_seed(seed)
    out = Path(out_dir) if out_dir else checkpoint_dir(preset)
    model = load_model(preset, seed=seed)
    model.train()
    switch = preset.family == "switch"
    data, held = load_bytes("train"), load_bytes("heldout", max_bytes=1 << 20)
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    total = steps if steps > 0 else 10**9
    warm = 20
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm))
    t0, step, ema = time.perf_counter(), 0, None
    for ids in _batches(data, batch, seq_len, rng):
        loss = _lm_loss(model, ids, switch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        elapsed = time.perf_counter() - t0
        if log and step % 50 == 0:
            log(f"step {step} loss {ema:.3f} ({elapsed:.0f}s)")
        if step >= total or (max_seconds > 0 and elapsed >= max_seconds):
            break
    seconds = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        hl = [_lm_loss(model, ids, switch).item()
              for ids, _ in zip(_batches(held, batch, seq_len, np.random.default_rng(1)), range(4))]
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    trace_tokens = record_traces(preset, out, trace_sequences, prompt_len=min(96, seq_len))
    report = TrainReport(preset.name, str(out), step, seconds, float(ema or math.nan),
                         float(np.mean(hl)), step * batch * seq_len, trace_tokens)
    (out / "runtime.json").write_text(json.dumps(asdict(report), indent=2))
    return report


def record_traces(preset: ModelPreset, ckpt: Path, sequences: int, prompt_len: int = 96,
                  new_tokens: int = 32) -> int:
    """Record train and held-out routing traces with the trained model (all-resident, no link)."""
    from expertflow_runtime.engine import Engine
    from expertflow_runtime.policies import make_policy

    engine = Engine.build(preset, checkpoint=ckpt, link="none")
    n = 0
    for split in ("train", "heldout"):
        ps = prompts(sequences, prompt_len, split=split, seed=7)
        chunks = []
        for i in range(0, len(ps), 16):
            res = engine.generate(ps[i:i + 16], new_tokens, policy=make_policy("all-resident"),
                                  capacity=0, record_trace=True)
            chunks.append(res.trace)
        from expertflow_runtime.trace import RoutingTrace

        trace = RoutingTrace.concat(chunks)
        trace.save(ckpt / "traces" / f"{split}.npz")
        n += len(trace.tokens)
    return n


def require_checkpoint(path: str | Path) -> Path:
    path = Path(path).expanduser()
    if not (path / "config.json").is_file():
        raise CheckpointError(f"checkpoint directory {str(path)!r} does not exist or has no "
                              "config.json; run `sovereign runtime train --preset P` or pass an "
                              "HF checkpoint directory")
    return path
