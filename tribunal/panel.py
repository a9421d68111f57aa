"""The panel: SKEPTIC, VALIDATOR and SYNTHESIZER review one draft in parallel (LangGraph `Send`),
then `gather` weighs their scores (`WEIGHTS`) and takes the synthesizer's summary as the panel's."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from domain.reviews import ReviewFields
from domain.run_data import RunData
from reports.model import Draft
from tribunal import llm
from tribunal.rubric import ROLE_RUBRIC, answer_cap, skeptic, validator
from tribunal.schema import ROLES, PanelResult
from tribunal.settings import tribunal_section

# The skeptic weighs most: a draft is only as good as its worst statement; the validator's share
# is smallest because it only looks at what the draft presents as holding.
WEIGHTS = {"skeptic": 0.4, "validator": 0.25, "synthesizer": 0.35}


class PanelState(TypedDict, total=False):
    draft: Draft
    run: RunData
    round: int
    backend: Any  # a ChatBackend, or None for the rubric
    reviews: Annotated[list[ReviewFields], operator.add]
    result: PanelResult


class RoleTask(TypedDict):
    role: str
    draft: Draft
    run: RunData
    round: int
    backend: Any


def _fan_out(state: PanelState) -> list[Send]:
    return [Send("review", RoleTask(role=r, draft=state["draft"], run=state["run"], round=state["round"],
                                    backend=state.get("backend"))) for r in ROLES]


def _review(task: RoleTask) -> dict[str, Any]:
    role, d, run = task["role"], task["draft"], task["run"]
    rubric = ROLE_RUBRIC[role](d, run)
    backend, error = task.get("backend"), None
    review = rubric
    if backend is not None:
        automated = [f.model_dump() for f in skeptic(d, run).findings + validator(d, run).findings]
        review, error = llm.llm_review(role, d, run, rubric, backend, automated)
    used = backend.name if backend is not None and error is None else "rubric"
    data = ReviewFields(round=task["round"], role=role, score=review.score, verdict=review.verdict,
                        findings=[f.model_dump() for f in review.findings], summary=review.summary,
                        backend=used, error=error)
    return {"reviews": [data]}


def _gather(state: PanelState) -> dict[str, Any]:
    order = {r: i for i, r in enumerate(ROLES)}
    reviews = sorted(state["reviews"], key=lambda r: order[r.role])
    score = round(sum(WEIGHTS[r.role] * r.score for r in reviews), 2)
    cap, why = answer_cap(state["draft"], state["run"])
    capped = f" Capped at {cap:g}: {why}." if score > cap else ""
    score = min(score, cap)
    synth = next(r for r in reviews if r.role == "synthesizer")
    roles = ", ".join(f"{r.role} {r.score:.1f}" for r in reviews)
    summary = f"Panel score {score:.1f}/10 ({roles}).{capped} {synth.summary}"
    return {"result": PanelResult(round=state["round"], score=score, reviews=reviews, summary=summary)}


def _build() -> Any:
    g = StateGraph(PanelState)
    g.add_node("review", _review)
    g.add_node("gather", _gather)
    g.add_conditional_edges(START, _fan_out, ["review"])
    g.add_edge("review", "gather")
    g.add_edge("gather", END)
    return g.compile()


_GRAPH = _build()


def make_backend(settings: Any) -> llm.ChatBackend | None:
    """The LLM backend the settings ask for, or None (the rubric) when no endpoint is set."""
    t = tribunal_section(settings)
    if not getattr(t, "llm_base_url", None):
        return None
    return llm.OpenAIChat(t.llm_base_url, t.llm_model, t.llm_api_key, t.llm_timeout_s)


def review_draft(draft: Draft, run: RunData, round: int, settings: Any = None,
                 backend: llm.ChatBackend | None = None) -> PanelResult:
    """The panel's review of `draft` in review round `round` (1-based). `settings`: the kernel's
    Settings, its `tribunal` section, or `tribunal.settings.TribunalSettings`; `backend`
    overrides the one the settings build."""
    chosen = backend if backend is not None else make_backend(settings)
    out = _GRAPH.invoke({"draft": draft, "run": run, "round": round, "backend": chosen, "reviews": []})
    return out["result"]
