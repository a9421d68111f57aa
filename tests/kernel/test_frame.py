"""Framing a question: its facets and what would answer each, by rules over the alias tables and
the runtime's policies, presets and hardware profiles."""

from __future__ import annotations

from kernel.empirical.question_checks import question_spec
from kernel.flow.nodes.frame import frame_question
from kernel.retrieval.planning import Plan, with_facets

QUESTION = ("How does ExpertFlow compare to static caches in throughput and POPE hallucination scores "
            "on Mixtral-8x22B or Qwen2-VL-MoE at varying batch sizes?")


def _by_text(question: str) -> dict[str, dict]:
    return {f["text"]: f for f in frame_question(question)}


def test_facets_of_a_comparison_question_and_what_answers_each():
    f = _by_text(QUESTION)
    assert f["ExpertFlow"]["kind"] == "system" and f["static cache"]["kind"] == "baseline"
    assert f["throughput"]["answerable_by"] == ["literature", "experiment"]
    assert f["POPE"]["kind"] == "dataset" and "experiment" not in f["POPE"]["answerable_by"]
    assert "model-quality benchmark" in f["POPE"]["reason"]
    assert "experiment" not in f["hallucination"]["answerable_by"] and f["hallucination"]["reason"]
    assert f["Qwen2-VL-MoE"]["kind"] == "model" and "no runtime preset" in f["Qwen2-VL-MoE"]["reason"]
    assert f["varying batch sizes"]["kind"] == "condition"
    exp = f["ExpertFlow vs static cache on Mixtral-8x22B"]["experiment"]
    assert (exp["policy"], exp["baseline_policy"], exp["preset"], exp["small_preset"]) == (
        "expertflow", "static", "mixtral-8x22b", "mixtral-tiny")
    assert len(exp["batch_sizes"]) > 1  # varying batch sizes: a sweep


def test_no_comparison_experiment_without_two_systems_the_runtime_runs():
    f = _by_text("Which MoE recommender systems improve NDCG on MovieLens?")
    assert not any(x["kind"] == "comparison" for x in f.values())
    assert f["MovieLens"]["kind"] == "topic" and f["NDCG"]["answerable_by"] == ["literature"]
    f = _by_text("Which mixture-of-experts recommender systems handle multimodal inputs?")
    assert f["recommender systems"]["kind"] == "topic" and f["multimodal inputs"]["terms"] == ["multimodal"]
    f = _by_text("Is Fiddler faster than ExpertFlow on an A100?")
    assert not any(x["kind"] == "comparison" for x in f.values())
    assert "no implementation in the runtime" in f["Fiddler"]["reason"] and "A100" in f["A100"]["reason"]


def test_the_question_experiment_is_a_spec_the_empirical_checks_accept():
    from verifier.empirical import ExperimentSpec

    exp = _by_text(QUESTION)["ExpertFlow vs static cache on Mixtral-8x22B"]["experiment"]
    spec = ExperimentSpec.model_validate(question_spec(exp, exp["batch_sizes"][0]))
    assert spec.claimed.value is None and spec.policies == ["expertflow", "static"]


def test_the_plan_covers_the_named_facets():
    plan = with_facets(Plan(queries=["moe inference", "expert offloading"], key_terms=["moe"]),
                       [("system", "ExpertFlow"), ("model", "Qwen2-VL-MoE"), ("dataset", "POPE")])
    assert any("Qwen2-VL-MoE" in q and "POPE" in q for q in plan.queries)
    assert {"ExpertFlow", "Qwen2-VL-MoE", "POPE"} <= set(plan.key_terms)


def test_a_serving_metric_the_runtime_does_not_measure_is_not_called_model_quality():
    """Energy per token is a serving figure, not what the model answers: its facet says the runtime
    does not measure it, and the TPU facet is a hardware facet without a profile."""
    facets = {f["text"]: f for f in frame_question(
        "What is the energy per generated token of Mixture-of-Experts inference on Google TPU v5e pods?")}
    assert "does not measure energy" in facets["energy"]["reason"]
    assert "model-quality" not in facets["energy"]["reason"]
    assert facets["TPU"]["kind"] == "hardware" and "no TPU profile" in facets["TPU"]["reason"]
