"""The settings the tribunal reads, with the field names of the kernel's `TribunalSection` and
`DecideSettings`. The tribunal does not import the kernel: its functions accept these models, the
kernel's sections, or the kernel's root Settings (whose `.tribunal` / `.decide` are used)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class TribunalSettings(BaseModel):
    revision_threshold: float = Field(6.5, description="panel score under which one revision runs")
    max_rounds: int = Field(2, ge=1, le=3, description="review rounds at most (1 + revisions)")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible chat endpoint; none = rubric")
    llm_model: str | None = Field(None, description="model name at the LLM endpoint")
    llm_api_key: str | None = Field(None, description="API key for the LLM endpoint")
    llm_timeout_s: float = Field(60.0, gt=0, description="timeout of one LLM call")


class DecideSettings(BaseModel):
    ready_score: float = Field(8.0, description="panel score at or above which a draft is READY")
    reject_score: float = Field(3.0, description="panel score under which a draft is REJECTED")
    always_escalate: bool = Field(True, description="every draft waits for the owner (graph routing)")


def tribunal_section(settings: Any) -> Any:
    if settings is None:
        return TribunalSettings()
    return getattr(settings, "tribunal", settings)


def decide_section(settings: Any) -> Any:
    if settings is None:
        return DecideSettings()
    return getattr(settings, "decide", settings)
