"""What the panel and the owner say about a report: a reviewer's review, an owner's decision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel


class ReviewFields(SQLModel):
    round: int = 1
    role: str = Field(description="skeptic | validator | synthesizer")
    score: float = 0.0
    verdict: str = ""
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=True,
                                           description="`reports.findings.Finding`s as dicts")
    summary: str = Field(default="", sa_type=Text, nullable=True)
    backend: str = "rubric"
    error: str | None = Field(default=None, sa_type=Text)


class DecisionFields(SQLModel):
    owner: str
    action: str = Field(description="approve | reject | request_changes")
    comment: str = Field(default="", sa_type=Text, nullable=True)
