"""Readings of a `RunData` that both the drafter and the reviewers need, so that both read a
run the same way: a claim's headline status (from its attribution, independent evidence and
reproduction), its headline measurement, why a check did not run, whether
a check ran at a smaller scale than the claim, and which numbers each row can vouch for.

Empirical rows are `verifier.empirical.EmpiricalResult`s as the check_runs stage stores them:
`claimed` is a `Claimed` ({"quantity", "value", "unit", ...}), `measurements` carries "measured"
(the headline number), "scale" (what really ran) and "comparisons" (claimed/measured pairs to
plot), `spec` is the full-scale `ExperimentSpec`.
"""

from __future__ import annotations

import re

from domain.run_data import ClaimData, EmpiricalData, RunData
from reports.refs import fmt, numbers_in
from verifier.headline import Headline, headline

PERFORMANCE_KINDS = ("quantitative", "comparison")
# Backends and preset names that mean "not the paper's scale": a verdict from them is evidence
# about the mechanism, not about the paper's absolute numbers.
SMALL_BACKENDS = ("cpu", "emulated", "simulated")
SMALL_PRESET = re.compile(r"(small|tiny|mini|toy)", re.I)
SCALE_CAVEAT = "not at the paper's scale"  # the phrase that qualifies a small-scale or modelled result
# Runtime policies and the systems they stand for (DESIGN.md, "Policies"), so a check's baseline
# policy can be compared with the baseline a paper names.
POLICY_SYSTEM = {
    "lru": "Cache-MoE", "on-demand": "on-demand loading", "se-moe": "SE-MoE", "pregated": "Pre-gated MoE",
    "expertflow": "ExpertFlow", "static": "static popularity cache", "all-resident": "all experts resident",
}


def headline_of(claim: ClaimData) -> Headline:
    """The claim's headline from its three verdicts, by the rule of `verifier.headline`."""
    tc = claim.text_check
    reproduction = claim.empirical.verdict if was_measured(claim.empirical) else None
    return headline(tc.attribution if tc else None, tc.independent if tc else None, reproduction)


def verdict(claim: ClaimData) -> str:
    """The headline status (SUPPORTED | CONTRADICTED | UNVERIFIED); NOT_CHECKED when neither the
    textual check nor a measurement exists. A claim's own passage never makes it SUPPORTED."""
    if claim.text_check is None and not was_measured(claim.empirical):
        return "NOT_CHECKED"
    return headline_of(claim).status


def headline_reason(claim: ClaimData) -> str:
    if claim.text_check is None and not was_measured(claim.empirical):
        return "not checked"
    return headline_of(claim).reason


def attribution(claim: ClaimData) -> str:
    return claim.text_check.attribution if claim.text_check else "UNCHECKED"


def independent(claim: ClaimData) -> str:
    return claim.text_check.independent if claim.text_check else "NONE"


def confidence(claim: ClaimData) -> float | None:
    """The confidence of the independent evidence's verdict; None when no other paper decided it."""
    tc = claim.text_check
    return tc.confidence if tc and tc.independent in ("CORROBORATED", "CONTRADICTED") else None


def evidence_passage_id(claim: ClaimData) -> int | None:
    if claim.text_check and claim.text_check.evidence:
        pid = claim.text_check.evidence[0].get("passage_id")
        if isinstance(pid, int) or (isinstance(pid, str) and pid.isdigit()):
            return int(pid)
    return None


def measured_pair(emp: EmpiricalData, claim: ClaimData) -> tuple[str, float | None, float | None, str]:
    """(metric, claimed, measured, unit) of a check; numbers are None when absent."""
    metric = str(emp.claimed.get("quantity") or emp.claimed.get("metric") or claim.metric or "value")
    unit = str(emp.claimed.get("unit") or claim.unit or "")
    claimed = as_number(emp.claimed.get("value", claim.value))
    m = emp.measurements
    measured = as_number(m.get("measured", m.get("value", m.get(metric))))
    return metric, claimed, measured, unit


