"""An empirical result: one experiment on the runtime and its reproduction verdict."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel


class CheckStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    NOT_RUN = "not_run"


class EmpiricalFields(SQLModel):
    """A claim's re-measurement, or a comparison a facet of the question asks for that no claim
    states (``facet_id`` set: "measured for this question")."""

    facet_id: int | None = Field(default=None, description="the facet an experiment for the question answers")
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=True)
    status: str = Field(default=CheckStatus.QUEUED, index=True,
                        description="queued | running | done | failed | not_run")
    backend: str | None = None
    node: str | None = None
    claimed: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=True)
    measurements: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=True)
    verdict: str | None = Field(
        default=None, description="REPRODUCED | PARTIAL | NOT_REPRODUCED | NOT_TESTABLE"
    )
    reason: str | None = Field(default=None, sa_type=Text)
    caveats: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)
    error: str | None = Field(default=None, sa_type=Text)
