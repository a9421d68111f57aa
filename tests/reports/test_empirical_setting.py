"""The report's empirical setting line carries the spread of the repeats and both scales."""

from __future__ import annotations

from domain.run_data import EmpiricalData
from reports.evidence import setting_text


def test_the_setting_shows_the_interval_of_the_repeats_and_the_other_scales_verdict():
    emp = EmpiricalData(id=1, status="done", verdict="NOT_REPRODUCED", backend="cpu",
                        spec={"policy": "expertflow", "baseline_policy": "lru", "preset": "mixtral-8x7b"},
                        claimed={"quantity": "speedup", "value": 7.5, "unit": "×"},
                        measurements={"measured": 1.03, "interval": [0.83, 1.31], "coverage": 0.9375,
                                      "repeats": 5, "unit": "×", "rests_on": "small",
                                      "scale": {"preset": "mixtral-tiny", "backend": "cpu"},
                                      "scales": [{"name": "small", "verdict": "NOT_REPRODUCED",
                                                  "scale": {"preset": "mixtral-tiny"}},
                                                 {"name": "full", "verdict": "PARTIAL",
                                                  "scale": {"preset": "mixtral-8x7b"}}]})
    text = setting_text(emp)
    assert "median of 5 interleaved repeats, 93.8% interval 0.83×–1.31×" in text
    assert "rests on the small scale" in text and "full scale (mixtral-8x7b): PARTIAL" in text


def test_a_check_stored_before_repeats_keeps_its_old_setting_line():
    emp = EmpiricalData(id=2, status="done", verdict="PARTIAL", backend="cpu", spec={"policy": "lru"},
                        measurements={"measured": 1.2, "scale": {"preset": "mixtral-tiny"}})
    assert setting_text(emp) == "policies lru; preset mixtral-tiny; backend cpu"
