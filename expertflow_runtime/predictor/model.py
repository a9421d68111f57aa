"""Routing-path predictor: a small causal transformer over the token sequence.

ExpertFlow (arXiv 2410.17954, §III-A) predicts, from the tokens alone and in one pass, which
expert every MoE layer will route each token to, so the runtime can prefetch for all layers
before the first one runs. The paper's predictor is a T5-style encoder with d_model 32 and an
FFN of 2048 (about 7.21 MB). Ours keeps those widths but uses a *causal* mask: in decoder-only
serving the token at position t is all we know when we must predict its path, so position t may
only look at tokens <= t (a bidirectional encoder would read the future during decode).

Legend: B sequences, S positions (window), T tokens, L MoE layers, E experts, K top-k.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from expertflow_runtime.errors import BadInput

PREDICTOR_FILE = "predictor.pt"


@contextmanager
def single_thread():
    """Run the predictor's tiny ops on one intra-op thread: on a shared CPU a multi-threaded
    pool spins for microsecond ops (measured here: 1.4 ms per decode-step prediction on one
    thread against 50-200 ms on two under load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class PredictorError(BadInput):
    """Bad predictor input or a missing predictor file; the message says what to do."""


@dataclass(frozen=True)
class PredictorConfig:
    """Shape of the predictor. `window` is the longest context (tokens) it reads."""

    vocab_size: int
    n_layers: int  # MoE layers of the served model (L)
    n_experts: int  # routed experts per layer (E)
    top_k: int  # experts each token activates per layer (K)
    d_model: int = 32
    d_ff: int = 2048
    n_heads: int = 4
    n_blocks: int = 1  # online cost matters on a CPU; the last block runs for one position only
    window: int = 32
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "n_layers", "n_experts", "top_k", "d_model", "window"):
            if getattr(self, name) < 1:
                raise PredictorError(f"predictor {name}={getattr(self, name)} must be >= 1")
        if self.top_k > self.n_experts:
            raise PredictorError(f"top_k={self.top_k} exceeds n_experts={self.n_experts}")
        if self.d_model % self.n_heads:
            raise PredictorError(f"d_model={self.d_model} not divisible by n_heads={self.n_heads}")


