"""The median's order-statistic interval: its coverage is computed, never rounded up."""

from __future__ import annotations

import pytest

from verifier.empirical.stats import median_interval_ranks, summarise


def test_five_repeats_give_the_full_range_at_its_true_coverage():
    k, coverage = median_interval_ranks(5)
    assert k == 1 and coverage == pytest.approx(1 - 2 / 32)  # 93.75 %, not called 95 %


def test_more_repeats_narrow_the_interval_once_it_still_covers_95_percent():
    assert median_interval_ranks(6) == (1, pytest.approx(1 - 2 / 64))
    k, coverage = median_interval_ranks(9)
    assert k == 2 and coverage >= 0.95


def test_summary_keeps_the_repeats_in_order_and_brackets_the_median():
    s = summarise([1.3, 1.1, 1.2, 0.9, 1.25])
    assert s.median == 1.2 and (s.low, s.high) == (0.9, 1.3) and s.values[0] == 1.3
    assert "5 repeats" in s.text("×") and "93.8% interval" in s.text("×")


def test_nothing_to_summarise_is_an_error():
    with pytest.raises(ValueError):
        summarise([])
