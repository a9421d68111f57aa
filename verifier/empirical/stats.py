"""The median of repeated measurements and a distribution-free interval around it.

Repeats of a timing on a shared machine are not normal (a descheduled run is slow, never
fast), so the interval is the order-statistic confidence interval for the median: with ``n``
values, ``[x(k), x(n+1-k)]`` covers the true median with probability
``1 - 2 * P(Binomial(n, 1/2) < k)``. The widest ``k`` whose coverage reaches the target is used;
below six values even the full range covers less than 95 % (five values: 93.75 %), and the
coverage actually reached is reported beside the interval rather than rounded up to the target.
"""

from __future__ import annotations

from math import comb
from statistics import median

from pydantic import BaseModel, Field

TARGET_COVERAGE = 0.95


def _below(k: int, n: int) -> float:
    """P(Binomial(n, 1/2) < k)."""
    return sum(comb(n, i) for i in range(k)) / 2 ** n


def median_interval_ranks(n: int, target: float = TARGET_COVERAGE) -> tuple[int, float]:
    """(k, coverage): the 1-based rank ``k`` of the interval's lower end ``x(k)`` (upper end
    ``x(n+1-k)``) and the coverage of that interval; k = 1 (the full range) when no narrower
    interval reaches ``target``."""
    if n < 1:
        raise ValueError("an interval needs at least one value")
    best = 1
    for k in range(1, (n + 1) // 2 + 1):
        if 1.0 - 2.0 * _below(k, n) >= target:
            best = k
    return best, 1.0 - 2.0 * _below(best, n)


class Summary(BaseModel):
    """Median and interval of one quantity over ``n`` repeats; ``values`` in repeat order."""

    median: float
    low: float
    high: float
    coverage: float = Field(description="probability that [low, high] holds the true median")
    n: int
    values: list[float]

    def text(self, unit: str = "") -> str:
        sep = "" if unit in ("×", "%", "") else " "
        return (f"median {self.median:.2f}{sep}{unit} over {self.n} repeats, "
                f"{self.coverage:.1%} interval {self.low:.2f}–{self.high:.2f}{sep}{unit}")


def summarise(values: list[float], target: float = TARGET_COVERAGE) -> Summary:
    """The median of ``values`` with its order-statistic interval."""
    if not values:
        raise ValueError("nothing to summarise: no repeats were measured")
    ordered = sorted(values)
    k, coverage = median_interval_ranks(len(ordered), target)
    return Summary(median=median(ordered), low=ordered[k - 1], high=ordered[len(ordered) - k],
                   coverage=round(coverage, 4), n=len(ordered), values=list(values))
