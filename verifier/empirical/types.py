"""Types of the empirical checks: what a claim says in numbers, the experiment that tests it,
and the verdict with claimed and measured numbers side by side.

All are pydantic models so they travel as JSON: into the database (``EmpiricalCheck.spec``,
``claimed``, ``measurements``), over Ray to a GPU node, and out of ``sovereign checks run --json``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

EmpiricalVerdict = Literal["REPRODUCED", "PARTIAL", "NOT_REPRODUCED", "NOT_TESTABLE"]
VERDICTS: tuple[str, ...] = ("REPRODUCED", "PARTIAL", "NOT_REPRODUCED", "NOT_TESTABLE")

# What an experiment measures and the claim is compared on.
#   speedup        tokens/s of system ÷ tokens/s of baseline (×)
#   hit_rate       expert hit rate of one policy (%)
#   memory_saving  device memory saved against keeping every expert resident (%)
#   memory_gb      device memory of one configuration (GB)
#   ordering       which of several policies is fastest or slowest (no number)
Quantity = Literal["speedup", "hit_rate", "memory_saving", "memory_gb", "ordering"]


class Claimed(BaseModel):
    """The number a claim states, in the unit the experiment measures.

    ``subject`` is the policy the value is about (for a ratio: the numerator). ``others`` are the
    other numbers the same sentence states about the same quantity (e.g. the baseline's hit rate
    in "85.91% versus 58.37% for LRU"), keyed by policy name or by ``"before"``/``"after"``.
    """

    quantity: Quantity
    value: float | None = Field(description="the claimed number; None only for an ordering")
    unit: str = Field(description="× for speedup, % for hit_rate and memory_saving, GB for memory_gb")
    rank: Literal["fastest", "slowest"] | None = Field(
        default=None, description="for an ordering: the subject is the fastest or the slowest")
    subject: str = Field(description="runtime policy the value is about")
    others: dict[str, float] = Field(default_factory=dict)
    as_written: str = Field(default="", description="the number as the claim writes it, e.g. '1.99×'")
    limit: Literal["at_most"] | None = Field(default=None, description=(
        "'at_most' for a figure the claim calls small or a ceiling (\"only reduces memory by 10%\", "
        "\"LRU reaches at most 20% hit rate\"): it says the subject does no better, so the test is "
        "whether it does"))

    def footprint_gb(self, all_resident_gb: float) -> float:
        """The device GB a memory claim states: what its % saved leaves of ``all_resident_gb``
        (every expert resident), or its GB as written."""
        if self.quantity == "memory_saving":
            return all_resident_gb * (1.0 - float(self.value) / 100.0)
        return float(self.value)


class ExperimentSpec(BaseModel):
    """A performance claim turned into a runtime experiment, at full scale.

    ``cache_size`` is experts held on the device per MoE layer of the FULL-size model and
    ``batch_size`` sequences per batch; a backend scales them to the model it runs. ``assumed``
    lists what the claim did not say and was taken from the paper's setup or a default.
    """

    claim_text: str
    claimed: Claimed
    system: str
    policy: str
    baseline: str | None = None
    baseline_policy: str | None = None
    model: str
    preset: str = Field(description="full-size runtime preset, e.g. mixtral-8x7b")
    small_preset: str = Field(description="its small variant of the same family, e.g. mixtral-tiny")
    cache_size: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    hardware: str = Field(description="hardware profile, e.g. a40-pcie4")
    compared: list[str] = Field(default_factory=list,
                                description="further policies run beside the subject and baseline "
                                            "(an ordering's field; the references of a memory claim)")
    assumed: list[str] = Field(default_factory=list)

    @property
    def policies(self) -> list[str]:
        out = [self.policy]
        for p in [self.baseline_policy, *self.compared]:
            if p and p not in out:
                out.append(p)
        return out


class NotTestable(BaseModel):
    """A claim no experiment of the runtime can test, with the reason a reader needs."""

    claim_text: str
    reason: str


class Comparison(BaseModel):
    """One bar pair of the report's plot: what was claimed and what was measured."""

    label: str
    unit: str
    claimed: float | None = None
    measured: float | None = None


class ScaleVerdict(BaseModel):
    """The verdict at one scale: the small variant (cpu, emulated link; or the GPU run) or the
    full-size model (simulated). ``measured`` summarises the judged quantity over the repeats
    (median, interval, coverage, the per-repeat values); ``figures`` the side figures a reader
    needs (each policy's tokens/s, in-flight hit rates, the throughput a footprint costs)."""

    name: Literal["small", "full"]
    verdict: EmpiricalVerdict
    reason: str
    scale: dict = Field(default_factory=dict)
    measured: dict | None = None
    figures: dict = Field(default_factory=dict)


class EmpiricalResult(BaseModel):
    """The outcome of one empirical check.

    ``tolerance`` states how close counts as REPRODUCED: ``{"kind": "relative"|"points",
    "value": x, "partial_factor": f}``. ``measured`` is the median at the scale the verdict rests
    on (``rests_on``), ``interval`` its interval with ``coverage``; ``scales`` holds both scales'
    verdicts and ``agree`` whether they match. ``measurements`` holds the raw per-policy rows of
    every repeat and the same figures for storage; ``comparisons`` are the claimed/measured pairs
    to plot.
    """

    verdict: EmpiricalVerdict
    reason: str
    backend: str | None = None
    spec: ExperimentSpec | None = None
    claimed: Claimed | None = None
    measured: float | None = None
    interval: list[float] | None = None
    coverage: float | None = None
    repeats: int | None = None
    scales: list[ScaleVerdict] = Field(default_factory=list)
    rests_on: Literal["small", "full"] | None = None
    agree: bool | None = None
    tolerance: dict[str, float | str] = Field(default_factory=dict)
    comparisons: list[Comparison] = Field(default_factory=list)
    measurements: dict = Field(default_factory=dict)
    caveats: list[str] = Field(default_factory=list)
