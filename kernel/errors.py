"""The kernel's exceptions. Each carries a message a user can act on.

Bad input is :class:`BadInput` (exit status 2), the one bad-input type every package shares
(declared by the runtime, re-exported here); `SovereignError` is the base of the kernel's own
failures. `USER_ERRORS` is what a command or a page catches to show one line."""

from expertflow_runtime.errors import BadInput

__all__ = ["USER_ERRORS", "BadInput", "NoSourcesError", "RetrievalError", "RunNotFound", "SovereignError",
           "StorageError"]


class SovereignError(Exception):
    """Base of the kernel's failures; `str(err)` is the one line shown to the user."""

    exit_code = 1


class StorageError(SovereignError):
    """The database cannot be opened or written."""


class RetrievalError(SovereignError):
    """Papers could not be found or read."""


class NoSourcesError(RetrievalError, BadInput):
    """Offline with nothing cached or imported: the user must give a corpus."""

    exit_code = 2


class RunNotFound(BadInput):
    """A run id that is not in the database."""


USER_ERRORS = (SovereignError, BadInput)
