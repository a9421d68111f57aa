"""The runtime's exception family. Each carries what the user can do about it.

``BadInput`` is the one bad-input type of the whole service (the verifier and the kernel raise
and catch this class too, since every package may import the runtime): the user gave something
we cannot use, and the one-line message names the bad value and what to give instead (the
commands exit 2). ``RuntimeFailure`` is a failure the user did not cause (exit 1). ``PlanError``
(in plan.py) is a policy bug and derives from ``RuntimeError``.
"""

from __future__ import annotations


class BadInput(ValueError):
    """Bad input: the message names the bad value and the valid ones (exit status 2)."""

    exit_code = 2


class UnknownNameError(BadInput):
    def __init__(self, kind: str, name: str, valid: list[str]):
        self.kind, self.name, self.valid = kind, name, list(valid)
        super().__init__(f"unknown {kind} {name!r}; valid: {', '.join(sorted(valid))}")


class BudgetError(BadInput):
    """Expert budget outside [1 expert per layer, all experts of the model]."""


class CheckpointError(BadInput):
    """Checkpoint directory missing or not a checkpoint of the chosen preset."""


class RuntimeFailure(RuntimeError):
    """A failure the user did not cause (a copy failed, a worker died, ...)."""
