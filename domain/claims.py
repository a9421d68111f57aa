"""A claim and its structured fields.

Character spans are half-open ``[start, end)`` offsets into the text the claim was extracted
from (for a stored claim: its passage). Names in ``system``, ``baseline``, ``model``,
``hardware`` and ``dataset`` are canonical (see :mod:`verifier.aliases`).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import JSON, Text
from sqlmodel import AutoString, Field, SQLModel

ClaimKind = Literal["quantitative", "comparison", "setup", "method"]
Direction = Literal["higher", "lower"]


class ClaimFields(SQLModel):
    """One claim sentence with its structured fields (all optional but ``text``)."""

    text: str = Field(sa_type=Text, description="the claim sentence as it appears in the source")
    kind: ClaimKind = Field(default="method", sa_type=AutoString,
                            description="quantitative result, comparison, setup fact or method statement")
    system: str | None = Field(default=None, description="canonical name of the system the claim is about")
    metric: str | None = Field(default=None, description="throughput, latency, memory, hit rate, accuracy, ...")
    value: float | None = Field(default=None, description="the headline number (low end of a range)")
    value_high: float | None = Field(default=None, description="high end when the claim gives a range")
    unit: str | None = Field(default=None, description="×, %, GB, tokens/s, ms, ...")
    direction: Direction | None = Field(default=None, sa_type=AutoString,
                                        description="whether the metric went up or down")
    baseline: str | None = Field(default=None, description="canonical name of what it is compared against")
    model: str | None = Field(default=None, description="canonical model name, e.g. Mixtral-8x7B")
    hardware: str | None = Field(default=None, description="canonical hardware name, e.g. A40")
    dataset: str | None = Field(default=None, description="dataset or workload name")
    setting: dict[str, float | str] = Field(default_factory=dict, sa_type=JSON, nullable=True,
                                            description="e.g. {'cache_size': 16, 'batch_size': 32}")
    start: int = Field(default=0, ge=0, description="span start in the text it was extracted from")
    end: int = Field(default=0, ge=0, description="span end (exclusive)")