class RoutingPredictor(nn.Module):
    """Token ids [B, S] -> routing logits [B, S, L, E] (independent sigmoid per expert)."""

    def __init__(self, config: PredictorConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Embedding(c.vocab_size, c.d_model)
        self.pos = nn.Embedding(c.window, c.d_model)
        block = nn.TransformerEncoderLayer(
            c.d_model, c.n_heads, c.d_ff, c.dropout, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(block, c.n_blocks, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.n_layers * c.n_experts)
        mask = torch.triu(torch.full((c.window, c.window), float("-inf")), diagonal=1)
        self.register_buffer("causal_mask", mask, persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        b, s = ids.shape
        if s > self.config.window:
            raise PredictorError(f"sequence of {s} tokens exceeds predictor window {self.config.window}")
        ids = ids.clamp(0, self.config.vocab_size - 1)  # unseen ids map to the last row
        x = self.embed(ids) + self.pos(torch.arange(s, device=ids.device))  # [B, S, D]
        x = self.blocks(x, mask=self.causal_mask[:s, :s], is_causal=True)  # [B, S, D]
        logits = self.head(self.norm(x))  # [B, S, L*E]
        return logits.view(b, s, self.config.n_layers, self.config.n_experts)

    def forward_last(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits [B, L, E] of the LAST position only: equal to ``forward(ids)[:, -1]``.

        The last position attends to every earlier one, so the final block needs its query,
        attention and FFN for that position alone: the online cost per decode step is the
        earlier blocks over the window plus one position of the last block.
        """
        b, s = ids.shape
        if s > self.config.window:
            raise PredictorError(f"sequence of {s} tokens exceeds predictor window {self.config.window}")
        ids = ids.clamp(0, self.config.vocab_size - 1)
        x = self.embed(ids) + self.pos(torch.arange(s, device=ids.device))  # [B, S, D]
        layers = self.blocks.layers
        for layer in layers[:-1]:
            x = layer(x, src_mask=self.causal_mask[:s, :s], is_causal=True)  # [B, S, D]
        last = layers[-1]
        h = last.norm1(x)  # [B, S, D]
        attn = last.self_attn(h[:, -1:], h, h, need_weights=False)[0]  # [B, 1, D]
        y = x[:, -1:] + last.dropout1(attn)
        y = y + last._ff_block(last.norm2(y))  # [B, 1, D]
        logits = self.head(self.norm(y[:, 0]))  # [B, L*E]
        return logits.view(b, self.config.n_layers, self.config.n_experts)

    def size_bytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self.parameters())

    @torch.no_grad()
    def predict_last(self, contexts: list[list[int]] | np.ndarray) -> np.ndarray:
        """Probabilities [B, L, E] for the LAST token of each context (the token about to run).

        Contexts are left-truncated to the window and left-padded with their own first token
        (padding is masked out by causality only when it sits after the token, so we pad on the
        left with a repeat instead of a pad id the model never saw).
        """
        w = self.config.window
        rows = []
        for ctx in contexts:
            ctx = list(ctx)[-w:]
            if not ctx:
                raise PredictorError("empty context: a sequence needs at least one token")
            rows.append(ctx)
        s = max(len(r) for r in rows)
        batch = np.array([[r[0]] * (s - len(r)) + r for r in rows], dtype=np.int64)
        if self.training:  # eval() walks every submodule: keep it off the per-step path
            self.eval()
        with single_thread():
            logits = self.forward_last(torch.from_numpy(batch))  # [B, L, E]
        return torch.sigmoid(logits).numpy()


def top_n_mask(scores: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the n highest scores along the last axis (ties broken by index)."""
    n = min(n, scores.shape[-1])
    idx = np.argsort(-scores, axis=-1, kind="stable")[..., :n]
    mask = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=-1)
    return mask


def multi_hot(experts: np.ndarray, n_experts: int) -> np.ndarray:
    """Expert ids [..., K] -> boolean [..., E] (negative ids = no expert, ignored)."""
    out = np.zeros(experts.shape[:-1] + (n_experts,), dtype=bool)
    valid = experts >= 0
    idx = np.where(valid, experts, 0)
    np.put_along_axis(out, idx, valid, axis=-1)
    return out


def _windows(ids: np.ndarray, experts: np.ndarray, window: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut one sequence (ids [T], experts [T, L, K]) into non-overlapping windows."""
    return [(ids[s : s + window], experts[s : s + window]) for s in range(0, len(ids), window)]


def train_predictor(
    sequences: list[tuple[np.ndarray, np.ndarray]],
    config: PredictorConfig,
    *,
    epochs: int = 10,
    batch_size: int = 8,
    lr: float = 3e-3,
    seed: int = 0,
    time_limit_s: float | None = None,
) -> tuple[RoutingPredictor, list[float]]:
    """Fit a predictor with multi-label BCE on recorded routes.

    sequences: (token ids [T], expert ids [T, L, K]) pairs, one per text sequence.
    Returns the model and the mean loss of each epoch. Deterministic for a given seed.
    """
    if not sequences:
        raise PredictorError("no routing traces to train on; record a trace first")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    chunks = [c for ids, ex in sequences for c in _windows(np.asarray(ids), np.asarray(ex), config.window)]
    chunks = [c for c in chunks if len(c[0]) > 1]
    model = RoutingPredictor(config)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    history: list[float] = []
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(len(chunks))
        total, count = 0.0, 0
        model.train()
        for b in range(0, len(order), batch_size):
            part = [chunks[i] for i in order[b : b + batch_size]]
            s = max(len(p[0]) for p in part)
            ids = np.zeros((len(part), s), dtype=np.int64)
            target = np.zeros((len(part), s, config.n_layers, config.n_experts), dtype=np.float32)
            valid = np.zeros((len(part), s), dtype=np.float32)
            for r, (pid, pex) in enumerate(part):
                ids[r, : len(pid)] = pid
                target[r, : len(pid)] = multi_hot(pex, config.n_experts)
                valid[r, : len(pid)] = 1.0
            logits = model(torch.from_numpy(ids))  # [B, S, L, E]
            loss = loss_fn(logits, torch.from_numpy(target)).mean(dim=(2, 3))  # [B, S]
            v = torch.from_numpy(valid)
            loss = (loss * v).sum() / v.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(part)
            count += len(part)
            if time_limit_s is not None and time.perf_counter() - start > time_limit_s:
                break
        history.append(total / max(count, 1))
        if time_limit_s is not None and time.perf_counter() - start > time_limit_s:
            break
    model.eval()
    return model, history


@dataclass(frozen=True)
class PredictorMetrics:
    """Held-out quality. Recall/precision are fractions in [0, 1]."""

    tokens: int
    topk_recall: float  # per token: |top-k predicted ∩ routed| / |routed|, averaged
    union_recall: float  # per batch & layer: |∪ top-n predicted ∩ ∪ routed| / |∪ routed|
    union_precision: float  # ... / |∪ top-n predicted|
    top_n: int
    batch_size: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@torch.no_grad()
def predict_chunks(model: RoutingPredictor, sequences: list[np.ndarray]) -> list[np.ndarray]:
    """Probabilities [T_i, L, E] for every token of every sequence, in ONE batched pass over
    non-overlapping windows: token t sees the tokens of its own window up to itself, exactly
    the view it had in training. Cheap enough for whole prompts at prefill."""
    w = model.config.window
    chunks, spans = [], []
    for ids in sequences:
        ids = np.asarray(ids, dtype=np.int64)
        pad = (-len(ids)) % w
        # right padding is harmless: causality keeps it out of the real tokens' predictions
        rows = np.concatenate([ids, np.zeros(pad, dtype=np.int64)]).reshape(-1, w)
        spans.append((sum(len(c) for c in chunks), len(rows), len(ids)))
        chunks.append(rows)
    if model.training:
        model.eval()
    with single_thread():
        probs = torch.sigmoid(model(torch.from_numpy(np.concatenate(chunks)))).numpy()  # [C, W, L, E]
    L, E = model.config.n_layers, model.config.n_experts
    return [probs[a : a + n].reshape(-1, L, E)[:t] for a, n, t in spans]


@torch.no_grad()
def predict_sequence(model: RoutingPredictor, ids: np.ndarray) -> np.ndarray:
    """Probabilities [T, L, E] for every token of one sequence, each seeing at most `window`
    tokens of context (the same view it gets online)."""
    w = model.config.window
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros((len(ids), model.config.n_layers, model.config.n_experts), dtype=np.float32)
    model.eval()
    # The first window is exact in one pass; later tokens slide a window ending at themselves.
    first = torch.sigmoid(model(torch.from_numpy(ids[None, :w])))[0].numpy()
    out[: len(first)] = first
    if len(ids) > w:
        starts = np.arange(1, len(ids) - w + 1)
        windows = np.stack([ids[s : s + w] for s in starts])
        for b in range(0, len(windows), 256):
            probs = torch.sigmoid(model(torch.from_numpy(windows[b : b + 256])))[:, -1]
            out[w + b : w + b + len(probs)] = probs.numpy()
    return out


def evaluate_predictor(
    model: RoutingPredictor,
    sequences: list[tuple[np.ndarray, np.ndarray]],
    *,
    top_n: int | None = None,
    batch_size: int = 16,
    seed: int = 0,
) -> PredictorMetrics:
    """Score a predictor on held-out routes.

    Batch-union metrics group the held-out tokens at random (seeded) into batches of
    `batch_size`, as a decode step batches tokens of unrelated sequences, and compare, layer by
    layer, the union of each token's top-n predicted experts with the union actually routed.
    top_n defaults to 2*top_k.
    """
    c = model.config
    top_n = 2 * c.top_k if top_n is None else top_n
    probs, actual = [], []
    for ids, ex in sequences:
        probs.append(predict_sequence(model, ids))
        actual.append(multi_hot(np.asarray(ex), c.n_experts))
    p = np.concatenate(probs)  # [T, L, E]
    a = np.concatenate(actual)  # [T, L, E]
    if len(p) == 0:
        raise PredictorError("no held-out tokens to evaluate")
    hits = (top_n_mask(p, c.top_k) & a).sum(axis=(1, 2))
    topk_recall = float(np.mean(hits / np.maximum(a.sum(axis=(1, 2)), 1)))
    order = np.random.default_rng(seed).permutation(len(p))
    pred_n = top_n_mask(p, top_n)
    inter = union_a = union_p = 0
    for b in range(0, len(order) - batch_size + 1, batch_size):
        sel = order[b : b + batch_size]
        up, ua = pred_n[sel].any(axis=0), a[sel].any(axis=0)  # [L, E]
        inter += int((up & ua).sum())
        union_a += int(ua.sum())
        union_p += int(up.sum())
    return PredictorMetrics(
        tokens=len(p),
        topk_recall=topk_recall,
        union_recall=inter / max(union_a, 1),
        union_precision=inter / max(union_p, 1),
        top_n=top_n,
        batch_size=batch_size,
    )


def save_predictor(model: RoutingPredictor, directory: str | Path, metrics: PredictorMetrics | None = None) -> Path:
    """Write `predictor.pt` into the model's checkpoint directory; returns the file."""
    path = Path(directory) / PREDICTOR_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"config": asdict(model.config), "state": model.state_dict()}
    if metrics is not None:
        payload["metrics"] = metrics.as_dict()
    torch.save(payload, path)
    return path


def predictor_metrics(directory: str | Path) -> dict | None:
    """The held-out metrics saved with a predictor (``PredictorMetrics.as_dict()``), or None
    when there is no predictor there or it was saved without them."""
    path = Path(directory)
    path = path if path.suffix == ".pt" else path / PREDICTOR_FILE
    if not path.is_file():
        return None
    payload = torch.load(path, map_location="cpu", weights_only=True)
    return payload.get("metrics")


def load_predictor(directory: str | Path) -> RoutingPredictor:
    """Load the predictor saved next to a model checkpoint."""
    path = Path(directory)
    path = path if path.suffix == ".pt" else path / PREDICTOR_FILE
    if not path.is_file():
        raise PredictorError(
            f"no predictor at {path}; train one with `sovereign runtime train-predictor`"
        )
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = RoutingPredictor(PredictorConfig(**payload["config"]))
    model.load_state_dict(payload["state"])
    model.eval()
    return model


def param_megabytes(model: RoutingPredictor) -> float:
    """Size in MB (10^6 bytes) of the fp32 parameters, comparable to the paper's 7.21 MB."""
    return model.size_bytes() / 1e6 if model.size_bytes() else math.nan
