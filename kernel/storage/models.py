"""The tables of DESIGN.md ("Data model"), as sqlmodel classes.

Every line of a report traces to a row here: a passage, a check, or a measurement. JSON columns
hold structured values that are read whole (settings, scores, measurements, findings); anything
that is filtered on is a real column.

Natural keys are unique so that a stage re-run after a crash replaces its rows instead of adding
a second copy (see `kernel.storage.crud`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.claims import ClaimFields
from domain.empirical import EmpiricalFields
from domain.facets import FacetFields
from domain.papers import PaperFields
from domain.passages import PassageFields
from domain.reviews import DecisionFields, ReviewFields
from domain.runs import RunFields
from domain.verdicts import TextCheckFields


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class Run(RunFields, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    stage: str | None = Field(default=None, description="the stage running or last finished")
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    policy: str = Field(default="default", description="the decide policy in force")
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Paper(PaperFields, table=True):
    id: str = Field(primary_key=True, description="versionless arXiv id, e.g. 2410.17954")


class RunPaper(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("run_id", "paper_id"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    paper_id: str = Field(foreign_key="paper.id")
    query: str = Field(default="", sa_column=Column(Text))
    rank: int = 0
    score: float = 0.0


class Passage(PassageFields, table=True):
    __table_args__ = (UniqueConstraint("paper_id", "kind", "start", "end"),)
    id: int | None = Field(default=None, primary_key=True)
    paper_id: str = Field(foreign_key="paper.id", index=True)


class PaperSetupRow(SQLModel, table=True):
    """A paper's evaluation setup as its own text states it (`verifier.paper_setup`), written
    when the paper is read: each field is {"value", "passage_id", "start", "end", "quote"}, the
    span inside that passage. No row: the text was not read, or states no setup."""

    __tablename__ = "paper_setup"
    paper_id: str = Field(foreign_key="paper.id", primary_key=True)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # No foreign key: deleting passages (a test database reset) must not trip over this row.
    passage_id: int | None = Field(default=None, description="the passage most of the fields come from")
    updated_at: datetime = Field(default_factory=utcnow)


class Claim(ClaimFields, table=True):
    __table_args__ = (UniqueConstraint("run_id", "passage_id", "ordinal"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    ordinal: int = Field(default=0, description="position among its passage's claims")
    paper_id: str = Field(foreign_key="paper.id")
    passage_id: int = Field(foreign_key="passage.id")
    in_abstract: bool = Field(default=False, description="stated in the report's abstract")


class TextCheck(TextCheckFields, table=True):
    """A claim's two textual verdicts, stored side by side (`domain.verdicts`)."""

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", unique=True)


class EmpiricalCheck(EmpiricalFields, table=True):
    """One experiment on the runtime: a claim's re-measurement (``claim_id``), or a comparison a
    facet of the question asks for (``facet_id``). Exactly one of the two is set."""

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int | None = Field(default=None, foreign_key="claim.id", unique=True)
    facet_id: int | None = Field(default=None, foreign_key="facet.id", index=True)
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Facet(FacetFields, table=True):
    __table_args__ = (UniqueConstraint("run_id", "ordinal"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    ordinal: int = 0


class Review(ReviewFields, table=True):
    __table_args__ = (UniqueConstraint("run_id", "round", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)


class Decision(DecisionFields, table=True):
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ReportVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("run_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    version: int = 1
    round: int = 1
    author: str = Field(default="drafter", description="drafter | reviser | owner:<name>")
    markdown: str = Field(sa_column=Column(Text, nullable=False))
    draft: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
