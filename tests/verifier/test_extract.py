"""extract_claims: the structured fields a reader of the claims table relies on."""

import pytest

from verifier import BadInputError, extract_claims

SPEED = ("Across three models ExpertFlow is faster than a per-layer LRU cache (Cache-MoE). "
         "The speed-up is 1.99× on Mixtral-8x7B, 2.12× on Qwen1.5-MoE and 1.94× on DeepSeek-MoE.")


def test_each_number_gets_its_own_model_and_the_shared_baseline():
    claims = [c for c in extract_claims(SPEED) if c.kind == "quantitative"]
    got = [(c.value, c.unit, c.model, c.baseline) for c in claims]
    assert got == [(1.99, "×", "Mixtral-8x7B", "Cache-MoE"), (2.12, "×", "Qwen1.5-MoE-A2.7B", "Cache-MoE"),
                   (1.94, "×", "DeepSeek-MoE-16B", "Cache-MoE")]
    assert all(c.system == "ExpertFlow" and c.direction == "higher" for c in claims)


def test_respectively_pairs_numbers_with_names_and_settings_are_kept():
    text = ("With a cache of 16 experts and batch size 32, ExpertFlow runs 2.01×, 3.19× and 5.86× "
            "faster than SE-MoE on Switch-32, Switch-64 and Switch-128 respectively.")
    claims = extract_claims(text)
    assert [(c.value, c.model) for c in claims] == [(2.01, "Switch-Base-32"), (3.19, "Switch-Base-64"),
                                                     (5.86, "Switch-Base-128")]
    assert all(c.baseline == "SE-MoE" and c.setting == {"cache_size": 16.0, "batch_size": 32.0} for c in claims)


def test_spans_point_into_the_text_and_metric_and_direction_are_read():
    text = "We start. ExpertFlow cuts GPU memory by up to 93.72%."
    (c,) = extract_claims(text)
    assert text[c.start:c.end] == "ExpertFlow cuts GPU memory by up to 93.72%."
    assert (c.metric, c.value, c.unit, c.direction) == ("memory", 93.72, "%", "lower")


def test_method_and_setup_sentences_are_claims_and_chatter_is_not():
    text = ("Pre-gated MoE selects the experts of the next block early. "
            "mixtral-offloading was tested on a free Colab T4. The weather was nice.")
    kinds = [(c.kind, c.system, c.hardware) for c in extract_claims(text)]
    assert kinds == [("method", "Pre-gated MoE", None), ("setup", "mixtral-offloading", "T4")]


def test_empty_text_and_reference_sections_give_no_claims():
    assert extract_claims("") == [] and extract_claims("   \n ") == []
    assert extract_claims("ExpertFlow is 2× faster than SE-MoE.", source_section="References") == []


def test_binary_input_is_refused_with_a_clear_message():
    with pytest.raises(BadInputError, match="binary"):
        extract_claims(b"\x00\x01\x02PNG\x00" * 100)
    with pytest.raises(BadInputError, match="UTF-8"):
        extract_claims(b"\xff\xfe\xfa bad bytes")


def test_long_text_yields_every_claim():
    para = ("ExpertFlow is 1.99× faster than Cache-MoE on Mixtral-8x7B (Fig. 3). "
            "Nothing else of note happened in this sentence at all. ")
    claims = extract_claims(para * 4000)  # ~0.5 MB; the 5 MB case is in benchmarks/verifier_robustness.py
    assert len(claims) == 4000 and {c.value for c in claims} == {1.99}


def test_other_language_text_gives_no_false_structure():
    claims = extract_claims("Le modèle est rapide et la mémoire est petite. Das Wetter ist schön.")
    assert claims == []
