"""tribunal: three reviewers (SKEPTIC, VALIDATOR, SYNTHESIZER) score a draft against the run's
evidence — by a deterministic rubric, or an OpenAI-compatible LLM held to the rubric as a floor —
and `decide` turns the panel's result into READY, ESCALATE_TO_OWNER or REJECT."""

import importlib

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


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = importlib.import_module(module)
    return value if module.endswith("." + name) else getattr(value, name)


__all__ = [
    "ROLES", "ChatBackend", "DecideSettings", "OpenAIChat", "Outcome", "PanelResult", "ReviewerFailed",
    "RoleReview", "TribunalError", "TribunalSettings", "decide", "make_backend", "review_draft",
]
