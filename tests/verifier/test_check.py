"""TextChecker with the real MiniLM embedder and the committed combiner: attribution on the
claim's own passage, verdicts only from independent passages."""

import pytest

from verifier import BadInput, PassageRef
from verifier.evidence import check_against_text

OWN = PassageRef(id="p1", paper_id="2410.17954", text=(
    "Across three models ExpertFlow is faster than a per-layer LRU cache (Cache-MoE). "
    "The speed-up is 1.99× on Mixtral-8x7B, 2.12× on Qwen1.5-MoE and 1.94× on DeepSeek-MoE."))
RERUN = PassageRef(id="r7", paper_id="2501.00001", text=(
    "Our re-measurement confirms that ExpertFlow decodes 1.99× faster than Cache-MoE on Mixtral-8x7B."))
OFFTOPIC = PassageRef(id="x", paper_id="2101.03961", text=(
    "Switch Transformers route each token to a single expert, which keeps compute per token constant."))


def test_own_passage_attributes_but_never_supports(checker):
    v = checker.check("ExpertFlow is 1.99 times faster than Cache-MoE on Mixtral-8×7B.", OWN, [])
    assert v.attribution == "ATTRIBUTED"
    assert v.verdict == "UNVERIFIED" and v.independent == "NONE"
    assert "only its authors' word" in v.reasons[0]
    assert all(e.paper_id != OWN.paper_id for e in v.evidence)


def test_another_paper_on_the_same_quantity_corroborates(checker):
    v = checker.check("ExpertFlow is 1.99 times faster than Cache-MoE on Mixtral-8×7B.", OWN, [RERUN, OFFTOPIC])
    assert v.verdict == "SUPPORTED" and v.independent == "CORROBORATED" and 0.5 < v.confidence <= 1.0
    assert v.evidence[0].passage_id == "r7" and "1.99×" in v.evidence[0].text
    assert [(c.paper_id, c.relation) for c in v.corroboration] == [("2501.00001", "restates")]


def test_extraction_errors_are_misattributed_and_other_papers_contradict(checker):
    v = checker.check("ExpertFlow is 2.12× faster than Cache-MoE on Mixtral-8x7B.", OWN, [RERUN])
    assert v.attribution == "MISATTRIBUTED"
    assert any("2.12×" in r and "1.99×" in r for r in v.attribution_reasons)
    assert v.verdict == "CONTRADICTED" and v.independent == "CONTRADICTED"
    assert any("value 2.12× vs 1.99× for the same quantity" in r for r in v.reasons)


def test_a_paper_never_contradicts_itself(checker):
    # Same paper id, another passage of it: not evidence at all.
    sibling = PassageRef(id="p2", paper_id=OWN.paper_id,
                         text="ExpertFlow is 1.50× faster than Cache-MoE on Mixtral-8x7B.")
    v = checker.check("ExpertFlow is 1.99× faster than Cache-MoE on Mixtral-8x7B.", OWN, [sibling])
    assert v.verdict == "UNVERIFIED" and v.independent == "NONE" and not v.corroboration


def test_same_authors_under_another_paper_id_are_not_independent(checker):
    own = OWN.model_copy(update={"authors": ["Xin He", "Shaohuai Shi"]})
    follow_up = RERUN.model_copy(update={"authors": ["Shaohuai Shi", "Someone Else"]})
    stranger = RERUN.model_copy(update={"authors": ["Someone Else"]})
    claim = "ExpertFlow is 1.99× faster than Cache-MoE on Mixtral-8x7B."
    assert checker.check(claim, own, [follow_up]).independent == "NONE"
    assert checker.check(claim, own, [stranger]).independent == "CORROBORATED"


