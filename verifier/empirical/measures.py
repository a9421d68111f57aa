"""From the rows of repeated runs at one scale to the judged quantity and its verdict.

Rows are the runtime's per-run results, ``{policy: [row of repeat 0, row of repeat 1, ...]}``,
the policies interleaved within each repeat, so a ratio is taken within a repeat (paired) and
the median and interval are over the per-repeat ratios. Hit rates are judged on copies that had
landed (``on_time_hit_rate``); the rate that also counts copies still in flight is reported
beside it. A footprint is the peak share of expert slots the run held, at the full-size shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from expertflow_runtime.presets import from_name
from verifier.empirical.memory import GB, all_resident_gb, footprint_gb
from verifier.empirical.scales import Scale
from verifier.empirical.spec import POLICY_NAMES
from verifier.empirical.stats import Summary, summarise
from verifier.empirical.types import Comparison, ExperimentSpec
from verifier.empirical.verdict import (
    Judgement,
    Tolerances,
    judge_hit_rate,
    judge_memory,
    judge_ordering,
    judge_speedup,
)

Rows = dict[str, list[dict]]


@dataclass
class ScaleOutcome:
    judgement: Judgement
    measured: Summary
    unit: str
    comparisons: list[Comparison]
    figures: dict = field(default_factory=dict)


def label(policy: str) -> str:
    return POLICY_NAMES.get(policy, policy)


def _per_repeat(rows: Rows, policy: str, key: str, scale: float = 1.0) -> list[float]:
    return [scale * float(r[key]) for r in rows[policy]]


def _ratio(rows: Rows, a: str, b: str) -> Summary:
    """tokens/s of ``a`` ÷ ``b``, repeat by repeat."""
    return summarise([x / y for x, y in zip(_per_repeat(rows, a, "tokens_per_s"),
                                            _per_repeat(rows, b, "tokens_per_s"))])


def _throughputs(rows: Rows) -> dict[str, dict]:
    return {p: summarise(_per_repeat(rows, p, "tokens_per_s")).model_dump() for p in rows}


def _speedup(spec: ExperimentSpec, rows: Rows, tol: Tolerances) -> ScaleOutcome:
    ratio = _ratio(rows, spec.policy, spec.baseline_policy)
    pair = Comparison(label=f"{label(spec.policy)} ÷ {label(spec.baseline_policy)} throughput", unit="×",
                      claimed=spec.claimed.value, measured=round(ratio.median, 4))
    return ScaleOutcome(judge_speedup(spec.claimed, ratio, tol), ratio, "×", [pair],
                        {"tokens_per_s": _throughputs(rows)})


def _hit_rate(spec: ExperimentSpec, rows: Rows, tol: Tolerances) -> ScaleOutcome:
    c = spec.claimed
    landed = {p: summarise(_per_repeat(rows, p, "on_time_hit_rate", 100.0)) for p in rows}
    in_flight = {p: summarise(_per_repeat(rows, p, "hit_rate", 100.0)) for p in rows}
    others = {k: landed[k] for k in c.others if k in landed}
    pairs = [Comparison(label=f"{label(c.subject)} hit rate (landed)", unit="%", claimed=c.value,
                        measured=round(landed[c.subject].median, 2))]
    pairs += [Comparison(label=f"{label(k)} hit rate (landed)", unit="%", claimed=c.others[k],
                         measured=round(s.median, 2)) for k, s in others.items()]
    figures = {"on_time_hit_rate_pct": {p: s.model_dump() for p, s in landed.items()},
               "in_flight_hit_rate_pct": {p: s.model_dump() for p, s in in_flight.items()},
               "tokens_per_s": _throughputs(rows)}
    return ScaleOutcome(judge_hit_rate(c, landed[c.subject], others, tol), landed[c.subject], "%", pairs, figures)


def _footprints(spec: ExperimentSpec, scale: Scale, runs: list[dict]) -> tuple[list[float], float, str]:
    """(peak device GB per repeat, all-resident GB, where they come from), at the full-size shape.

    At the full-size shape the runtime's own byte counts are used (peak weights and occupied
    slots held; all experts resident). A small variant has other non-expert proportions, so
    its share of expert bytes held is carried to the full-size shape instead."""
    full = from_name(spec.preset)
    measured = all(r.get("peak_device_bytes") and r.get("resident_bytes_all") for r in runs)
    if measured and scale.preset == full.name:
        return ([r["peak_device_bytes"] / GB for r in runs], runs[0]["resident_bytes_all"] / GB,
                "device bytes the run held at the full-size shape, as the runtime reports them")
    shares = []
    for r in runs:
        experts_all = (r.get("resident_bytes_all") or 0) - (r.get("non_expert_bytes") or 0)
        held = r.get("peak_expert_bytes")
        shares.append(held / experts_all if held is not None and experts_all > 0
                      else r["peak_slots"] / (scale.moe_layers * scale.num_experts))
    return ([footprint_gb(full, share) for share in shares], all_resident_gb(full),
            f"the share of expert bytes the {scale.preset} run held, carried to {full.name}'s shape "
            "with its non-expert weights")


def _memory(spec: ExperimentSpec, scale: Scale, rows: Rows, tol: Tolerances) -> ScaleOutcome:
    c = spec.claimed
    held, everything, source = _footprints(spec, scale, rows[c.subject])
    footprint = summarise(held)
    edge = _ratio(rows, c.subject, "on-demand")
    retained = _ratio(rows, c.subject, "all-resident")
    j = judge_memory(c, footprint, everything, edge, tol)
    figures = {"footprint_gb": footprint.model_dump(), "all_resident_gb": round(everything, 3),
               "footprint_source": source,
               "vs_on_demand": edge.model_dump(), "vs_all_resident": retained.model_dump(),
               "tokens_per_s": _throughputs(rows)}
    device = [r.get("peak_device_bytes") for r in rows[c.subject]]
    if all(isinstance(b, int) for b in device):
        figures["peak_device_bytes_at_this_scale"] = summarise([float(b) for b in device]).model_dump()
    if c.quantity == "memory_saving":
        measured = summarise([100.0 * (1.0 - g / everything) for g in held])
        pairs = [Comparison(label="memory saved", unit="%", claimed=c.value, measured=round(measured.median, 2))]
        if "before_gb" in c.others:
            pairs += [Comparison(label="all experts resident", unit="GB", claimed=c.others["before_gb"],
                                 measured=round(everything, 3)),
                      Comparison(label=label(c.subject), unit="GB", claimed=c.others["after_gb"],
                                 measured=round(footprint.median, 3))]
        unit = "%"
    else:
        measured, unit = footprint, "GB"
        pairs = [Comparison(label=f"{label(c.subject)} device memory", unit="GB", claimed=c.value,
                            measured=round(footprint.median, 3))]
    pairs.append(Comparison(label=f"{label(c.subject)} ÷ all-resident throughput (the cost)", unit="×",
                            measured=round(retained.median, 4)))
    return ScaleOutcome(j, measured, unit, pairs, figures)


def _ordering(spec: ExperimentSpec, rows: Rows) -> ScaleOutcome:
    c = spec.claimed
    ratios = {p: _ratio(rows, c.subject, p) for p in rows if p != c.subject}
    j = judge_ordering(c, {label(p): s for p, s in ratios.items()})
    pairs = [Comparison(label=f"{label(c.subject)} ÷ {label(p)} throughput", unit="×", measured=round(s.median, 4))
             for p, s in ratios.items()]
    extreme = (max if c.rank == "slowest" else min)(ratios.values(), key=lambda s: s.median)
    return ScaleOutcome(j, extreme, "×", pairs, {"tokens_per_s": _throughputs(rows),
                                                 "ratios": {p: s.model_dump() for p, s in ratios.items()}})


def judge_scale(spec: ExperimentSpec, scale: Scale, rows: Rows, tol: Tolerances) -> ScaleOutcome:
    """The judged quantity at one scale (median, interval) and its verdict."""
    q = spec.claimed.quantity
    if q == "speedup":
        return _speedup(spec, rows, tol)
    if q == "hit_rate":
        return _hit_rate(spec, rows, tol)
    if q.startswith("memory"):
        return _memory(spec, scale, rows, tol)
    return _ordering(spec, rows)
