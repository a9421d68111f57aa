"""tribunal: three reviewers (SKEPTIC, VALIDATOR, SYNTHESIZER) score a draft against the run's
evidence — by a deterministic rubric, or an OpenAI-compatible LLM held to the rubric as a floor —
and `decide` turns the panel's result into READY, ESCALATE_TO_OWNER or REJECT."""

from tribunal.decision import decide
from tribunal.errors import ReviewerFailed, TribunalError
from tribunal.llm import ChatBackend, OpenAIChat
from tribunal.panel import make_backend, review_draft
from tribunal.schema import ROLES, Outcome, PanelResult, RoleReview
from tribunal.settings import DecideSettings, TribunalSettings

__all__ = [
    "ROLES", "ChatBackend", "DecideSettings", "OpenAIChat", "Outcome", "PanelResult", "ReviewerFailed",
    "RoleReview", "TribunalError", "TribunalSettings", "decide", "make_backend", "review_draft",
]
