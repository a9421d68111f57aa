"""LLM reviewers over any OpenAI-compatible chat endpoint (NVIDIA NIM, vLLM, Ollama, llama.cpp).

One call asks for structured JSON (`response_format` json_schema) and validates the answer
against `RoleReview`; an invalid answer or an HTTP failure is retried once, then the rubric's
review stands with the failure recorded. The rubric is a floor under the LLM (`apply_floor`):
the LLM can add concerns and lower a score, never raise a score above the rubric's or clear a
claim the rubric flags.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

import httpx
from pydantic import ValidationError

from domain.run_data import RunData
from reports.findings import Finding
from reports.model import Draft
from tribunal import prompts
from tribunal.errors import ReviewerFailed, TribunalError
from tribunal.schema import RoleReview, verdict_for

STRICT = ("critical", "major")


class ChatBackend(Protocol):
    name: str

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        """The assistant's reply text; raises ReviewerFailed on transport or protocol errors."""


class OpenAIChat:
    """POST {base_url}/chat/completions, the OpenAI chat protocol most local servers speak."""

    def __init__(self, base_url: str, model: str | None, api_key: str | None = None, timeout_s: float = 60.0):
        if not base_url.startswith(("http://", "https://")):
            raise TribunalError(f"tribunal.llm_base_url={base_url!r}; give an http(s) URL such as "
                                "http://127.0.0.1:8000/v1, or unset it to use the rubric")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model or "default"
        self.name = f"llm:{self.model}"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_s = timeout_s

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "review", "schema": schema, "strict": False}},
        }
        try:
            r = httpx.post(self.url, json=body, headers=self.headers, timeout=self.timeout_s)
            r.raise_for_status()
            return str(r.json()["choices"][0]["message"]["content"])
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ReviewerFailed(f"{type(exc).__name__}: {exc}") from exc


def parse_review(text: str, role: str) -> RoleReview:
    """The reply as a RoleReview; tolerates a ```json fence around the object."""
    m = re.search(r"\{.*\}", text, re.S)
    if m is None:
        raise ValueError("no JSON object in the reply")
    data = json.loads(m.group(0))
    if isinstance(data, dict):
        data["role"] = role  # the role is ours to assign, not the model's
        for f in data.get("findings", []) or []:
            if isinstance(f, dict):
                f["source"] = "llm"
    return RoleReview.model_validate(data)


def llm_review(role: str, draft: Draft, run: RunData, rubric: RoleReview, backend: ChatBackend,
               automated: list[dict[str, Any]]) -> tuple[RoleReview, str | None]:
    """(review, error): the LLM's review under the rubric floor, or the rubric's with the error."""
    msgs = prompts.messages(role, draft, run, automated)
    schema = RoleReview.model_json_schema()
    errors: list[str] = []
    for _attempt in range(2):
        try:
            review = parse_review(backend.complete(msgs, schema), role)
            return apply_floor(review, rubric), None
        except (ReviewerFailed, ValidationError, ValueError) as exc:
            errors.append(str(exc).splitlines()[0][:300])
            msgs = msgs + [{"role": "user", "content": prompts.RETRY.format(error=errors[-1])}]
    return rubric, f"LLM reviewer failed twice ({' | '.join(errors)}); the rubric's review stands"


def apply_floor(llm: RoleReview, rubric: RoleReview) -> RoleReview:
    """Merge an LLM review with the rubric's: the score is the lower of the two; every finding
    of the rubric stays; an LLM 'ok' on a claim the rubric flags is dropped."""
    flagged = {f.claim_id for f in rubric.findings if f.severity in STRICT and f.claim_id is not None}
    kept = [f for f in llm.findings if not (f.severity in ("ok", "info") and f.claim_id in flagged)]
    have = {(f.kind, f.claim_id, f.check_id, f.facet_id) for f in kept}
    kept += [f for f in rubric.findings if (f.kind, f.claim_id, f.check_id, f.facet_id) not in have]
    score = min(llm.score, rubric.score)
    if llm.score > rubric.score:
        kept.append(Finding(kind="rubric_floor", severity="info", source="rubric",
                            message=f"LLM score {llm.score:.1f} capped at the rubric's {rubric.score:.1f}."))
    return RoleReview(role=llm.role, score=score, verdict=verdict_for(score), summary=llm.summary, findings=kept)
