"""A passage: a span of a paper's text (its abstract, a section's paragraph, a table)."""

from __future__ import annotations

from sqlalchemy import Text
from sqlmodel import Field, SQLModel


class PassageFields(SQLModel):
    paper_id: str = Field(description="the paper's versionless id")
    kind: str = Field(default="abstract", description="abstract | fulltext | table")
    section: str = Field(default="Abstract", description='the heading as written, or "Table 3"')
    section_kind: str | None = Field(
        default=None, description="normalised section: abstract | introduction | background | related_work | "
        "method | implementation | evaluation | results | discussion | conclusion | appendix | body | front",
    )
    text: str = Field(sa_type=Text)
    start: int = Field(default=0, description="character span inside the paper's text")
    end: int = 0


class PassageRef(PassageFields):
    """A passage a claim may be checked against, with its paper's title and authors (they tell
    homonymous systems and independent sources apart)."""

    id: int | str
    title: str | None = Field(default=None, description="the paper's title")
    authors: list[str] = Field(default_factory=list, description="the paper's authors, when known")
