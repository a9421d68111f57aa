"""The runtime's exception family. Each carries what the user can do about it.

``RuntimeInputError`` and its subclasses are the user's bad input (the CLI exits 2 with the one-line
message); ``RuntimeFailure`` is a failure the user did not cause (exit 1). ``PlanError`` (in
plan.py) is a policy bug and derives from ``RuntimeError``.
"""

from __future__ import annotations


class RuntimeInputError(ValueError):
    """Bad input: the message names the bad value and the valid ones."""


class UnknownNameError(RuntimeInputError):
    def __init__(self, kind: str, name: str, valid: list[str]):
        self.kind, self.name, self.valid = kind, name, list(valid)
        super().__init__(f"unknown {kind} {name!r}; valid: {', '.join(sorted(valid))}")


class BudgetError(RuntimeInputError):
    """Expert budget outside [1 expert per layer, all experts of the model]."""


class CheckpointError(RuntimeInputError):
    """Checkpoint directory missing or not a checkpoint of the chosen preset."""


class RuntimeFailure(RuntimeError):
    """A failure the user did not cause (a copy failed, a worker died, ...)."""
