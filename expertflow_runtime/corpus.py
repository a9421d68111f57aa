"""Local training and prompt text: the Python standard library's own sources, as bytes.

Every machine with Python has them, so the runtime trains and benchmarks without a download.
Files are split into train / held-out by a hash of their relative path (1 in 8 held out), so a
benchmark prompt never comes from text the tiny model was trained on. Tokens are bytes (0..255);
the tiny presets reserve 256 pad, 257 bos, 258 eos.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sysconfig
from pathlib import Path

import numpy as np

from expertflow_runtime.errors import RuntimeFailure


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__", "test", "tests", "idle_test"}


@functools.lru_cache(maxsize=4)
def _files(split: str, root: Path | None = None) -> tuple[Path, ...]:
    root = root or stdlib_dir()
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            held = hashlib.sha1(rel.encode()).digest()[0] % 8 == 0
            if held == (split == "heldout"):
                out.append(path)
    return tuple(out)


def load_bytes(split: str = "train", max_bytes: int = 8 << 20) -> np.ndarray:
    """[N] uint8: concatenated stdlib sources of ``split`` ("train" | "heldout"), capped."""
    chunks, total = [], 0
    for path in _files(split):
        data = path.read_bytes()
        chunks.append(data)
        total += len(data)
        if total >= max_bytes:
            break
    if not chunks:
        raise RuntimeFailure(f"no Python sources found under {stdlib_dir()}")
    return np.frombuffer(b"\n".join(chunks)[:max_bytes], dtype=np.uint8)


def prompts(n: int, length: int, *, split: str = "heldout", seed: int = 0) -> list[list[int]]:
    """``n`` prompts of exactly ``length`` byte tokens, cut at random offsets of ``split``."""
    data = load_bytes(split, max_bytes=2 << 20)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(data) - length - 1, size=n)
    return [data[s:s + length].astype(np.int64).tolist() for s in starts]
