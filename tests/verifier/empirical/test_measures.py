"""From the rows of interleaved repeats to a verdict: the verdict follows what the runs did, not
the cache size the experiment was given."""

from __future__ import annotations

import pytest

from verifier.empirical.measures import judge_scale
from verifier.empirical.scales import Scale
from verifier.empirical.types import Claimed, ExperimentSpec
from verifier.empirical.verdict import Tolerances

SCALE = Scale("cpu", "mixtral-tiny", 8, 4, 2, 16, "a40-pcie4", "emulated:a40-pcie4")


def spec(claimed: Claimed, baseline: str | None = None, compared: list[str] | None = None) -> ExperimentSpec:
    return ExperimentSpec(claim_text="a claim", claimed=claimed, system="x", policy=claimed.subject,
                          baseline_policy=baseline, model="Mixtral-8x7B", preset="mixtral-8x7b",
                          small_preset="mixtral-tiny", cache_size=2, batch_size=16, hardware="a40-pcie4",
                          compared=compared or [])


def rows(tps: list[float], *, slots: int = 8, hit: float = 0.5, on_time: float = 0.5) -> list[dict]:
    return [{"tokens_per_s": t, "peak_slots": slots, "hit_rate": hit, "on_time_hit_rate": on_time} for t in tps]


def test_a_speedup_is_the_median_of_per_repeat_ratios():
    c = Claimed(quantity="speedup", value=1.3, unit="×", subject="expertflow")
    got = {"expertflow": rows([130, 260, 125, 140, 135]), "lru": rows([100, 200, 100, 100, 100])}
    out = judge_scale(spec(c, "lru"), SCALE, got, Tolerances())
    assert out.measured.median == pytest.approx(1.3) and out.measured.values[1] == pytest.approx(1.3)
    assert out.judgement.verdict == "REPRODUCED"


def test_two_policies_with_the_same_cache_size_get_different_memory_verdicts():
    def verdict(subject: str, subject_tps: list[float]) -> str:
        c = Claimed(quantity="memory_saving", value=70.0, unit="%", subject=subject)
        got = {subject: rows(subject_tps), "on-demand": rows([100.0] * 5, slots=6),
               "all-resident": rows([300.0] * 5, slots=32)}
        return judge_scale(spec(c, compared=["on-demand", "all-resident"]), SCALE, got, Tolerances()).judgement.verdict

    assert verdict("expertflow", [140, 135, 138, 141, 139]) == "REPRODUCED"  # faster than caching nothing
    assert verdict("lru", [101, 99, 100, 102, 98]) == "PARTIAL"  # the same footprint, nothing earned


def test_a_hit_rate_is_judged_on_landed_copies_not_on_ones_still_in_flight():
    c = Claimed(quantity="hit_rate", value=92.1, unit="%", subject="expertflow", others={"lru": 64.1})
    got = {"expertflow": rows([1.0] * 5, hit=0.921, on_time=0.727), "lru": rows([1.0] * 5, hit=0.641, on_time=0.641)}
    out = judge_scale(spec(c, "lru"), SCALE, got, Tolerances())
    assert out.measured.median == pytest.approx(72.7)
    assert out.judgement.verdict == "PARTIAL"  # counting in-flight copies it would have been REPRODUCED
    assert out.figures["in_flight_hit_rate_pct"]["expertflow"]["median"] == pytest.approx(92.1)