def test_homonymous_systems_are_told_apart_by_paper(checker):
    own = OWN.model_copy(update={"title": "ExpertFlow: Efficient Mixture-of-Experts Inference via Predictive "
                                          "Expert Caching and Token Scheduling"})
    other_system = PassageRef(
        id="h1", paper_id="2510.26730",
        title="ExpertFlow: Adaptive Expert Scheduling and Memory Coordination for Efficient MoE Inference",
        text="We present ExpertFlow, a runtime system for MoE inference. ExpertFlow is 3.5× faster than "
             "Cache-MoE on Mixtral-8x7B.")
    v = checker.check("ExpertFlow is 1.99× faster than Cache-MoE on Mixtral-8x7B.", own, [other_system])
    assert v.verdict == "UNVERIFIED" and v.independent == "RELATED"
    assert any("presents its own system named ExpertFlow" in r for r in v.reasons)
    # A paper that only cites ExpertFlow (does not present one) is evidence about it.
    citing = other_system.model_copy(update={"title": "A survey of MoE offloading", "text": (
        "In our survey, ExpertFlow is 3.5× faster than Cache-MoE on Mixtral-8x7B.")})
    v = checker.check("ExpertFlow is 1.99× faster than Cache-MoE on Mixtral-8x7B.", own, [citing])
    assert v.verdict == "CONTRADICTED"


def test_another_papers_own_unnamed_method_is_not_evidence_about_a_named_system(checker):
    # Seen in an offline run: MELINOE's "1.2-3x" was "corroborated" by another paper's "our
    # method ... up to 3x": a figure that names no system is about its own authors' work.
    own = PassageRef(id="m1", paper_id="2602.11192", text=(
        "MELINOE increases throughput by 1.2-3x over efficient baselines and up to 14.7x over "
        "transfer-heavy baselines."))
    theirs = PassageRef(id="o1", paper_id="2409.00001", text=(
        "Experimental evaluations on Switch-base-128 demonstrate that our method leads to up to 3x "
        "improvement in inference throughput over efficient baselines."))
    for claim in ("MELINOE increases throughput by 1.2-3x over efficient baselines.",
                  "MELINOE increases throughput by up to 14.7x over transfer-heavy baselines."):
        v = checker.check(claim, own, [theirs])
        assert v.verdict == "UNVERIFIED" and v.independent == "RELATED", (claim, v.reasons)
        assert any("does not name MELINOE" in r for r in v.reasons)
    # Naming the system makes the same figure evidence about it.
    named = theirs.model_copy(update={"text": (
        "Re-measured on Switch-base-128, MELINOE increases throughput by 3x over efficient baselines.")})
    v = checker.check("MELINOE increases throughput by 1.2-3x over efficient baselines.", own, [named])
    assert v.independent == "CORROBORATED", v.reasons


def test_a_gain_that_names_no_system_is_not_judged_by_another_papers_system(checker):
    # Seen in an offline run: "our method ... up to 3x" was CONTRADICTED by DAOP's "up to 8.20x".
    own = PassageRef(id="s1", paper_id="2605.11537", text=(
        "Experimental evaluations on Switch-base-256 demonstrate that our method leads to up to 3x "
        "improvement in inference speed."))
    daop = PassageRef(id="d1", paper_id="2501.10375", text=(
        "DAOP outperforms traditional expert caching and prefetching methods by up to 8.20x and "
        "offloading techniques by 1.35x while maintaining accuracy."))
    v = checker.check("Our method leads to up to 3x improvement in inference speed on Switch-base-256.", own, [daop])
    assert v.verdict == "UNVERIFIED" and v.independent == "RELATED", v.reasons
    assert any("names no system" in r for r in v.reasons)


def test_a_users_gain_that_names_no_system_is_checked_against_the_evidence_given(checker):
    # The rule above is about a paper's "our method": a user's claim has no source paper, and the
    # evidence they give is about what they claim, so its figure is compared.
    evidence = "Offloading the experts to CPU memory cuts GPU memory use by 75% when serving Mixtral-8x7B."
    same = check_against_text(checker, "Offloading the experts cuts GPU memory use by 75%.", evidence)
    other = check_against_text(checker, "Offloading the experts cuts GPU memory use by 40%.", evidence)
    assert same.verdict == "SUPPORTED" and "75%" in same.reasons[0], same.reasons
    assert other.verdict == "CONTRADICTED" and "40%" in other.reasons[0], other.reasons


