"""The verdict rules: a claim against the median and interval of repeats, the 1.5× PARTIAL band,
stated orderings, footprints that must be earned, and fastest/slowest."""

from __future__ import annotations

from verifier.empirical import Claimed, Tolerances
from verifier.empirical.stats import summarise
from verifier.empirical.verdict import judge_hit_rate, judge_memory, judge_ordering, judge_speedup

TOL = Tolerances(ratio=0.25, points=10.0, partial_factor=1.5)


def speedup(v: float) -> Claimed:
    return Claimed(quantity="speedup", value=v, unit="×", subject="expertflow")


def around(m: float, spread: float = 0.05) -> list[float]:
    return [m - spread, m - spread / 2, m, m + spread / 2, m + spread]


def test_a_claim_within_tolerance_of_the_interval_is_reproduced():
    j = judge_speedup(speedup(1.99), summarise(around(1.7)), TOL)
    assert j.verdict == "REPRODUCED" and j.tolerance["kind"] == "relative" and "median 1.70×" in j.reason


def test_seven_and_a_half_times_against_one_point_three_is_not_reproduced():
    j = judge_speedup(speedup(7.5), summarise(around(1.3)), TOL)
    assert j.verdict == "NOT_REPRODUCED" and "factor 5.77" in j.reason


def test_partial_only_within_the_stated_factor_of_the_measured_median():
    assert judge_speedup(speedup(1.99), summarise(around(1.37)), TOL).verdict == "PARTIAL"  # 1.45×
    assert judge_speedup(speedup(2.2), summarise(around(1.37)), TOL).verdict == "NOT_REPRODUCED"  # 1.61×
    tight = Tolerances(ratio=0.25, partial_factor=1.2)
    assert judge_speedup(speedup(1.99), summarise(around(1.37)), tight).verdict == "NOT_REPRODUCED"


def test_a_speedup_the_interval_cannot_tell_from_none_is_not_partial():
    noisy = summarise([0.83, 1.02, 1.03, 1.03, 1.31])
    j = judge_speedup(speedup(2.0), noisy, TOL)
    assert j.verdict == "NOT_REPRODUCED" and "includes 1×" in j.reason
    # the claim lies inside the interval, but so does "no difference": not a reproduction
    assert judge_speedup(speedup(1.2), noisy, TOL).verdict == "NOT_REPRODUCED"


def test_the_wrong_direction_is_not_reproduced_and_a_claimed_slowdown_can_hold():
    assert judge_speedup(speedup(1.5), summarise(around(0.75)), TOL).verdict == "NOT_REPRODUCED"
    assert judge_speedup(speedup(1 / 3), summarise(around(0.36, 0.02)), TOL).verdict == "REPRODUCED"


def test_hit_rate_needs_the_number_and_the_claimed_ordering():
    c = Claimed(quantity="hit_rate", value=85.91, unit="%", subject="expertflow", others={"lru": 58.37})
    lru = {"lru": summarise(around(60.0, 1.0))}
    assert judge_hit_rate(c, summarise(around(80.0, 1.0)), lru, TOL).verdict == "REPRODUCED"
    assert judge_hit_rate(c, summarise(around(70.0, 1.0)), lru, TOL).verdict == "PARTIAL"
    assert judge_hit_rate(c, summarise(around(50.0, 1.0)), lru, TOL).verdict == "NOT_REPRODUCED"
    swapped = {"lru": summarise(around(90.0, 1.0))}
    assert judge_hit_rate(c, summarise(around(80.0, 1.0)), swapped, TOL).verdict == "NOT_REPRODUCED"


def test_a_footprint_reached_by_the_cache_size_is_reproduced_only_when_the_policy_earns_it():
    c = Claimed(quantity="memory_saving", value=70.0, unit="%", subject="expertflow")
    footprint = summarise([25.76] * 5)  # 72.4 % saved of 93.4 GB: what a 2-of-8 cache gives anyone
    faster = summarise(around(1.36, 0.02))
    same = summarise(around(1.0, 0.03))
    assert judge_memory(c, footprint, 93.4, faster, TOL).verdict == "REPRODUCED"  # 25.8 GB <= 28.0 GB
    assert judge_memory(c, footprint, 93.4, same, TOL).verdict == "PARTIAL"


def test_a_footprint_no_cache_can_reach_is_not_reproduced():
    c = Claimed(quantity="memory_saving", value=99.0, unit="%", subject="expertflow")
    j = judge_memory(c, summarise([14.5] * 5), 93.4, summarise(around(1.3, 0.02)), TOL)
    assert j.verdict == "NOT_REPRODUCED" and "footprint" in j.reason


def test_only_a_small_saving_is_not_reproduced_when_a_larger_one_is_measured_and_earned():
    c = Claimed(quantity="memory_saving", value=10.0, unit="%", subject="expertflow", limit="at_most")
    smallest_cache = summarise([14.5] * 5)  # 84.5 % saved of 93.4 GB
    j = judge_memory(c, smallest_cache, 93.4, summarise(around(1.47, 0.02)), TOL)
    assert j.verdict == "NOT_REPRODUCED" and "claimed only" in j.reason and "84.48% saved" in j.reason
    assert judge_memory(c, smallest_cache, 93.4, summarise(around(1.0, 0.03)), TOL).verdict == "PARTIAL"
    near = summarise([86.0] * 5)  # 7.9 % saved: no more than the claimed 10 %
    assert judge_memory(c, near, 93.4, summarise(around(1.47, 0.02)), TOL).verdict == "REPRODUCED"


def test_a_hit_rate_ceiling_holds_only_when_the_measurement_stays_under_it():
    c = Claimed(quantity="hit_rate", value=20.0, unit="%", subject="lru", limit="at_most")
    assert judge_hit_rate(c, summarise(around(12.0, 1.0)), {}, TOL).verdict == "REPRODUCED"
    over = judge_hit_rate(c, summarise(around(27.6, 1.0)), {}, TOL)  # a point claim of 20% would pass
    assert over.verdict == "PARTIAL" and "above the stated ceiling" in over.reason
    assert judge_hit_rate(c, summarise(around(45.0, 1.0)), {}, TOL).verdict == "NOT_REPRODUCED"


def test_slowest_is_reproduced_only_when_every_interval_clears_one():
    c = Claimed(quantity="ordering", value=None, unit="", subject="on-demand", rank="slowest")
    clear = {"lru": summarise(around(0.7)), "static": summarise(around(0.8))}
    assert judge_ordering(c, clear).verdict == "REPRODUCED"
    blurred = {"lru": summarise(around(0.7)), "static": summarise([0.8, 0.9, 0.95, 1.02, 1.1])}
    assert judge_ordering(c, blurred).verdict == "PARTIAL"
    beaten = {"lru": summarise(around(0.7)), "static": summarise(around(1.2))}
    j = judge_ordering(c, beaten)
    assert j.verdict == "NOT_REPRODUCED" and "static" in j.reason
