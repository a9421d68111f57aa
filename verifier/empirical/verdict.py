"""The empirical verdict: a claimed number against the median and interval of repeated runs.

    REPRODUCED      the claim lies within tolerance of the measured interval, and the effect is
                    measurable (a speed-up's whole interval on the claimed side of 1×; any stated
                    ordering of systems holds on the medians)
    PARTIAL         the effect is there (a speed-up's interval lies wholly on the claimed side of
                    1×, a stated ordering holds) but its size is off: the claimed value is within
                    ``partial_factor`` (1.5×) of the measured median, not within tolerance
    NOT_REPRODUCED  anything else: the wrong direction, no measurable effect, or a size more than
                    ``partial_factor`` away from what was measured
    NOT_TESTABLE    decided before any experiment (see spec.py)

Ratios use a relative tolerance (distance from the interval ≤ tolerance × claim); rates in %
use percentage points. A memory figure is set by the cache size an experiment is given, so it is
never judged alone: the footprint must be reached AND the policy must earn it (be faster at that
footprint than on-demand loading, which reaches any footprint by caching nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.empirical.stats import Summary
from verifier.empirical.types import Claimed

DEFAULT_RATIO_TOLERANCE = 0.25
DEFAULT_POINTS_TOLERANCE = 10.0
DEFAULT_PARTIAL_FACTOR = 1.5


@dataclass(frozen=True)
class Tolerances:
    ratio: float = DEFAULT_RATIO_TOLERANCE  # relative, for × and GB
    points: float = DEFAULT_POINTS_TOLERANCE  # percentage points, for % rates
    # PARTIAL at most: the claimed size within this factor of the measured median
    partial_factor: float = DEFAULT_PARTIAL_FACTOR


@dataclass(frozen=True)
class Judgement:
    verdict: str
    reason: str
    tolerance: dict[str, float | str]


def _fmt(v: float, unit: str) -> str:
    return f"{v:.2f}{unit}" if unit in ("×", "%") else f"{v:.2f} {unit}"


def _gap(c: float, s: Summary) -> float:
    """Distance of ``c`` from the interval [low, high] (0 inside it)."""
    return max(s.low - c, c - s.high, 0.0)


def _factor(a: float, b: float) -> float:
    """How many times larger the larger of two positive sizes is; inf when one is not positive."""
    if a <= 0 or b <= 0:
        return float("inf")
    return max(a / b, b / a)


def _tolerance(kind: str, value: float, tol: Tolerances) -> dict[str, float | str]:
    return {"kind": kind, "value": value, "partial_factor": tol.partial_factor}


def judge_speedup(claimed: Claimed, ratio: Summary, tol: Tolerances = Tolerances()) -> Judgement:
    """``ratio``: tokens/s of the subject ÷ the baseline, per repeat (paired within a repeat)."""
    c, m = float(claimed.value), ratio.median
    tolerance = _tolerance("relative", tol.ratio, tol)
    said, got = _fmt(c, "×"), ratio.text("×")
    faster = c >= 1.0
    word = "faster" if faster else "slower"
    established = ratio.low > 1.0 if faster else ratio.high < 1.0
    contrary = ratio.high < 1.0 if faster else ratio.low > 1.0
    # A wide interval (a noisy machine) must not reproduce a claim by containing it: a claimed
    # speed-up is reproduced only when the whole interval shows one.
    if _gap(c, ratio) <= tol.ratio * c and (established or c == 1.0):
        return Judgement("REPRODUCED", f"claimed {said} lies within ±{tol.ratio:.0%} of the measured "
                                       f"{got}", tolerance)
    if established and _factor(c, m) <= tol.partial_factor:
        return Judgement("PARTIAL", f"{word} as claimed, but claimed {said} and the measured {got} differ "
                                    f"by a factor {_factor(c, m):.2f} (outside ±{tol.ratio:.0%}, within the "
                                    f"{tol.partial_factor:g} allowed for PARTIAL)", tolerance)
    if contrary:
        why = f"not {word}: the whole interval is on the other side of 1×"
    elif not established:
        why = f"not measurably {word}: the interval includes 1×"
    else:
        why = f"{word}, but claim and median differ by a factor {_factor(c, m):.2f} (over the " \
              f"{tol.partial_factor:g} allowed for PARTIAL)"
    return Judgement("NOT_REPRODUCED", f"measured {got} against claimed {said}: {why}", tolerance)


def judge_hit_rate(claimed: Claimed, subject: Summary, others: dict[str, Summary],
                   tol: Tolerances = Tolerances()) -> Judgement:
    """``subject``/``others``: hit rates in % on landed copies, per repeat; ``others`` keyed as
    ``claimed.others`` (the stated rates of the other systems)."""
    c, m = float(claimed.value), subject.median
    tolerance = _tolerance("points", tol.points, tol)
    said, got = _fmt(c, "%"), subject.text("%")
    if claimed.limit == "at_most":  # "at most 20%": the claim is a ceiling
        if m <= c:
            return Judgement("REPRODUCED", f"measured {got}: at or under the stated ceiling of {said}", tolerance)
        if m - c <= tol.points:
            return Judgement("PARTIAL", f"measured {got} is above the stated ceiling of {said} by {m - c:.1f} "
                                        f"points (within the ±{tol.points:g}-point tolerance for a figure)",
                             tolerance)
        return Judgement("NOT_REPRODUCED", f"measured {got} is above the stated ceiling of {said} by "
                                           f"{m - c:.1f} points (over ±{tol.points:g})", tolerance)
    pairs = [(k, claimed.others[k], s.median) for k, s in others.items() if k in claimed.others]
    wrong = [k for k, c_o, m_o in pairs if (c > c_o) != (m > m_o)]
    order = ""
    if pairs:
        rel = "higher" if c > pairs[0][1] else "lower"
        order = f"{claimed.subject}'s hit rate {rel} than {', '.join(k for k, _, _ in pairs)}'s"
    if wrong:
        return Judgement("NOT_REPRODUCED", f"measured {got} against claimed {said}: the stated ordering "
                                           f"({order}) does not hold against {', '.join(wrong)}", tolerance)
    if _gap(c, subject) <= tol.points:
        return Judgement("REPRODUCED", f"claimed {said} lies within ±{tol.points:g} points of the measured "
                                       f"{got}" + (f"; {order}, as stated" if order else ""), tolerance)
    if _factor(c, m) <= tol.partial_factor:
        return Judgement("PARTIAL", f"claimed {said} and the measured {got} differ by a factor "
                                    f"{_factor(c, m):.2f} (outside ±{tol.points:g} points, "
                                    f"within {tol.partial_factor:g})"
                                    + (f"; {order}, as stated" if order else ""), tolerance)
    return Judgement("NOT_REPRODUCED", f"measured {got} against claimed {said}: a factor "
                                       f"{_factor(c, m):.2f} apart "
                                       f"(over the {tol.partial_factor:g} allowed for PARTIAL)",
                     tolerance)


def judge_memory(claimed: Claimed, footprint_gb: Summary, all_resident_gb: float, edge: Summary,
                 tol: Tolerances = Tolerances()) -> Judgement:
    """A footprint claim (% saved or GB) against the device memory the run held and what it
    earned there. ``footprint_gb``: measured peak device GB per repeat at the full-size shape;
    ``edge``: the subject's tokens/s ÷ on-demand loading's at the same cache, per repeat."""
    # "reduces memory by X%" / "uses X GB" is met by any footprint at or below the claimed one,
    # within the relative tolerance; footprints, not % saved, so that 84% against a claimed 94%
    # reads as what it is: 2.5 times the memory.
    want_gb = claimed.footprint_gb(all_resident_gb)
    if claimed.quantity == "memory_saving":
        got_saving = 100.0 * (1.0 - footprint_gb.median / all_resident_gb)
        said = f"{float(claimed.value):.2f}% saved ({want_gb:.2f} GB)"
        got = f"{got_saving:.2f}% saved ({footprint_gb.median:.2f} GB)"
    else:
        said, got = _fmt(want_gb, "GB"), _fmt(footprint_gb.median, "GB")
    close = footprint_gb.median <= want_gb * (1.0 + tol.ratio)
    tolerance = _tolerance("relative", tol.ratio, tol)
    factor = _factor(want_gb, footprint_gb.median)
    earned = edge.low > 1.0
    edge_txt = f"{edge.median:.2f}× on-demand loading's tokens/s at that footprint ({edge.low:.2f}–{edge.high:.2f})"
    if claimed.limit == "at_most":
        # "only X% saved": the claim is that the subject does no better; measured at its smallest cache.
        more = footprint_gb.median < want_gb * (1.0 - tol.ratio)
        if not more:
            return Judgement("REPRODUCED", f"claimed only {said}; at most {got} is saved: no more than claimed",
                             tolerance)
        if earned:
            return Judgement("NOT_REPRODUCED", f"claimed only {said}, but {got} is saved and the cache earns it: "
                                               f"{edge_txt}", tolerance)
        return Judgement("PARTIAL", f"claimed only {said}; {got} is reachable, but this policy is not measurably "
                                    f"faster than on-demand loading there: {edge_txt}", tolerance)
    if close and earned:
        return Judgement("REPRODUCED", f"claimed {said}, measured {got}; the cache earns it: {edge_txt}", tolerance)
    if close:
        return Judgement("PARTIAL", f"claimed {said}, measured {got}, but any offloading reaches that "
                                    f"footprint and this policy is not measurably faster there: {edge_txt}",
                         tolerance)
    if earned and factor <= tol.partial_factor:
        return Judgement("PARTIAL", f"claimed {said}, measured {got}: the footprint is {factor:.2f}× off "
                                    f"(within {tol.partial_factor:g}×); {edge_txt}", tolerance)
    return Judgement("NOT_REPRODUCED", f"claimed {said}, measured {got}: the footprint is {factor:.2f}× "
                                       f"off; {edge_txt}", tolerance)


def judge_ordering(claimed: Claimed, ratios: dict[str, Summary]) -> Judgement:
    """``ratios``: per other policy, the subject's tokens/s ÷ that policy's, per repeat."""
    slowest = claimed.rank == "slowest"
    word = "slowest" if slowest else "fastest"
    tolerance: dict[str, float | str] = {"kind": "ordering", "value": 0.0}
    beyond = {k for k, s in ratios.items() if (s.high < 1.0 if slowest else s.low > 1.0)}
    by_median = {k for k, s in ratios.items() if (s.median < 1.0 if slowest else s.median > 1.0)}
    listing = "; ".join(f"÷ {k}: {s.median:.2f}× ({s.low:.2f}–{s.high:.2f})" for k, s in ratios.items())
    if beyond == set(ratios):
        return Judgement("REPRODUCED", f"{claimed.subject} is the {word} of {len(ratios) + 1} policies, every "
                                       f"interval clear of 1× ({listing})", tolerance)
    if by_median == set(ratios):
        unclear = ", ".join(sorted(set(ratios) - beyond))
        return Judgement("PARTIAL", f"{claimed.subject} is the {word} by median, but not measurably against "
                                    f"{unclear} (interval includes 1×) ({listing})", tolerance)
    against = ", ".join(sorted(set(ratios) - by_median))
    return Judgement("NOT_REPRODUCED", f"{claimed.subject} is not the {word}: "
                                       f"{'slower' if slowest else 'faster'} than it by median: "
                                       f"{against} ({listing})", tolerance)
