"""`RunData`: everything stored about one run, as the drafter and the reviewers read it.

The kernel builds it from database rows (`kernel.storage.crud.load_run_data`); `reports` and `tribunal`
never see the database. Ids are the database ids, so a report line can name its row.
"""

from __future__ import annotations

from sqlmodel import Field

from domain.claims import ClaimFields
from domain.empirical import EmpiricalFields
from domain.facets import FacetFields
from domain.papers import PaperFields
from domain.passages import PassageFields
from domain.reviews import DecisionFields, ReviewFields
from domain.runs import RunFields
from domain.verdicts import TextCheckFields


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


class EmpiricalData(EmpiricalFields):
    id: int


class ClaimData(ClaimFields):
    id: int
    paper_id: str
    passage_id: int
    text_check: TextCheckFields | None = None
    empirical: EmpiricalData | None = None


class FacetData(FacetFields):
    id: int


class DecisionData(DecisionFields):
    created_at: str = ""  # ISO 8601


class RunData(RunFields):
    run_id: str
    papers: list[PaperData] = Field(default_factory=list)
    passages: list[PassageData] = Field(default_factory=list)
    claims: list[ClaimData] = Field(default_factory=list)
    facets: list[FacetData] = Field(default_factory=list)  # the question's facets (frame stage)
    question_checks: list[EmpiricalData] = Field(default_factory=list)  # measured for the question
    reviews: list[ReviewFields] = Field(default_factory=list)
    decisions: list[DecisionData] = Field(default_factory=list)
    round: int = 1
