"""Exceptions of the empirical checks; each says what the caller can do about it."""

from __future__ import annotations

from verifier.errors import BadInput, VerifierError


class ExperimentError(VerifierError):
    """An experiment could not be run (the runtime failed, a backend is unavailable...).

    A dispatcher records it as a failed check with this message; it is not the user's input.
    """


class BackendUnavailable(ExperimentError):
    """The chosen backend cannot run here (no CUDA device, the runtime lacks a function).

    The message names what is missing and the backend to use instead.
    """


class UnknownBackendError(BadInput):
    """A backend name that is not cpu, simulated or cuda."""

    def __init__(self, name: str, valid: tuple[str, ...]):
        super().__init__(f"unknown backend {name!r}; valid: {', '.join(valid)}")
