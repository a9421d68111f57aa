"""The empirical verdict: a claimed number against the measured one, with a stated tolerance.

    REPRODUCED      measured within tolerance of the claim (and any stated ordering holds)
    PARTIAL         the effect has the claimed direction (faster, higher hit rate, memory saved,
                    the same ordering of systems) but its size is outside tolerance
    NOT_REPRODUCED  the direction itself does not hold
    NOT_TESTABLE    decided before any experiment (see spec.py)

Ratios use a relative tolerance (|m - c| / c); rates in % use percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.empirical.types import Claimed

DEFAULT_RATIO_TOLERANCE = 0.25
DEFAULT_POINTS_TOLERANCE = 10.0
DEFAULT_NOISE = 0.05


@dataclass(frozen=True)
class Tolerances:
    ratio: float = DEFAULT_RATIO_TOLERANCE  # relative, for × and GB
    points: float = DEFAULT_POINTS_TOLERANCE  # percentage points, for % rates
    # A measured speed ratio within 1 ± noise shows no difference at all (run-to-run spread of
    # short runs), so it cannot confirm the direction of a claimed speed-up.
    noise: float = DEFAULT_NOISE


@dataclass(frozen=True)
class Judgement:
    verdict: str
    reason: str
    tolerance: dict[str, float | str]


def _fmt(v: float, unit: str) -> str:
    return f"{v:.2f}{unit}" if unit in ("×", "%") else f"{v:.2f} {unit}"


def judge(claimed: Claimed, measured: float, *, measured_others: dict[str, float] | None = None,
          reference: float | None = None, tol: Tolerances = Tolerances()) -> Judgement:
    """Compare ``measured`` (same quantity and unit as ``claimed``) with the claim.

    ``measured_others``: the measured values of ``claimed.others`` (same keys), used to check a
    stated ordering ("85.91% versus 58.37% for LRU"). ``reference``: for ``memory_gb`` the
    all-resident footprint, so "uses less memory" is the direction.
    """
    c, m, unit = claimed.value, measured, claimed.unit
    said, got = _fmt(c, unit), _fmt(m, unit)
    if claimed.quantity in ("speedup", "memory_gb"):
        tolerance: dict[str, float | str] = {"kind": "relative", "value": tol.ratio}
        close = abs(m - c) <= tol.ratio * abs(c)
        if claimed.quantity == "speedup":
            direction = abs(m - 1.0) > tol.noise and (m > 1.0) == (c > 1.0)
            what = ("faster" if c > 1.0 else "slower") + f" (beyond the ±{tol.noise:.0%} noise margin)"
        else:
            direction = reference is None or (m < reference) == (c < reference)
            what = "a smaller footprint than all-resident"
        within = f"within ±{tol.ratio:.0%}"
    else:
        tolerance = {"kind": "points", "value": tol.points}
        close = abs(m - c) <= tol.points
        within = f"within ±{tol.points:g} points"
        if claimed.quantity == "memory_saving":
            direction, what = (m > 0.0) == (c > 0.0), "memory saved"
        else:
            direction, what = _ordering(claimed, m, measured_others or {})
    if direction is None:  # nothing but the number itself to compare
        verdict = "REPRODUCED" if close else "NOT_REPRODUCED"
        return Judgement(verdict, f"measured {got} against claimed {said} ({within})", tolerance)
    if close and direction:
        return Judgement("REPRODUCED", f"measured {got} against claimed {said}, {within}", tolerance)
    if direction:
        side = "above" if m > c else "below"
        return Judgement("PARTIAL", f"{what} as claimed, but measured {got} is {side} claimed {said} "
                                    f"by more than the tolerance ({within})", tolerance)
    if close:  # the number matches but the stated ordering does not
        return Judgement("PARTIAL", f"measured {got} matches claimed {said} ({within}) but not: {what}",
                         tolerance)
    return Judgement("NOT_REPRODUCED", f"measured {got} against claimed {said}: not {what}", tolerance)


def _ordering(claimed: Claimed, m: float, others: dict[str, float]) -> tuple[bool | None, str]:
    """Whether the measured ordering of the subject against each other system is the claimed one."""
    pairs = [(k, claimed.others[k], v) for k, v in others.items() if k in claimed.others]
    if not pairs:
        return None, ""
    ok = all((claimed.value > c_o) == (m > m_o) for _, c_o, m_o in pairs)
    names = ", ".join(k for k, _, _ in pairs)
    rel = "higher" if claimed.value > pairs[0][1] else "lower"
    return ok, f"{claimed.subject}'s hit rate {rel} than {names}'s"
