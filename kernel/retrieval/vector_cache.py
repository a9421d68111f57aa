"""Embeddings on disk, added incrementally: one SQLite file under `settings.cache_dir`.

Keyed by (embedder name, paper id) and guarded by a digest of the embedded text, so an updated
abstract is embedded again and a different embedder never reads another's vectors. Only the
candidates a query actually reranks are embedded (about 1/40 s per abstract on 2 CPU cores),
so importing millions of records costs no embedding time at all.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np

from kernel.retrieval.embedders import Embedder
from kernel.storage.db import retry_locked


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


class VectorCache:
    """`vectors(embedder, texts_by_key)` -> {key: float32 [D]}; computes only what is missing."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), timeout=60, check_same_thread=False)

        def create() -> None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, digest TEXT, "
                "vec BLOB, PRIMARY KEY (model, key))"
            )
            self._conn.commit()

        retry_locked(create)  # two runs may open a new cache file at the same moment
        self.computed = 0  # vectors embedded by this cache object (for benchmarks and tests)

    def _lookup(self, model: str, keys: list[str]) -> dict[str, tuple[str, bytes]]:
        found: dict[str, tuple[str, bytes]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, digest, vec FROM vectors WHERE model=? AND key IN ({marks})",
                [model, *chunk],
            )
            found.update({k: (d, v) for k, d, v in rows})
        return found

    def vectors(self, embedder: Embedder, texts: dict[str, str]) -> dict[str, np.ndarray]:
        keys = list(texts)
        digests = {k: digest(texts[k]) for k in keys}
        with self._lock:
            stored = self._lookup(embedder.name, keys)
        out = {
            k: np.frombuffer(v, dtype=np.float32)
            for k, (d, v) in stored.items()
            if d == digests[k]
        }
        missing = [k for k in keys if k not in out]
        if missing:
            vecs = embedder.encode([texts[k] for k in missing])
            self.computed += len(missing)
            rows = []
            for k, vec in zip(missing, vecs):
                out[k] = vec.astype(np.float32)
                rows.append((embedder.name, k, digests[k], out[k].tobytes()))
            def write() -> None:
                try:
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO vectors (model, key, digest, vec) VALUES (?,?,?,?)",
                        rows,
                    )
                    self._conn.commit()
                except sqlite3.OperationalError:
                    self._conn.rollback()
                    raise

            with self._lock:
                retry_locked(write)
        return out
