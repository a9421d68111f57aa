"""The tribunal's types. `RoleReview` is both what the rubric returns and the JSON schema an LLM
reviewer must answer with; `PanelResult` and `Outcome` are what the kernel stores and routes on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.reviews import ReviewFields
from reports.findings import Finding

Role = Literal["skeptic", "validator", "synthesizer"]
ROLES: tuple[Role, ...] = ("skeptic", "validator", "synthesizer")
OutcomeLabel = Literal["READY", "ESCALATE_TO_OWNER", "REJECT"]


class RoleReview(BaseModel):
    role: Role
    score: float = Field(ge=0, le=10, description="0 (unusable) to 10 (every line holds)")
    verdict: Literal["accept", "revise", "reject"]
    summary: str = Field(description="two or three sentences, citing claim ids like C12")
    findings: list[Finding] = Field(default_factory=list)


class PanelResult(BaseModel):
    round: int
    score: float = Field(description="weighted mean of the three role scores (tribunal.panel.WEIGHTS), 0-10")
    reviews: list[ReviewFields]
    summary: str

    def findings(self, role: str | None = None) -> list[Finding]:
        return [Finding.model_validate(f) for r in self.reviews if role in (None, r.role) for f in r.findings]


class Outcome(BaseModel):
    outcome: OutcomeLabel
    score: float
    reasons: list[str]


def verdict_for(score: float) -> Literal["accept", "revise", "reject"]:
    return "accept" if score >= 8.0 else "revise" if score >= 4.0 else "reject"
