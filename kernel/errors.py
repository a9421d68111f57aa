"""The kernel's exceptions. Each carries a message a user can act on."""


class SovereignError(Exception):
    """Base of the kernel's errors; `str(err)` is the one line shown to the user."""

    exit_code = 1


class BadInput(SovereignError):
    """The user gave something we cannot use (exit status 2)."""

    exit_code = 2


class StorageError(SovereignError):
    """The database cannot be opened or written."""


class RetrievalError(SovereignError):
    """Papers could not be found or read."""


class NoSourcesError(RetrievalError, BadInput):
    """Offline with nothing cached or imported: the user must give a corpus."""

    exit_code = 2


class RunNotFound(BadInput):
    """A run id that is not in the database."""
