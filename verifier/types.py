"""The domain types the verifier takes and returns: claims, passages, verdicts (declared in
:mod:`domain`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.claims import ClaimFields
from domain.passages import PassageRef

# The verifier's name for a claim it extracted: the one claim type of `domain`.
ExtractedClaim = ClaimFields
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


class TextVerdict(BaseModel):
    """Outcome of a textual check.

    ``verdict`` rests on independent evidence only — passages of other papers, or a text the
    user gives — and never on the claim's own passage: SUPPORTED when ``independent`` is
    CORROBORATED, CONTRADICTED when it is CONTRADICTED, UNVERIFIED otherwise. ``confidence`` is
    the model's probability of ``verdict`` on the deciding passage. ``attribution`` is the
    separate check of the claim against its own passage (our extraction), kept apart.
    """

    verdict: VerdictLabel
    confidence: float = Field(ge=0.0, le=1.0)
    scores: dict[str, float] = Field(default_factory=dict)
    evidence: list[EvidenceItem] = Field(default_factory=list, description="independent passages, best first")
    reasons: list[str] = Field(default_factory=list)
    corroboration: list[Corroboration] = Field(default_factory=list)
    independent: EvidenceLabel = Field(default="NONE", description="CORROBORATED | CONTRADICTED | RELATED | NONE")
    attribution: AttributionLabel = Field(default="UNCHECKED", description="own passage states it with these fields")
    attribution_reasons: list[str] = Field(default_factory=list)


__all__ = ["AttributionLabel", "ClaimFields", "Corroboration", "EvidenceItem", "EvidenceLabel", "ExtractedClaim",
           "PassageRef", "TextVerdict", "VERDICTS", "VerdictLabel"]
