"""Domain types of the verifier (pydantic v2): claims, passages, verdicts.

Character spans are half-open ``[start, end)`` offsets into the text the claim was
extracted from. Names in ``system``, ``baseline``, ``model``, ``hardware`` and
``dataset`` are canonical (see :mod:`verifier.aliases`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ClaimKind = Literal["quantitative", "comparison", "setup", "method"]
Direction = Literal["higher", "lower"]
VerdictLabel = Literal["SUPPORTED", "CONTRADICTED", "UNVERIFIED"]
VERDICTS: tuple[VerdictLabel, ...] = ("SUPPORTED", "CONTRADICTED", "UNVERIFIED")
# Does the claim's own passage state it with these fields? A check of extraction, never of truth.
AttributionLabel = Literal["ATTRIBUTED", "MISATTRIBUTED", "UNCHECKED"]
# What passages of other papers (other authors) say about the same quantity.
EvidenceLabel = Literal["CORROBORATED", "CONTRADICTED", "RELATED", "NONE"]


class ExtractedClaim(BaseModel):
    """One claim sentence with its structured fields (all optional but ``text``/``kind``)."""

    text: str = Field(description="the claim sentence as it appears in the source")
    kind: ClaimKind = Field(description="quantitative result, comparison, setup fact or method statement")
    system: str | None = Field(default=None, description="canonical name of the system the claim is about")
    metric: str | None = Field(default=None, description="throughput, latency, memory, hit rate, accuracy, ...")
    value: float | None = Field(default=None, description="the headline number (low end of a range)")
    value_high: float | None = Field(default=None, description="high end when the claim gives a range")
    unit: str | None = Field(default=None, description="×, %, GB, tokens/s, ms, ...")
    direction: Direction | None = Field(default=None, description="whether the metric went up or down")
    baseline: str | None = Field(default=None, description="canonical name of what it is compared against")
    model: str | None = Field(default=None, description="canonical model name, e.g. Mixtral-8x7B")
    hardware: str | None = Field(default=None, description="canonical hardware name, e.g. A40")
    dataset: str | None = Field(default=None, description="dataset or workload name")
    setting: dict[str, float | str] = Field(default_factory=dict,
                                            description="e.g. {'cache_size': 16, 'batch_size': 32}")
    start: int = Field(default=0, ge=0, description="span start in the given text")
    end: int = Field(default=0, ge=0, description="span end (exclusive) in the given text")


class PassageRef(BaseModel):
    """A passage the claim may be checked against."""

    id: int | str
    paper_id: str
    text: str
    section: str | None = None
    title: str | None = Field(default=None, description="the paper's title: tells homonymous systems apart")
    authors: list[str] = Field(default_factory=list, description="the paper's authors, when known")


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
