"""Structured comparison: the reasons a reader sees for a contradiction."""

from verifier.compare import PassageFacts, compare
from verifier.extract import fact_to_claim, sentence_facts

PASSAGE = PassageFacts.build(
    "Across three models ExpertFlow is faster than a per-layer LRU cache (Cache-MoE). "
    "The speed-up is 1.99× on Mixtral-8x7B, 2.12× on Qwen1.5-MoE and 1.94× on DeepSeek-MoE. "
    "It also cuts GPU memory by up to 93.72%.")


def _compare(text):
    (fact,) = sentence_facts(text)
    return compare(fact_to_claim(text, fact, "quantitative", 0), PASSAGE)


def test_matching_claim_is_found():
    c = _compare("ExpertFlow is 1.99 times faster than Cache-MoE on Mixtral-8×7B.")
    assert c.signals["numeric_match"] == 1.0 and c.signals["entity_conflict"] == 0.0


def test_wrong_number_names_both_values():
    c = _compare("ExpertFlow is 2.04× faster than Cache-MoE on Mixtral-8x7B.")
    assert c.signals["numeric_conflict"] == 1.0
    assert "value 2.04× vs 1.99× in evidence" in c.reasons


def test_number_moved_to_another_model_is_a_model_conflict():
    c = _compare("ExpertFlow is 2.12× faster than Cache-MoE on Mixtral-8x7B.")
    assert c.signals["numeric_match"] == 0.0
    assert any("model Mixtral-8x7B in claim, Qwen1.5-MoE-A2.7B in evidence" in r for r in c.reasons)


def test_wrong_baseline_is_named():
    c = _compare("ExpertFlow is 1.94× faster than SE-MoE on DeepSeek-MoE.")
    assert any(r.startswith("baseline SE-MoE in claim, Cache-MoE") for r in c.reasons)


def test_wrong_unit_and_wrong_metric():
    unit = _compare("ExpertFlow saves up to 93.72 GB of GPU memory.")
    assert unit.signals["unit_conflict"] == 1.0 and "unit GB in claim, % in evidence for 93.72" in unit.reasons
    metric = _compare("ExpertFlow raises the expert hit rate by 93.72%.")
    assert any("metric hit rate in claim, memory in evidence" in r for r in metric.reasons)