def test_unrelated_evidence_leaves_the_claim_unverified(checker):
    v = checker.check("mixtral-offloading quantizes experts with HQQ.", None, [OFFTOPIC])
    assert v.verdict == "UNVERIFIED" and v.attribution == "UNCHECKED"


def test_batch_checks_many_claims_against_one_pool(checker):
    claims = ["ExpertFlow is 2.12× faster than Cache-MoE on Qwen1.5-MoE.",
              "ExpertFlow is 1.49× faster than Cache-MoE on Mixtral-8x7B."]
    out = checker.check_batch(claims, [RERUN, OFFTOPIC], own=[OWN, OWN])
    assert [v.attribution for v in out] == ["ATTRIBUTED", "MISATTRIBUTED"]
    assert [v.verdict for v in out] == ["UNVERIFIED", "CONTRADICTED"]  # RERUN is about Mixtral only


def test_two_papers_presenting_a_name_the_tables_do_not_know_are_homonyms(checker):
    # Two papers by different authors each "present SwiftExpert": neither is evidence about the other's.
    own = PassageRef(id="s1", paper_id="local:aaa", title="SwiftExpert: Fast Expert Offloading for Mixtral",
                     text="We present SwiftExpert, an expert offloading runtime for Mixture-of-Experts inference.")
    other = PassageRef(id="s2", paper_id="local:bbb", authors=["Someone Else"],
                       text="We present SwiftExpert, an offloading runtime for Mixture-of-Experts models.")
    claim = "We present SwiftExpert, an offloading runtime for Mixture-of-Experts models."
    v = checker.check(claim, other, [own])
    assert v.independent == "RELATED" and any("presents its own system named SwiftExpert" in r for r in v.reasons)


def test_other_language_and_empty_claims(checker):
    v = checker.check("ExpertFlow est deux fois plus rapide que Cache-MoE sur le modèle Mixtral.", None, [RERUN])
    assert v.verdict == "UNVERIFIED" and "English" in v.reasons[0]
    with pytest.raises(BadInput, match="empty"):
        checker.check("   ", OWN, [])


@pytest.mark.parametrize("text, english", [
    ("Mixtral-8x7B uses roughly 12.9B parameters per token.", True),  # no function word at all
    ("Copying one Mixtral-8x7B expert over PCIe 4.0 takes about 14 ms.", True),
    ("IPCC overestimate temperature rise.", True),
    ("Smith et al. report a 2x speedup on Mixtral.", True),
    ("ExpertFlow est deux fois plus rapide que Cache-MoE sur le modèle Mixtral.", False),
    ("ExpertFlow ist doppelt so schnell wie Cache-MoE auf dem Mixtral-Modell.", False),
    ("ExpertFlow es dos veces más rápido que Cache-MoE en el modelo Mixtral.", False),
    ("ExpertFlow 比 Cache-MoE 快两倍，在 Mixtral 模型上。", False),
])
def test_short_technical_english_is_english_and_other_languages_are_not(text, english):
    from verifier.check import looks_english
    assert looks_english(text) is english


def test_long_evidence_text_is_cut_and_preselected(checker):
    filler = "This sentence talks about the weather and nothing about experts. " * 20000  # ~1.3 MB
    v = check_against_text(checker, "ExpertFlow is 2.04× faster than Cache-MoE on Mixtral-8x7B.",
                           filler + OWN.text + filler)
    assert v.verdict == "CONTRADICTED"


class _AlwaysEntails:
    """Stands in for verifier.nli.NLICore: says every evidence entails every claim."""

    def predict(self, claims, evidences):
        import numpy as np
        return np.tile(np.asarray([[0.97, 0.01, 0.02]], np.float32), (len(claims), 1))


