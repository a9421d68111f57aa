"""Per-number alignment: a claim's number against the number playing the same role."""

from verifier.alignment import align
from verifier.compare import PassageFacts
from verifier.features import claim_views

PROMOE = ("Our evaluations demonstrate that ProMoE achieves an average speedup of 2.20x (up to 3.21x) and "
          "2.07x (up to 5.02x) in the prefill and decode stages, respectively, compared to existing offloading "
          "solutions.")
PER_MODEL = ("Across three models ExpertFlow is faster than Cache-MoE. "
             "The speed-up is 1.99× on Mixtral-8x7B, 2.12× on Qwen1.5-MoE and 1.94× on DeepSeek-MoE.")


def outcomes(claim: str, evidence: str) -> list[str]:
    pf = PassageFacts.build(evidence)
    return [align(v, pf).outcome for v in claim_views(claim) if v.value is not None]


def test_each_number_of_a_multi_number_sentence_agrees_with_its_own_sentence():
    pf = PassageFacts.build(PROMOE)
    views = [v for v in claim_views(PROMOE) if v.value is not None]
    assert [v.value for v in views] == [2.2, 3.21, 2.07, 5.02]
    assert [align(v, pf).outcome for v in views] == ["agrees"] * 4


def test_a_number_is_compared_with_the_one_for_its_model_only():
    assert outcomes("ExpertFlow is 2.12× faster than Cache-MoE on Qwen1.5-MoE.", PER_MODEL) == ["agrees"]
    assert outcomes("ExpertFlow is 2.12× faster than Cache-MoE on Mixtral-8x7B.", PER_MODEL) == ["disagrees"]
    # No model named: three candidate figures, none matching, roles not told apart.
    assert outcomes("ExpertFlow is 2.50× faster than Cache-MoE.", PER_MODEL) == ["ambiguous"]


def test_ranges_bracket_and_up_to_bounds():
    ranged = "MoE-Infinity gives 3.1-16.7x lower per-token latency than vLLM."
    assert outcomes("MoE-Infinity gives 5.2x lower per-token latency than vLLM.", ranged) == ["agrees"]
    assert outcomes("MoE-Infinity gives 20x lower per-token latency than vLLM.", ranged) == ["disagrees"]
    bound = "ExpertFlow reduces GPU memory usage by up to 93.72%."
    assert outcomes("ExpertFlow reduces GPU memory usage by 80%.", bound) == ["consistent"]
    assert outcomes("ExpertFlow reduces GPU memory usage by 95%.", bound) == ["disagrees"]
    assert outcomes("ExpertFlow reduces GPU memory usage by up to 93.12%.", bound) == ["disagrees"]
    assert outcomes("ExpertFlow reduces GPU memory usage by up to 93.72%.", bound) == ["agrees"]


def test_a_speedup_over_another_baseline_is_another_quantity():
    ev = "ExpertFlow improves inference throughput by up to 10x over strong offloading baselines."
    assert outcomes("ExpertFlow improves throughput by 12x over SE-MoE on Switch-base-32.", ev) == ["other_setting"]
