"""The verdict rules: tolerance, direction, and the stated ordering of systems."""

from __future__ import annotations

from verifier.empirical import Claimed, Tolerances
from verifier.empirical.verdict import judge

TOL = Tolerances(ratio=0.25, points=10.0)


def speedup(v: float) -> Claimed:
    return Claimed(quantity="speedup", value=v, unit="×", subject="expertflow")


def test_speedup_within_relative_tolerance_is_reproduced():
    j = judge(speedup(1.99), 1.70, tol=TOL)
    assert j.verdict == "REPRODUCED" and j.tolerance == {"kind": "relative", "value": 0.25}


def test_faster_but_by_much_less_is_partial_and_slower_is_not_reproduced():
    assert judge(speedup(1.99), 1.2, tol=TOL).verdict == "PARTIAL"
    j = judge(speedup(1.99), 0.9, tol=TOL)
    assert j.verdict == "NOT_REPRODUCED" and "0.90×" in j.reason and "1.99×" in j.reason


def test_hit_rate_needs_the_number_and_the_claimed_ordering():
    c = Claimed(quantity="hit_rate", value=85.91, unit="%", subject="expertflow", others={"lru": 58.37})
    assert judge(c, 80.0, measured_others={"lru": 60.0}, tol=TOL).verdict == "REPRODUCED"
    assert judge(c, 70.0, measured_others={"lru": 60.0}, tol=TOL).verdict == "PARTIAL"
    assert judge(c, 80.0, measured_others={"lru": 90.0}, tol=TOL).verdict == "PARTIAL"
    assert judge(c, 50.0, measured_others={"lru": 60.0}, tol=TOL).verdict == "NOT_REPRODUCED"


def test_lone_hit_rate_is_reproduced_or_not():
    c = Claimed(quantity="hit_rate", value=85.0, unit="%", subject="expertflow")
    assert judge(c, 90.0, tol=TOL).verdict == "REPRODUCED"
    assert judge(c, 60.0, tol=TOL).verdict == "NOT_REPRODUCED"


def test_memory_saving_in_points():
    c = Claimed(quantity="memory_saving", value=81.5, unit="%", subject="expertflow")
    assert judge(c, 75.0, tol=TOL).verdict == "REPRODUCED"
    assert judge(c, 64.0, tol=TOL).verdict == "PARTIAL"
    assert judge(c, -1.0, tol=TOL).verdict == "NOT_REPRODUCED"


def test_a_tighter_tolerance_changes_the_verdict():
    assert judge(speedup(2.0), 1.7, tol=Tolerances(ratio=0.1)).verdict == "PARTIAL"


def test_a_ratio_within_the_noise_margin_does_not_count_as_faster():
    j = judge(speedup(2.01), 1.02, tol=TOL)
    assert j.verdict == "NOT_REPRODUCED" and "noise" in j.reason
    assert judge(speedup(1.2), 1.02, tol=TOL).verdict == "PARTIAL"  # the number is close, the speed-up unseen
