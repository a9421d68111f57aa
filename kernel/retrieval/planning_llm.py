"""An LLM planner over any OpenAI-compatible chat endpoint (NIM, vLLM, Ollama).

Used when `settings.tribunal.llm_base_url` is set. Its output is checked (JSON, lists of
strings, at most `n` queries) and merged with the deterministic plan: the LLM's queries first,
padded with the deterministic ones; key terms from both (the reranker's system names come from
the deterministic vocabulary). Any failure raises `PlannerUnavailable`; the plan stage then
uses the deterministic plan and says so.
"""

from __future__ import annotations

import json
import re

from kernel.errors import RetrievalError
from kernel.retrieval.planning import Plan, plan_queries, unique_terms
from kernel.retrieval.prompts import PLAN_SYSTEM

_FENCE_RE = re.compile(r"^```(?:json)?\s*|\s*```$")


class PlannerUnavailable(RetrievalError):
    """The LLM endpoint failed or answered with something that is not a plan."""


def _strings(value, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlannerUnavailable(f"the LLM plan's {field!r} is not a list of strings")
    return [" ".join(v.split()) for v in value if v.strip()]


def parse_plan(content: str, n: int) -> tuple[list[str], list[str]]:
    """(queries, key terms) from the model's reply; raises PlannerUnavailable."""
    text = _FENCE_RE.sub("", content.strip())
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PlannerUnavailable(f"the LLM did not answer with JSON: {text[:80]!r}") from exc
    if not isinstance(data, dict):
        raise PlannerUnavailable("the LLM plan is not a JSON object")
    queries = [q for q in _strings(data.get("queries"), "queries") if len(q) <= 200][:n]
    if not queries:
        raise PlannerUnavailable("the LLM plan has no queries")
    return queries, _strings(data.get("key_terms", []), "key_terms")[:30]


def llm_plan(question: str, n: int, *, base_url: str, model: str | None,
             api_key: str | None, timeout_s: float) -> Plan:
    import httpx

    body = {
        "model": model or "default",
        "temperature": 0,
        "messages": [
            {"role": "system", "content": PLAN_SYSTEM.format(n=n)},
            {"role": "user", "content": question},
        ],
    }
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = base_url.rstrip("/") + "/chat/completions"
    try:
        resp = httpx.post(url, json=body, headers=headers, timeout=timeout_s)
        resp.raise_for_status()
        content = resp.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise PlannerUnavailable(f"LLM planner at {url} failed: {exc}") from exc
    queries, key_terms = parse_plan(content or "", n)
    base = plan_queries(question, n)
    return Plan(
        queries=unique_terms(queries + base.queries)[:n],
        key_terms=unique_terms(key_terms + base.key_terms),
    )
