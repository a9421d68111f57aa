"""A paper: its record as arXiv (or the researcher's file) gives it."""

from __future__ import annotations

from datetime import datetime

from pydantic import field_validator
from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel


class PaperFields(SQLModel):
    version: str | None = None
    title: str = Field(sa_type=Text)
    authors: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)
    abstract: str = Field(default="", sa_type=Text, nullable=True)
    categories: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)
    published: datetime | None = None
    updated: datetime | None = None
    pdf_url: str | None = None
    source: str = Field(default="arxiv", description="arxiv | corpus:<file> | file:<name> | cache")
    file_sha256: str | None = Field(
        default=None, index=True,
        description="sha256 of the researcher's file the text came from (`sovereign corpus add`)",
    )

    @field_validator("authors", "categories", mode="before")
    @classmethod
    def _null_is_empty(cls, value: list[str] | None) -> list[str]:
        return [] if value is None else value  # a NULL column of an older row