def test_the_nli_core_is_the_model_signal_and_numbers_still_override_it(checker):
    from verifier.check import TextChecker
    nli_checker = TextChecker(checker.embedder, settings=checker.settings, combiner=checker.combiner,
                              nli=_AlwaysEntails())
    v = nli_checker.check("ExpertFlow is 2.04× faster than Cache-MoE on Mixtral-8x7B.", OWN, [RERUN])
    assert v.verdict == "CONTRADICTED" and v.scores["p_supported"] == pytest.approx(0.97)
    assert any("the numbers decide; the model alone said SUPPORTED" in r for r in v.reasons)
    v = nli_checker.check("ExpertFlow decodes faster than Cache-MoE on Mixtral-8x7B.", None, [RERUN])
    assert v.verdict == "SUPPORTED" and any("the NLI core finds the claim entailed" in r for r in v.reasons)


def test_a_misread_metric_is_misattributed(checker):
    from verifier import ExtractedClaim
    daop = PassageRef(id="d1", paper_id="2501.10375", text=(
        "DAOP outperforms traditional expert caching and prefetching methods by up to 8.20x and offloading "
        "techniques by 1.35x while maintaining accuracy."))
    misread = ExtractedClaim(text=daop.text, kind="quantitative", system="DAOP", metric="accuracy", value=8.2, unit="×")
    v = checker.check(misread, daop, [])
    assert v.attribution == "MISATTRIBUTED" and "not a percentage" in v.attribution_reasons[0]


PROSE_EVIDENCE = PassageRef(id="h1", paper_id="2405.00001", text=(
    "Offloading experts to host memory lets large mixture-of-experts models run on a single small GPU."))
PROSE_CLAIM = ("Offloading experts to host memory lets large models run on small GPUs with hardly any slowdown "
               "in everyday production serving workloads.")


def test_hybrid_scope_gives_prose_to_the_nli_core_and_named_systems_to_the_combiner(checker):
    from verifier.check import TextChecker
    hybrid = TextChecker(checker.embedder, settings=checker.settings, combiner=checker.combiner,
                         nli=_AlwaysEntails(), nli_scope="prose")
    named = hybrid.check("ExpertFlow decodes faster than Cache-MoE on Mixtral-8x7B.", None, [RERUN])
    assert named.scores["p_supported"] != pytest.approx(0.97)  # the combiner's probability, not the stand-in's
    assert not any("NLI core" in r for r in named.reasons)
    prose = hybrid.check(PROSE_CLAIM, None, [PROSE_EVIDENCE])
    assert prose.scores["p_supported"] == pytest.approx(0.97)
    with pytest.raises(BadInput, match="nli_scope"):
        TextChecker(checker.embedder, settings=checker.settings, combiner=checker.combiner, nli_scope="some")


def test_a_confident_nli_entailment_stands_though_words_are_missing_and_says_which(checker):
    from verifier.check import TextChecker
    from verifier.settings import VerifierSettings
    for threshold, verdict, shown in ((0.5, "SUPPORTED", "though the evidence sentence lacks"),
                                      (0.99, "UNVERIFIED", "the evidence does not say")):
        settings = VerifierSettings(**{**checker.settings.model_dump(), "nli_entailment": threshold})
        nli_checker = TextChecker(checker.embedder, settings=settings, combiner=checker.combiner,
                                  nli=_AlwaysEntails())
        v = nli_checker.check(PROSE_CLAIM, None, [PROSE_EVIDENCE])
        assert v.verdict == verdict and any(shown in r and "slowdown" in r for r in v.reasons), v.reasons
    # the combiner's entailment never overrides the words rule
    combiner_only = TextChecker(checker.embedder, settings=checker.settings, combiner=checker.combiner)
    v = combiner_only.check(PROSE_CLAIM, None, [PROSE_EVIDENCE])
    assert v.verdict == "UNVERIFIED" and any("the evidence does not say" in r for r in v.reasons), v.reasons
