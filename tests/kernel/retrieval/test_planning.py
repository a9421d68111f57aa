"""The planners: deterministic (names, phrases, vocabulary) and the LLM one over loopback."""

from __future__ import annotations

import json
from types import SimpleNamespace

from kernel.flow.context import StageContext
from kernel.flow.nodes.plan import plan
from kernel.retrieval.planning import plan_queries, system_names

QUESTION = ("How does ExpertFlow's predictive expert caching compare to LRU expert caches "
            "for MoE inference?")


def test_deterministic_plan_names_the_system_its_baselines_and_the_field():
    p = plan_queries(QUESTION, 4)
    assert p == plan_queries(QUESTION, 4)  # reproducible
    assert len(p.queries) == 4 and len(set(p.queries)) == 4
    assert "ExpertFlow" in p.queries[0] and "mixture of experts" in p.queries[2]
    assert "Pre-gated MoE" in p.queries[3] and "SE-MoE" in p.queries[3]
    assert system_names(p.key_terms)[:3] == ["ExpertFlow", "Pre-gated MoE", "SE-MoE"]
    assert all(len(q.split()) <= 10 for q in p.queries)


def test_plan_of_a_question_without_vocabulary_still_has_queries():
    p = plan_queries("What is the capital of France?", 4)
    assert p.queries and "capital France" in p.queries[0]
    assert plan_queries("hello", 3).queries == ["hello"]


def _chat(reply: str):
    def respond(path, query):
        assert path == "/v1/chat/completions"
        body = {"choices": [{"message": {"role": "assistant", "content": reply}}]}
        return 200, "application/json", json.dumps(body).encode()

    return respond


def test_llm_planner_is_used_and_merged_when_configured(settings, loopback):
    reply = '```json\n{"queries": ["ExpertFlow routing path predictor", "LRU expert cache ' \
            'Mixtral offloading"], "key_terms": ["ExpertFlow", "Mixtral offloading"]}\n```'
    server = loopback(_chat(reply))
    settings.tribunal.llm_base_url = server.url + "/v1"
    ctx = StageContext(settings)
    out = plan({"run_id": "x", "question": QUESTION}, SimpleNamespace(context=ctx))
    assert out["queries"][:2] == ["ExpertFlow routing path predictor",
                                  "LRU expert cache Mixtral offloading"]
    assert len(out["queries"]) == 4 and "SE-MoE" in out["key_terms"]
    assert "planned by the LLM" in out["notes"][0]
    sent = json.loads(server.bodies[0])
    assert sent["messages"][1]["content"] == QUESTION and "data" in sent["messages"][0]["content"]


def test_llm_planner_failure_falls_back_with_a_note(settings, loopback):
    server = loopback(_chat("Sure! Here are some queries: ..."))
    settings.tribunal.llm_base_url = server.url + "/v1"
    ctx = StageContext(settings)
    out = plan({"run_id": "x", "question": QUESTION}, SimpleNamespace(context=ctx))
    assert out["queries"] == plan_queries(QUESTION, 4).queries
    assert "did not answer with JSON" in out["notes"][0]
