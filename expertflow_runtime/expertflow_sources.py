"""Where ExpertFlow's predicted routes come from: the trained predictor, or a recorded trace.

A route source answers, for the sequences of a step, "which experts will each new token use at
every layer?" as scores in [0, 1] of shape [n_new, L, E] per sequence. The policy
(policies/expertflow.py, pure) takes one by injection, so the same policy runs with

* ``PredictorSource``: the learned routing-path predictor (predictor/model.py), online;
* ``TraceSource``: exact routes looked up in a trace recorded on the same prompts by an
  all-resident run (generation is deterministic, so contexts match): the oracle upper bound;
* ``NoisyTraceSource``: trace routes with each expert kept with probability ``recall`` and
  otherwise replaced by a random one, for the simulator of full-size models where no trained
  predictor exists (the recall is a stated parameter, e.g. the one measured on a tiny model).

Legend: L layers, E experts, K top-k.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from expertflow_runtime.predictor.model import RoutingPredictor, multi_hot, predict_chunks
from expertflow_runtime.trace import RoutingTrace


def context_key(tokens: Sequence[int]) -> tuple[int, ...]:
    """Key of a token context: its length and last 64 tokens. Cheap (no hashing of the whole
    prefix, which made prefill lookups quadratic) and, for text, unambiguous in practice."""
    tail = tuple(int(t) for t in tokens[-64:])
    return (len(tokens),) + tail


class PredictorSource:
    """Online predictions from a trained RoutingPredictor (reads at most `window` tokens)."""

    kind = "predictor"

    def __init__(self, model: RoutingPredictor) -> None:
        self.model = model
        self.num_layers = model.config.n_layers
        self.num_experts = model.config.n_experts

    def predict(self, contexts: Sequence[Sequence[int]], new_tokens: Sequence[int]) -> list[np.ndarray]:
        decode = [i for i, n in enumerate(new_tokens) if n == 1]
        out: list[np.ndarray | None] = [None] * len(contexts)
        if decode:  # one batched pass for all single-token sequences
            probs = self.model.predict_last([contexts[i] for i in decode])  # [B, L, E]
            for j, i in enumerate(decode):
                out[i] = probs[j : j + 1]
        prefill = [i for i, n in enumerate(new_tokens) if n != 1]
        if prefill:  # every prompt token, one pass over training-style windows
            probs = predict_chunks(self.model, [np.asarray(contexts[i]) for i in prefill])
            for i, p in zip(prefill, probs):
                out[i] = p[len(p) - new_tokens[i] :]
        return out  # type: ignore[return-value]


class TraceSource:
    """Exact routes from a recorded trace, keyed by token context (the oracle)."""

    kind = "oracle"

    def __init__(self, trace: RoutingTrace) -> None:
        self.num_layers, self.num_experts = trace.num_layers, trace.num_experts
        self._routes: dict[tuple[int, ...], np.ndarray] = {}
        for s in range(trace.num_sequences):
            ids, ex = trace.sequence(s)
            for t in range(len(ids)):
                self._routes[context_key(ids[: t + 1])] = ex[t]
        self.misses = 0  # contexts the trace did not contain (predicted as "no expert")

    def _route(self, context: Sequence[int]) -> np.ndarray:
        ex = self._routes.get(context_key(context))
        if ex is None:
            self.misses += 1
            return np.zeros((self.num_layers, self.num_experts), dtype=np.float32)
        return multi_hot(ex.astype(np.int64), self.num_experts).astype(np.float32)

    def predict(self, contexts: Sequence[Sequence[int]], new_tokens: Sequence[int]) -> list[np.ndarray]:
        out = []
        for ctx, n in zip(contexts, new_tokens):
            ctx = list(ctx)
            start = len(ctx) - n
            out.append(np.stack([self._route(ctx[: t + 1]) for t in range(start, len(ctx))]))
        return out


class NoisyTraceSource(TraceSource):
    """Trace routes degraded to a stated per-expert recall (seeded, deterministic per context)."""

    kind = "noisy-oracle"

    def __init__(self, trace: RoutingTrace, recall: float, seed: int = 0) -> None:
        super().__init__(trace)
        if not 0.0 <= recall <= 1.0:
            raise ValueError(f"recall={recall} must lie in [0, 1]")
        self.recall, self.seed = recall, seed

    def _route(self, context: Sequence[int]) -> np.ndarray:
        exact = super()._route(context)
        key = (hash(context_key(context)) & 0xFFFFFFFF) ^ self.seed
        rng = np.random.default_rng(key)
        out = np.zeros_like(exact)
        for layer in range(self.num_layers):
            for e in np.flatnonzero(exact[layer]):
                if rng.random() < self.recall:
                    out[layer, e] = 1.0
                else:  # a wrong guess takes its place, as a predictor's miss would
                    out[layer, int(rng.integers(self.num_experts))] = 1.0
        return out