def comparisons(emp: EmpiricalData) -> list[dict]:
    """The claimed/measured pairs of a check ({"label", "unit", "claimed", "measured"})."""
    return [c for c in emp.measurements.get("comparisons", []) if isinstance(c, dict)]


def as_number(x: object) -> float | None:
    """A stored figure as a float; None for a missing, boolean or non-numeric value."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def measured_against(emp: EmpiricalData) -> str | None:
    """The system a check compared against: its baseline policy's system, when the spec names one."""
    if emp.spec.get("baseline"):
        return str(emp.spec["baseline"])
    policy = emp.spec.get("baseline_policy")
    return POLICY_SYSTEM.get(str(policy), str(policy)) if policy else None


def setting_text(emp: EmpiricalData) -> str:
    """What was run, in one line: what really ran (the backend's scale) and the policies."""
    spec, scale = emp.spec, emp.measurements.get("scale") or {}
    parts = []
    policies = [p for p in (spec.get("policy"), spec.get("baseline_policy")) if p]
    if policies:
        parts.append("policies " + " vs ".join(map(str, policies)))
    preset = scale.get("preset") or spec.get("preset")
    if preset:
        parts.append(f"preset {preset}")
    if scale.get("budget") is not None:
        parts.append(f"{scale['budget']} expert slots per layer")
    batch = scale.get("batch", spec.get("batch_size"))
    if batch is not None:
        parts.append(f"batch {batch}")
    for key in ("profile", "link"):
        if scale.get(key):
            parts.append(f"{key} {scale[key]}")
    backend = emp.backend or scale.get("backend")
    if backend:
        parts.append(f"backend {backend}")
    parts += repeats_text(emp)
    return "; ".join(parts)


def repeats_text(emp: EmpiricalData) -> list[str]:
    """The spread and the scales of a check: its median's interval over the repeats, which scale
    the verdict rests on and what the other scale gave (empty for checks stored without them)."""
    m = emp.measurements
    out = []
    interval, unit = m.get("interval"), str(m.get("unit") or emp.claimed.get("unit") or "")
    if isinstance(interval, list) and len(interval) == 2 and m.get("repeats"):
        cover = f"{m['coverage']:.1%} " if isinstance(m.get("coverage"), (int, float)) else ""
        out.append(f"median of {m['repeats']} interleaved repeats, {cover}interval "
                   f"{fmt(interval[0], unit)}–{fmt(interval[1], unit)}")
    scales = [s for s in m.get("scales", []) if isinstance(s, dict)]
    if scales and m.get("rests_on"):
        others = [s for s in scales if s.get("name") != m["rests_on"]]
        text = f"verdict rests on the {'small scale' if m['rests_on'] == 'small' else 'full-size simulation'}"
        for s in others:
            preset = (s.get("scale") or {}).get("preset")
            text += (f"; {s.get('name')} scale" + (f" ({preset})" if preset else "") + f": {s.get('verdict')}")
        out.append(text)
    return out


def is_small_scale(emp: EmpiricalData) -> bool:
    """Whether a check ran below the claim's scale: a CPU or emulated link, a simulation, or a
    preset other than the full-size one the claim is about."""
    scale = emp.measurements.get("scale") or {}
    ran, full = str(scale.get("preset", "")), str(emp.spec.get("preset", ""))
    return ((emp.backend or scale.get("backend") or "") in SMALL_BACKENDS or bool(SMALL_PRESET.search(ran))
            or bool(ran and full and ran != full))


MEASURED_VERDICTS = ("REPRODUCED", "PARTIAL", "NOT_REPRODUCED")


def was_measured(emp: EmpiricalData | None) -> bool:
    """Whether a check ran and produced a measured verdict (NOT_TESTABLE is not a measurement)."""
    return emp is not None and emp.status == "done" and emp.verdict in MEASURED_VERDICTS


