"""A claim's textual verdicts: attribution (its own passage states it with these fields, a check
of extraction) and independent evidence (what passages of other papers say about it).

The third verdict, the reproduction, is an empirical result (:mod:`domain.empirical`); the
headline status combines the three (`verifier.headline`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import JSON
from sqlmodel import AutoString, Field, SQLModel

VerdictLabel = Literal["SUPPORTED", "CONTRADICTED", "UNVERIFIED"]
VERDICTS: tuple[VerdictLabel, ...] = ("SUPPORTED", "CONTRADICTED", "UNVERIFIED")
# Does the claim's own passage state it with these fields? A check of extraction, never of truth.
AttributionLabel = Literal["ATTRIBUTED", "MISATTRIBUTED", "UNCHECKED"]
# What passages of other papers (other authors) say about the same quantity.
EvidenceLabel = Literal["CORROBORATED", "CONTRADICTED", "RELATED", "NONE"]


class EvidenceItem(BaseModel):
    passage_id: int | str
    paper_id: str
    text: str = Field(description="snippet of the passage around the best-matching sentence")
    score: float = Field(description="relevance of the passage to the claim in [0, 1]")


class Corroboration(BaseModel):
    paper_id: str
    passage_id: int | str
    relation: Literal["restates", "contradicts"]
    snippet: str


class TextCheckFields(SQLModel):
    """Outcome of a textual check, as stored: evidence and corroboration are plain dicts.

    ``verdict`` rests on independent evidence only — passages of other papers, or a text the
    user gives — and never on the claim's own passage: SUPPORTED when ``independent`` is
    CORROBORATED, CONTRADICTED when it is CONTRADICTED, UNVERIFIED otherwise. ``confidence`` is
    the model's probability of ``verdict`` on the deciding passage. ``attribution`` is the
    separate check of the claim against its own passage (our extraction), kept apart.
    """

    verdict: VerdictLabel = Field(sa_type=AutoString, description="from independent evidence only")
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    scores: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=True)
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=True,
                                           description="independent passages (EvidenceItem), best first")
    reasons: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)
    corroboration: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=True)
    independent: EvidenceLabel = Field(default="NONE", sa_type=AutoString,
                                       description="CORROBORATED | CONTRADICTED | RELATED | NONE")
    attribution: AttributionLabel = Field(default="UNCHECKED", sa_type=AutoString,
                                          description="ATTRIBUTED | MISATTRIBUTED | UNCHECKED")
    attribution_reasons: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)


class TextVerdict(TextCheckFields):
    """A textual check as the verifier returns it: the same fields, evidence and corroboration typed."""

    evidence: list[EvidenceItem] = Field(default_factory=list, description="independent passages, best first")
    corroboration: list[Corroboration] = Field(default_factory=list)
