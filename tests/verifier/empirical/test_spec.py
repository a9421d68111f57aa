"""Claim → experiment: the mapping a reader relies on to know what was re-measured."""

from __future__ import annotations

import pytest

from verifier.empirical import ExperimentSpec, NotTestable, plan_experiment
from verifier.empirical.backends import scaled_budget
from verifier.extract import extract_claims
from verifier.types import ExtractedClaim

THROUGHPUT = "ExpertFlow achieves 1.99× higher throughput than Cache-MoE on Mixtral-8×7B"
HIT_RATE = ("ExpertFlow reaches an expert hit rate of 85.91% versus 58.37% for LRU on Switch-32 "
            "with cache size 16 and batch size 16")
MEMORY = "ExpertFlow reduces peak GPU memory of Qwen1.5-MoE from 35.21 GB to 6.52 GB"
QUALITY = "SMoES improves MMBench accuracy by 0.9%"


def plans(text: str) -> list[ExperimentSpec | NotTestable]:
    return [plan_experiment(c) for c in extract_claims(text)]


def test_throughput_claim_maps_to_expertflow_vs_lru_on_mixtral_with_the_papers_a40():
    (spec,) = plans(THROUGHPUT)
    assert isinstance(spec, ExperimentSpec)
    assert (spec.policy, spec.baseline_policy) == ("expertflow", "lru")
    assert (spec.preset, spec.small_preset) == ("mixtral-8x7b", "mixtral-tiny")
    assert spec.claimed.quantity == "speedup" and spec.claimed.value == pytest.approx(1.99)
    assert spec.hardware == "a40-pcie4"
    # Cache 16 is the paper's Switch setting and exceeds Mixtral's 8 experts: a stated default.
    assert spec.cache_size == 2 and any("cache size not stated" in a for a in spec.assumed)


def test_hit_rate_sentence_ties_each_number_to_its_system_and_keeps_the_claims_setting():
    first, second = plans(HIT_RATE)
    assert first.claimed.subject == "expertflow" and first.claimed.value == pytest.approx(85.91)
    assert first.claimed.others == {"lru": pytest.approx(58.37)}
    assert second.claimed.subject == "lru" and second.claimed.others == {"expertflow": pytest.approx(85.91)}
    assert (first.preset, first.cache_size, first.batch_size) == ("switch-base-32", 16, 16)
    assert not any(a.startswith(("cache size", "batch size")) for a in first.assumed)


def test_memory_from_to_becomes_a_saving_with_both_footprints():
    spec, *same = plans(MEMORY)  # the extractor may give each of the two numbers its own claim
    assert all(s.claimed == spec.claimed for s in same)
    assert spec.claimed.quantity == "memory_saving"
    assert spec.claimed.value == pytest.approx(100 * (1 - 6.52 / 35.21), abs=0.01)
    assert spec.claimed.others == {"before_gb": 35.21, "after_gb": 6.52}
    assert spec.preset == "qwen1.5-moe-a2.7b"


def test_benchmark_accuracy_is_not_testable_with_a_reason():
    (item,) = plans(QUALITY)
    assert isinstance(item, NotTestable)
    assert "accuracy" in item.reason and "benchmark" in item.reason


@pytest.mark.parametrize("claim, words", [
    (ExtractedClaim(text="MoE-Infinity is 3× faster than Cache-MoE on Mixtral-8x7B.", kind="quantitative",
                    system="MoE-Infinity", baseline="Cache-MoE", metric="speedup", value=3.0, unit="×",
                    model="Mixtral-8x7B"), ["MoE-Infinity", "implemented"]),
    (ExtractedClaim(text="ExpertFlow is 2× faster.", kind="quantitative", system="ExpertFlow",
                    metric="speedup", value=2.0, unit="×", direction="higher"), ["baseline"]),
    (ExtractedClaim(text="ExpertFlow reaches 40 tokens/s on Mixtral-8x7B.", kind="quantitative",
                    system="ExpertFlow", metric="throughput", value=40.0, unit="tokens/s",
                    model="Mixtral-8x7B"), ["absolute"]),
    (ExtractedClaim(text="ExpertFlow caches experts.", kind="method", system="ExpertFlow"), ["no number"]),
    (ExtractedClaim(text="ExpertFlow is 2× faster than SE-MoE on DBRX.", kind="quantitative",
                    system="ExpertFlow", baseline="SE-MoE", metric="speedup", value=2.0, unit="×",
                    model="DBRX"), ["DBRX", "preset"]),
])
def test_untestable_claims_say_why(claim, words):
    item = plan_experiment(claim)
    assert isinstance(item, NotTestable)
    for w in words:
        assert w in item.reason


def test_latency_cut_in_percent_becomes_a_throughput_ratio():
    claim = ExtractedClaim(text="ExpertFlow cuts latency by 50% compared to SE-MoE on Switch-Base-64.",
                           kind="quantitative", system="ExpertFlow", baseline="SE-MoE", metric="latency",
                           value=50.0, unit="%", direction="lower", model="Switch-Base-64")
    spec = plan_experiment(claim)
    assert spec.claimed.quantity == "speedup" and spec.claimed.value == pytest.approx(2.0)


def test_budget_keeps_the_fraction_of_experts_at_small_scale():
    assert scaled_budget(16, 32, 8) == 4  # Switch-32 cache 16 -> half of switch-tiny's 8
    assert scaled_budget(4, 128, 8) == 1  # never below one expert per layer
    assert scaled_budget(16, 60, 16) == 4  # Qwen1.5-MoE 16 of 60 -> 4 of 16


