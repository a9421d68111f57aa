"""TextChecker with the real MiniLM embedder and the committed combiner."""

import pytest

from verifier import BadInputError, PassageRef
from verifier.evidence import check_against_text

OWN = PassageRef(id="p1", paper_id="2410.17954", text=(
    "Across three models ExpertFlow is faster than a per-layer LRU cache (Cache-MoE). "
    "The speed-up is 1.99× on Mixtral-8x7B, 2.12× on Qwen1.5-MoE and 1.94× on DeepSeek-MoE."))
RERUN = PassageRef(id="r7", paper_id="2501.00001", text=(
    "Our re-measurement confirms that ExpertFlow decodes 1.99× faster than Cache-MoE on Mixtral-8x7B."))
OFFTOPIC = PassageRef(id="x", paper_id="2101.03961", text=(
    "Switch Transformers route each token to a single expert, which keeps compute per token constant."))


def test_true_claim_is_supported_with_evidence_and_corroboration(checker):
    v = checker.check("ExpertFlow is 1.99 times faster than Cache-MoE on Mixtral-8×7B.", OWN, [RERUN, OFFTOPIC])
    assert v.verdict == "SUPPORTED" and 0.5 < v.confidence <= 1.0
    assert v.evidence[0].passage_id == "p1" and "1.99×" in v.evidence[0].text
    assert [(c.paper_id, c.relation) for c in v.corroboration] == [("2501.00001", "restates")]


def test_kernel_errors_are_contradicted_with_the_reason(checker):
    v = checker.check("ExpertFlow is 2.04× faster than Cache-MoE on Mixtral-8x7B.", OWN, [])
    assert v.verdict == "CONTRADICTED"
    assert "value 2.04× vs 1.99× in evidence" in v.reasons
    v = checker.check("ExpertFlow is 2.12× faster than Cache-MoE on Mixtral-8x7B.", OWN, [])
    assert v.verdict == "CONTRADICTED"
    assert any("model Mixtral-8x7B in claim, Qwen1.5-MoE-A2.7B in evidence" in r for r in v.reasons)


def test_unrelated_evidence_leaves_the_claim_unverified(checker):
    v = checker.check("mixtral-offloading quantizes experts with HQQ.", OFFTOPIC, [])
    assert v.verdict == "UNVERIFIED"
    assert set(v.scores) >= {"tfidf", "embedding", "numeric_match", "entity_conflict", "negation"}


def test_batch_checks_many_claims_against_one_pool(checker):
    claims = ["ExpertFlow is 2.12× faster than Cache-MoE on Qwen1.5-MoE.",
              "ExpertFlow is 1.49× faster than Cache-MoE on DeepSeek-MoE."]
    out = checker.check_batch(claims, [RERUN, OFFTOPIC], own=[OWN, OWN])
    assert [v.verdict for v in out] == ["SUPPORTED", "CONTRADICTED"]


def test_other_language_and_empty_claims(checker):
    v = checker.check("ExpertFlow est deux fois plus rapide que Cache-MoE sur le modèle Mixtral.", OWN, [])
    assert v.verdict == "UNVERIFIED" and "English" in v.reasons[0]
    with pytest.raises(BadInputError, match="empty"):
        checker.check("   ", OWN, [])


def test_long_evidence_text_is_cut_and_preselected(checker):
    filler = "This sentence talks about the weather and nothing about experts. " * 20000  # ~1.3 MB
    v = check_against_text(checker, "ExpertFlow is 2.04× faster than Cache-MoE on Mixtral-8x7B.",
                           filler + OWN.text + filler)
    assert v.verdict == "CONTRADICTED"
