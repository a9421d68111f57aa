"""A run: the question asked and what became of it, as its report and the app show it."""

from __future__ import annotations

from pydantic import field_validator
from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel


class RunStatus:
    """Values of a run's status, in the order a run moves through them."""

    QUEUED = "queued"
    RUNNING = "running"
    WAITING_OWNER = "waiting_owner"  # the graph is interrupted at the owner stage
    READY = "ready"  # decided READY without needing the owner
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    FAILED = "failed"

    FINISHED = (READY, APPROVED, REJECTED, CHANGES_REQUESTED, FAILED)
    ALL = (QUEUED, RUNNING, WAITING_OWNER, READY, APPROVED, REJECTED, CHANGES_REQUESTED, FAILED)


class RunFields(SQLModel):
    question: str = Field(sa_type=Text)
    status: str = Field(default=RunStatus.QUEUED, index=True)
    outcome: str | None = Field(default=None, description="READY | ESCALATE_TO_OWNER | REJECT")
    panel_score: float | None = None
    offline: bool = False
    queries: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)
    key_terms: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)
    notes: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True,
                             description="how the run was made (offline, …)")

    @field_validator("queries", "key_terms", "notes", mode="before")
    @classmethod
    def _null_is_empty(cls, value: list[str] | None) -> list[str]:
        return [] if value is None else value  # a NULL column of an older row
