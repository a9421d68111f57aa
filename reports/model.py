"""The `Draft`: a report as structured data, before it is rendered.

Prose is a list of `Sentence`s, each carrying the reference tokens of the rows it rests on
(`P12` passage 12, `C7` claim 7 and its textual check, `E3` empirical check 3, `S:claims` a table
of this report). Invariant kept by the drafter and tested: a sentence whose text contains a number
has at least one reference. The three renderings (Markdown, HTML, JSON) read only this type, so
they agree on every claim, verdict and number by construction.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from domain.claims import ClaimFields
from domain.reviews import ReviewFields


class Sentence(BaseModel):
    text: str
    refs: list[str] = Field(default_factory=list, description="reference tokens: P12, C7, E3, S:claims")
    claim_ids: list[int] = Field(
        default_factory=list, description="claims this sentence states as a finding of a paper"
    )


class ClaimRow(ClaimFields):
    """A line of the claims table: the claim as the paper states it (quoted, with its fields) and
    its verdicts."""

    claim_id: int
    paper_id: str
    verdict: str = Field(description="headline status from the three verdicts (verifier.headline): "
                                     "SUPPORTED | CONTRADICTED | UNVERIFIED | NOT_CHECKED")
    verdict_reason: str = Field("", description="why the headline is what it is, e.g. only its authors' word")
    attribution: str = Field("UNCHECKED", description="own passage states it with these fields (extraction only)")
    independent: str = Field("NONE", description="other papers: CORROBORATED | CONTRADICTED | RELATED | NONE")
    confidence: float | None = Field(None, description="confidence of the independent evidence's verdict")
    passage_id: int = Field(description="the passage the claim was extracted from")
    evidence_passage_id: int | None = Field(None, description="best passage of another paper, if any")
    evidence: str = Field("", description="quoted snippet of that passage")
    empirical: str = Field(description="one line: the empirical verdict, or 'not run — <reason>'")
    empirical_check_id: int | None = None
    status: str = Field("stated", description="stated | qualified | withdrawn (set by revision)")
    note: str = ""


class EmpiricalRow(BaseModel):
    check_id: int
    claim_id: int | None = Field(None, description="the claim re-measured; "
                                                   "None for an experiment measured for the question")
    facet_id: int | None = Field(None, description="the facet an experiment measured for the question answers")
    metric: str
    unit: str = ""
    claimed: float | None = None
    measured: float | None = None
    verdict: str = "NOT_TESTABLE"
    backend: str = ""
    setting: str = Field("", description="what was run: preset, policies, link, batch")
    reason: str = Field("", description="the verdict's reason, as the check recorded it")
    caveats: list[str] = Field(default_factory=list)
    comparisons: list[dict[str, Any]] = Field(
        default_factory=list, description="claimed/measured pairs: {label, unit, claimed, measured}"
    )


class AnswerFacet(BaseModel):
    """One facet of the question in the Answer: what the papers state about it and what we
    measured (prose citing rows), or an explicit gap with its reason."""

    facet_id: int
    kind: str
    facet: str = Field(description="the facet as asked, e.g. 'Mixtral-8x22B' or 'POPE'")
    status: str = Field(description="answered | partial | gap")
    sentences: list[Sentence] = Field(default_factory=list)
    claim_ids: list[int] = Field(default_factory=list, description="claims that address the facet")
    check_ids: list[int] = Field(default_factory=list, description="empirical checks that address the facet")
    papers: list[str] = Field(default_factory=list, description="papers whose claims address the facet")
    gap: str = Field("", description="what no source or experiment answers, and why")


class Figure(BaseModel):
    id: str = Field(description="anchor, e.g. fig-1")
    title: str
    check_ids: list[int] = Field(default_factory=list)
    spec: dict[str, Any] = Field(description="a plotly figure as a dict (fig.to_dict())")


class PaperRef(BaseModel):
    paper_id: str
    title: str
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    url: str = ""
    fulltext: bool = False


class QuotedPassage(BaseModel):
    passage_id: int
    paper_id: str
    section: str = ""
    text: str


class Draft(BaseModel):
    run_id: str
    round: int = 1
    author: str = Field("drafter", description="drafter | reviser")
    title: str
    question: str
    answer: list[AnswerFacet] = Field(default_factory=list, description="the question's facets, answered or gaps")
    abstract: list[Sentence] = Field(default_factory=list)
    introduction: list[Sentence] = Field(default_factory=list)
    methodology: list[Sentence] = Field(default_factory=list)
    results: list[Sentence] = Field(default_factory=list)
    empirical: list[EmpiricalRow] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    uncertainties: list[Sentence] = Field(default_factory=list)
    claims: list[ClaimRow] = Field(default_factory=list)
    revision_notes: list[Sentence] = Field(default_factory=list)
    reviews: list[ReviewFields] = Field(default_factory=list)
    references: list[PaperRef] = Field(default_factory=list)
    passages: list[QuotedPassage] = Field(default_factory=list)
    outcome: str | None = Field(None, description="READY | ESCALATE_TO_OWNER | REJECT, once decided")
    outcome_reasons: list[str] = Field(default_factory=list)

    PROSE: ClassVar[tuple[str, ...]] = ("abstract", "introduction", "methodology", "results", "uncertainties",
                                        "revision_notes")

    def answer_sentences(self) -> list[Sentence]:
        return [s for f in self.answer for s in f.sentences]

    def section(self, name: str) -> list[Sentence]:
        """The sentences of a prose section; "answer" is the Answer's sentences, facet by facet."""
        return self.answer_sentences() if name == "answer" else getattr(self, name)

    def prose(self) -> list[tuple[str, Sentence]]:
        """Every sentence with the name of its section, in reading order (the Answer first)."""
        return [(name, s) for name in ("answer",) + self.PROSE for s in self.section(name)]

    def stated_claim_ids(
        self, sections: tuple[str, ...] = ("answer", "abstract", "introduction", "results")
    ) -> set[int]:
        """Claims the draft states as findings in `sections`."""
        return {cid for name in sections for s in self.section(name) for cid in s.claim_ids}

    def claim_row(self, claim_id: int) -> ClaimRow | None:
        return next((r for r in self.claims if r.claim_id == claim_id), None)
