"""extract_claims: the structured fields a reader of the claims table relies on."""

import pytest

from verifier import BadInput, extract_claims

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
    with pytest.raises(BadInput, match="binary"):
        extract_claims(b"\x00\x01\x02PNG\x00" * 100)
    with pytest.raises(BadInput, match="UTF-8"):
        extract_claims(b"\xff\xfe\xfa bad bytes")


def test_long_text_yields_every_claim():
    para = ("ExpertFlow is 1.99× faster than Cache-MoE on Mixtral-8x7B (Fig. 3). "
            "Nothing else of note happened in this sentence at all. ")
    claims = extract_claims(para * 4000)  # ~0.5 MB; the 5 MB case is in benchmarks/verifier_robustness.py
    assert len(claims) == 4000 and {c.value for c in claims} == {1.99}


def test_other_language_text_gives_no_false_structure():
    claims = extract_claims("Le modèle est rapide et la mémoire est petite. Das Wetter ist schön.")
    assert claims == []


DAOP = ("Comprehensive evaluations across various datasets show that DAOP outperforms traditional expert caching "
        "and prefetching methods by up to 8.20x and offloading techniques by 1.35x while maintaining accuracy.")
PROMOE = ("Our evaluations demonstrate that ProMoE achieves an average speedup of 2.20x (up to 3.21x) and 2.07x "
          "(up to 5.02x) in the prefill and decode stages, respectively, compared to existing offloading solutions.")
SIDA = ("Specifically, SiDA-MoE attains a remarkable speedup in MoE inference with up to $3.93\\times$ throughput "
        "increasing, up to $72\\%$ latency reduction, and up to $80\\%$ GPU memory saving with down to $1\\%$ "
        "performance drop.")


def _numbers(text):
    return [c for c in extract_claims(text) if c.value is not None]


def test_what_was_maintained_is_not_the_metric_of_the_number():
    claims = _numbers(DAOP)
    assert [(c.value, c.metric, c.system) for c in claims] == [(8.2, "speedup", "DAOP"), (1.35, "speedup", "DAOP")]
    assert all(c.metric != "accuracy" for c in claims)
    assert [c.setting.get("bound") for c in claims] == ["upper", None]


def test_each_number_of_a_multi_number_sentence_is_its_own_claim_with_its_bound():
    claims = _numbers(PROMOE)
    assert [(c.value, c.setting.get("bound")) for c in claims] == [(2.2, None), (3.21, "upper"), (2.07, None),
                                                                   (5.02, "upper")]
    assert {(c.system, c.metric, c.unit, c.value_high) for c in claims} == {("ProMoE", "speedup", "×", None)}


def test_a_change_from_one_figure_to_another_is_not_a_range():
    claims = _numbers("ExpertFlow cuts peak GPU memory from 35.21 GB to 6.52 GB on Mixtral-8x7B.")
    assert [(c.value, c.value_high, c.unit, c.metric) for c in claims] == [(35.21, None, "GB", "memory"),
                                                                           (6.52, None, "GB", "memory")]
    (ranged,) = _numbers("MELINOE increases throughput by $1.2-3\\times$ over efficient baselines.")
    assert (ranged.value, ranged.value_high, ranged.unit, ranged.metric) == (1.2, 3.0, "×", "throughput")


def test_latex_numbers_keep_their_metrics_and_bounds():
    got = [(c.value, c.unit, c.metric, c.setting.get("bound")) for c in _numbers(SIDA)]
    assert got == [(3.93, "×", "throughput", "upper"), (72.0, "%", "latency", "upper"),
                   (80.0, "%", "memory", "upper"), (1.0, "%", "performance", "lower")]
    assert SIDA[_numbers(SIDA)[0].start:_numbers(SIDA)[0].end] == SIDA


def test_named_examples_of_what_was_beaten_are_baselines():
    text = ("MoE-Infinity provides 3.1-16.7x per-token latency improvements over numerous state-of-the-art "
            "systems, including vLLM, Ollama, DeepSpeed and BrainStorm.")
    (c,) = _numbers(text)
    assert (c.system, c.metric, c.value, c.value_high, c.baseline) == ("MoE-Infinity", "latency", 3.1, 16.7, "vLLM")


def test_parameter_counts_are_claims_and_device_counts_are_not():
    text = ("We introduce OLMoE. OLMoE-1B-7B has 7 billion (B) parameters but uses only 1B per input token. "
            "We pretrain it on 5 trillion tokens.")
    got = [(c.value, c.unit, c.metric, c.model, c.system) for c in _numbers(text)]
    assert got == [(7.0, "B params", "parameters", "OLMoE-1B-7B", None),
                   (1.0, "B params", "active parameters", "OLMoE-1B-7B", None)]
    served = _numbers("On a server with 4x NVIDIA A100 GPUs it has 2.1x higher throughput than vLLM.")
    assert [(c.value, c.baseline) for c in served] == [(2.1, "vLLM")]


def test_a_system_the_tables_do_not_know_is_read_from_how_the_sentence_uses_it():
    text = ("To address this, we present Zephyrus, an offloading engine. "
            "Zephyrus reduces decode latency by 31% over SE-MoE on Mixtral-8x7B.")
    (c,) = _numbers(text)
    assert (c.system, c.baseline, c.metric, c.value, c.model) == ("Zephyrus", "SE-MoE", "latency", 31.0, "Mixtral-8x7B")


def test_a_metric_named_as_what_was_given_up_is_not_the_numbers_metric():
    text = ("Concretely, QMoE can compress the 1.6 trillion parameter SwitchTransformer-c2048 model to less "
            "than 160GB (20x compression, 0.8 bits per parameter) at only minor accuracy loss, in less than a "
            "day on a single GPU.")
    assert "accuracy" not in {c.metric for c in extract_claims(text)}
    assert {c.metric for c in extract_claims("It reaches 2.1x higher throughput with negligible accuracy drop.")} \
        == {"throughput"}
    assert "accuracy" in {c.metric for c in extract_claims("It improves accuracy by 3.2% with no latency cost.")}


def test_a_baseline_is_not_carried_to_its_own_system_or_to_another_systems_figure():
    text = ("We present TurboCache, a predictive expert cache for MoE offloading. TurboCache is 12.4x faster "
            "than ExpertFlow on Mixtral-8x7B on a single RTX 3090. ExpertFlow reduces GPU memory usage by only 12%.")
    speed, memory = [c for c in extract_claims(text) if c.value is not None]
    assert (speed.system, speed.baseline) == ("TurboCache", "ExpertFlow")
    assert (memory.system, memory.baseline, memory.model) == ("ExpertFlow", None, "Mixtral-8x7B")
    text = ("We present SwiftExpert, an expert offloading runtime. "
            "SwiftExpert is 8.5x faster than an LRU expert cache when offloading Mixtral-8x7B experts. "
            "SwiftExpert reaches a 97% expert cache hit rate. ExpertFlow only reduces GPU memory usage by 10%.")
    speed, hits, memory = [c for c in extract_claims(text) if c.value is not None]
    assert speed.system == "SwiftExpert" and speed.model == "Mixtral-8x7B"  # "offloading Mixtral-8x7B": a setting
    assert (hits.system, hits.baseline) == ("SwiftExpert", "Cache-MoE")  # the same system keeps its baseline
    assert (memory.system, memory.baseline) == ("ExpertFlow", None)