def not_run_reason(claim: ClaimData, run: RunData) -> str | None:
    """Why a claim has no measured empirical verdict; None when it has one."""
    emp = claim.empirical
    if was_measured(emp):
        return None
    if emp is not None:
        if emp.status == "failed":
            return f"the check failed: {emp.error or emp.reason or 'no error recorded'}"
        if emp.status in ("queued", "running"):
            return f"the check was still {emp.status} when this report was drafted"
        if emp.reason:
            return emp.reason
        return f"check {emp.status}" + (f" ({emp.verdict})" if emp.verdict else "")
    if claim.kind not in PERFORMANCE_KINDS:
        return f"a {claim.kind} claim, not a performance measurement"
    if any("empirical" in n.lower() and ("off" in n.lower() or "disabled" in n.lower()) for n in run.notes):
        return "empirical checks were disabled for this run"
    return "no experiment maps to this claim"


def empirical_line(claim: ClaimData, run: RunData) -> str:
    reason = not_run_reason(claim, run)
    if reason is not None:
        return f"empirical checks: not run — {reason}"
    emp = claim.empirical
    assert emp is not None
    metric, claimed, measured, unit = measured_pair(emp, claim)
    if claimed is None and metric == "ordering":  # "X is faster than Y": no figure to compare
        pair = (comparisons(emp) or [{}])[0]
        said = emp.claimed.get("as_written") or "an order"
        return (f"{emp.verdict}: claimed an ordering (“{said}”), measured {pair.get('label', 'ratio')} "
                f"{fmt(measured, pair.get('unit', ''))}")
    return f"{emp.verdict}: {metric} claimed {fmt(claimed, unit)}, measured {fmt(measured, unit)}"


def mentions(text: str, name: str | None) -> bool:
    """Whether `text` names `name` (case and punctuation insensitive) as whole words: "TPU" is
    named by "TPU v5e" or "TPUs", not by "output"; "Mixtral-8x7B" by "Mixtral 8x7B"."""
    target = re.sub(r"[^a-z0-9]+", "", (name or "").lower())
    if not target:
        return True
    words = re.findall(r"[a-z0-9]+", text.lower())
    for i in range(len(words)):
        joined = ""
        for w in words[i:]:
            joined += w
            if len(joined) >= len(target):
                break
        if joined in (target, target + "s"):
            return True
    return False


def source_numbers(token: str, run: RunData) -> list[float] | None:
    """Numbers the row named by `token` can vouch for; None for tokens that vouch for any count
    (tables and sections of the report, whose counts a reader can recount)."""
    kind, _, rest = token.partition(":") if ":" in token else (token[0], "", token[1:])
    if kind in ("S", "F"):
        return None
    ident = int(rest)
    out: list[str] = []
    if kind == "P":
        out = [n for p in run.passages if p.id == ident for n in numbers_in(p.text)]
    elif kind == "C":
        for c in run.claims:
            if c.id == ident:
                out = numbers_in(c.text) + [fmt(c.value), fmt(c.value_high), fmt(confidence(c))]
    elif kind == "E":
        for e in run.question_checks:  # measured for the question: no claimed number
            if e.id == ident:
                out = [fmt(as_number(e.measurements.get("measured")))] + numbers_in(setting_text(e))
                out += numbers_in(e.reason or "")  # the verdict's reason quotes the repeats' figures
                out += [n for cav in e.caveats for n in numbers_in(cav)]
                out += [fmt(p.get("measured")) for p in comparisons(e)]
        for c in run.claims:
            if c.empirical is not None and c.empirical.id == ident:
                _, claimed, measured, _ = measured_pair(c.empirical, c)
                out = [fmt(claimed), fmt(measured)] + numbers_in(setting_text(c.empirical))
                out += numbers_in(c.empirical.reason or "")
                out += [n for cav in c.empirical.caveats for n in numbers_in(cav)]
                out += [fmt(p.get(k)) for p in comparisons(c.empirical) for k in ("claimed", "measured")]
    return [float(n.replace(",", "")) for n in out if n != "n/a"]


def same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 + 5e-3 * max(abs(a), abs(b))
