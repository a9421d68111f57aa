"""`RunData`: everything stored about one run, as the drafter and the reviewers read it.

The kernel builds it from database rows (`kernel.crud.load_run_data`); `reports` and `tribunal`
never see the database. Ids are the database ids, so a report line can name its row.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from domain.claims import ClaimFields
from domain.papers import PaperFields
from domain.passages import PassageFields


class PaperData(PaperFields):
    """A paper of the run, with how the run found it."""

    id: str  # versionless arXiv id
    year: int | None = None
    rank: int = 0
    score: float = 0.0
    query: str = ""
    fulltext: bool = False  # False: only the abstract was read


class PassageData(PassageFields):
    id: int


class TextCheckData(BaseModel):
    verdict: str  # SUPPORTED | CONTRADICTED | UNVERIFIED, from independent evidence only
    confidence: float = 0.0
    scores: dict[str, Any] = Field(default_factory=dict)
    evidence: list[dict[str, Any]] = Field(default_factory=list)  # passages of other papers
    reasons: list[str] = Field(default_factory=list)
    corroboration: list[dict[str, Any]] = Field(default_factory=list)
    independent: str = "NONE"  # CORROBORATED | CONTRADICTED | RELATED | NONE
    attribution: str = "UNCHECKED"  # ATTRIBUTED | MISATTRIBUTED | UNCHECKED (own passage: extraction only)
    attribution_reasons: list[str] = Field(default_factory=list)


class EmpiricalData(BaseModel):
    id: int
    facet_id: int | None = None  # set for an experiment measured for the question, not for a claim
    status: str  # queued | running | done | failed | not_run
    verdict: str | None = None  # REPRODUCED | PARTIAL | NOT_REPRODUCED | NOT_TESTABLE
    backend: str | None = None
    node: str | None = None
    spec: dict[str, Any] = Field(default_factory=dict)
    claimed: dict[str, Any] = Field(default_factory=dict)
    measurements: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None
    caveats: list[str] = Field(default_factory=list)
    error: str | None = None


class ClaimData(ClaimFields):
    id: int
    paper_id: str
    passage_id: int
    text_check: TextCheckData | None = None
    empirical: EmpiricalData | None = None


class FacetData(BaseModel):
    """A facet of the question (kernel.models.FacetBase) as the drafter and reviewers read it."""

    id: int
    kind: str
    text: str
    terms: list[str] = Field(default_factory=list)
    answerable_by: list[str] = Field(default_factory=list)  # literature | experiment
    reason: str = ""
    experiment: dict[str, Any] = Field(default_factory=dict)
    status: str = "open"
    status_reason: str = ""


class ReviewData(BaseModel):
    round: int
    role: str  # skeptic | validator | synthesizer
    score: float
    verdict: str = ""
    findings: list[dict[str, Any]] = Field(default_factory=list)
    summary: str = ""
    backend: str = "rubric"
    error: str | None = None


class DecisionData(BaseModel):
    owner: str
    action: str
    comment: str = ""
    created_at: str = ""


class RunData(BaseModel):
    run_id: str
    question: str
    status: str = "running"
    offline: bool = False
    queries: list[str] = Field(default_factory=list)
    key_terms: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # how the run was made (offline, …)
    papers: list[PaperData] = Field(default_factory=list)
    passages: list[PassageData] = Field(default_factory=list)
    claims: list[ClaimData] = Field(default_factory=list)
    facets: list[FacetData] = Field(default_factory=list)  # the question's facets (frame stage)
    question_checks: list[EmpiricalData] = Field(default_factory=list)  # measured for the question
    reviews: list[ReviewData] = Field(default_factory=list)
    decisions: list[DecisionData] = Field(default_factory=list)
    panel_score: float | None = None
    outcome: str | None = None
    round: int = 1
