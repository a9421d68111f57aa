"""tribunal: three reviewers (SKEPTIC, VALIDATOR, SYNTHESIZER) score a draft against the run's
evidence — by a deterministic rubric, or an OpenAI-compatible LLM held to the rubric as a floor —
and `decide` turns the panel's result into READY, ESCALATE_TO_OWNER or REJECT."""

from verifier.lazy import lazy_getattr

# name -> module that defines it; imported on first use, so importing the package is cheap
_EXPORTS = {
    "decide": "tribunal.decision",
    "ReviewerFailed": "tribunal.errors",
    "TribunalError": "tribunal.errors",
    "ChatBackend": "tribunal.llm",
    "OpenAIChat": "tribunal.llm",
    "make_backend": "tribunal.panel",
    "review_draft": "tribunal.panel",
    "ROLES": "tribunal.schema",
    "Outcome": "tribunal.schema",
    "PanelResult": "tribunal.schema",
    "RoleReview": "tribunal.schema",
    "DecideSettings": "tribunal.settings",
    "TribunalSettings": "tribunal.settings",
}

__getattr__ = lazy_getattr(__name__, _EXPORTS)

__all__ = [
    "ROLES", "ChatBackend", "DecideSettings", "OpenAIChat", "Outcome", "PanelResult", "ReviewerFailed",
    "RoleReview", "TribunalError", "TribunalSettings", "decide", "make_backend", "review_draft",
]