def test_the_papers_own_unnamed_system_is_its_system_and_said_so():
    text = ("Together, these components enable efficient expert loading and execution, reducing GPU "
            "memory usage by up to 93.72% and improving inference throughput by up to 10x over strong "
            "offloading baselines on a single GPU.")
    memory, speed = (plan_experiment(c, paper_id="2410.17954v3") for c in extract_claims(text))
    # 93.72% names no model; on the assumed Mixtral-8x7B one expert per layer saves 84.5% at most,
    # so a "not reproduced" there would follow from the assumption, not from ExpertFlow
    assert isinstance(memory, NotTestable) and "names no model" in memory.reason and "84.5%" in memory.reason
    assert isinstance(speed, NotTestable) and "baseline" in speed.reason  # "strong baselines": which?
    (reachable,) = [plan_experiment(c, paper_id="2410.17954v3")
                    for c in extract_claims("Our system reduces GPU memory usage by up to 70%.")]
    assert reachable.policy == "expertflow" and reachable.claimed.value == pytest.approx(70.0)
    assert any("paper's own system" in a for a in reachable.assumed)
    (named,) = plans("ExpertFlow reduces GPU memory of Mixtral-8x7B by up to 93.72%")  # a named model is tested
    assert isinstance(named, ExperimentSpec) and named.cache_size == 1
    (elsewhere,) = [plan_experiment(c) for c in extract_claims(text)][:1]
    assert isinstance(elsewhere, NotTestable)  # without the paper, nobody is named


def test_memory_reduced_to_a_share_is_a_saving_of_the_rest_and_stall_time_is_not_memory():
    (to_share,) = plans("ExpertFlow reduces GPU memory of Mixtral-8x7B to 20% of the original.")
    assert to_share.claimed.value == pytest.approx(80.0)
    (stall,) = plans("ExpertFlow reduces model stall time to less than 0.1% of the baseline under "
                     "stringent memory constraints.")
    assert isinstance(stall, NotTestable) and "stall time" in stall.reason


def test_a_speedup_of_a_system_over_itself_is_not_testable_instead_of_a_crash():
    (claim,) = extract_claims("LRU is 1.5x faster than LRU")
    item = plan_experiment(claim)
    assert isinstance(item, NotTestable) and "itself" in item.reason


def test_lru_faster_than_expertflow_is_a_speedup_of_lru_over_expertflow():
    (spec,) = plans("LRU is 1.5x faster than ExpertFlow")
    assert (spec.policy, spec.baseline_policy, spec.claimed.value) == ("lru", "expertflow", 1.5)


def test_times_slower_is_the_inverse_ratio():
    (spec,) = plans("on-demand loading is 3x slower than LRU")
    assert spec.policy == "on-demand" and spec.claimed.value == pytest.approx(1 / 3, rel=1e-3)


def test_slowest_policy_runs_every_policy_and_a_comparative_runs_the_two_named():
    item = plan_experiment(ExtractedClaim(text="on-demand loading is the slowest policy", kind="comparison"))
    assert isinstance(item, ExperimentSpec) and item.claimed.quantity == "ordering"
    assert item.claimed.rank == "slowest" and item.policy == "on-demand"
    assert {"lru", "expertflow", "all-resident"} <= set(item.policies) and len(item.policies) >= 5
    (pair,) = [plan_experiment(c) for c in extract_claims("LRU is faster than on-demand loading")]
    assert (pair.policy, pair.policies, pair.claimed.rank) == ("lru", ["lru", "on-demand"], "fastest")


def test_a_memory_claim_without_a_cache_size_gets_the_one_its_footprint_needs_and_says_so():
    (spec,) = plans("ExpertFlow reduces GPU memory of Mixtral-8x7B by 70%")
    assert spec.cache_size == 2 and {"on-demand", "all-resident"} <= set(spec.policies)
    assert any("set by this choice" in a for a in spec.assumed)


@pytest.mark.parametrize("text", ["ExpertFlow only reduces GPU memory of Mixtral-8x7B by 10%",
                                  "ExpertFlow reduces GPU memory of Mixtral-8x7B by only 12%"])
def test_a_saving_called_small_is_tested_at_the_largest_saving_the_system_can_make(text):
    # "only 10%" says ExpertFlow does no better: measured at the smallest cache, not at the cache
    # whose footprint matches 10% (which would meet the claim by construction)
    (spec,) = plans(text)
    assert spec.claimed.limit == "at_most" and spec.claimed.as_written.startswith("only ")
    assert spec.cache_size == 1 and any("the smallest" in a for a in spec.assumed)


def test_only_before_the_system_names_who_and_does_not_call_the_saving_small():
    (spec,) = plans("Only ExpertFlow reduces GPU memory of Mixtral-8x7B by 70%")
    assert spec.claimed.limit is None and spec.cache_size == 2


def test_at_most_marks_a_hit_rate_ceiling_and_up_to_stays_a_figure():
    (ceiling,) = plans("LRU expert caches reach at most 20% hit rate on Mixtral-8x7B.")
    assert (ceiling.policy, ceiling.claimed.limit, ceiling.claimed.as_written) == ("lru", "at_most", "at most 20%")
    assert ceiling.cache_size == 2  # the usual cache: the smallest one would keep any hit rate under the ceiling
    (best,) = plans("ExpertFlow reaches up to 91.2% hit rate on Mixtral-8x7B.")
    assert best.claimed.limit is None
