"""A facet of the question (DESIGN.md, frame): what it asks about and what would answer it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel


class FacetFields(SQLModel):
    kind: str = Field(description="system | baseline | metric | model | hardware | dataset | condition | comparison")
    text: str = Field(sa_type=Text, description="the facet as a reader says it")
    terms: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True,
                             description="canonical names a claim must mention to address the facet")
    answerable_by: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True,
                                     description="literature | experiment (empty: neither)")
    reason: str = Field(default="", sa_type=Text, nullable=True,
                        description="why a route cannot answer it (e.g. a quality benchmark the runtime cannot run)")
    experiment: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=True,
                                       description="the runtime comparison a comparison facet asks for")
    status: str = Field(default="open", description="open | answered | partial | gap")
    status_reason: str = Field(default="", sa_type=Text, nullable=True)
