"""The evidence rubric: the three roles as deterministic functions of (Draft, RunData).

SKEPTIC  10 minus a deduction per finding (critical 4, major 1.5, minor 0.5; minor ones at most 2
         in all), floored at 0.
VALIDATOR 10 x the share of what the draft presents as holding — supported claims and
         re-measurements — whose evidence it can confirm in the run (5 when nothing is presented).
SYNTHESIZER weighs both: 0.45 skeptic + 0.35 validator + 0.2 x 10 x the share of claims stated
         as findings that their evidence supports.
The rubric is also the floor under an LLM reviewer (`tribunal.llm.apply_floor`).
"""

from __future__ import annotations

import re

from reports import evidence as ev
from reports import findings as fk
from reports.findings import Finding
from reports.model import Draft
from reports.refs import numbers_in
from reports.run_data import RunData
from tribunal.checks import skeptic_findings
from tribunal.schema import RoleReview, verdict_for

DEDUCTION = {"critical": 4.0, "major": 1.5, "minor": 0.5}
MINOR_CAP = 2.0


def _ids(findings: list[Finding]) -> str:
    ids = sorted({f.claim_id for f in findings if f.claim_id is not None})
    return ", ".join(f"C{i}" for i in ids) or "none"


def skeptic(d: Draft, run: RunData) -> RoleReview:
    found = skeptic_findings(d, run)
    minor = min(MINOR_CAP, sum(DEDUCTION["minor"] for f in found if f.severity == "minor"))
    major = sum(DEDUCTION[f.severity] for f in found if f.severity in ("critical", "major"))
    score = round(max(0.0, 10.0 - major - minor), 2)
    crit = [f for f in found if f.severity == "critical"]
    summary = (f"{len(found)} problems ({len(crit)} critical: {_ids(crit)}); "
               f"claims concerned: {_ids(found)}." if found else "No unsupported statement, altered number "
               "or dropped baseline found.")
    return RoleReview(role="skeptic", score=score, verdict=verdict_for(score), summary=summary, findings=found)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def validator_findings(d: Draft, run: RunData) -> list[Finding]:
    claims = {c.id: c for c in run.claims}
    passages = {p.id: p for p in run.passages}
    out: list[Finding] = []
    for row in d.claims:
        if row.verdict != "SUPPORTED" or row.status != "stated":
            continue
        c = claims.get(row.claim_id)
        problem = None
        if c is None or ev.verdict(c) != "SUPPORTED":
            problem = f"its textual check is {ev.verdict(c) if c else 'missing'}, not SUPPORTED"
        else:
            epid = ev.evidence_passage_id(c)
            p = passages.get(epid if epid is not None else c.passage_id)
            if p is None:
                problem = f"its evidence passage P{epid} is not among the run's passages"
            elif row.evidence and _squash(row.evidence).strip(".… ")[:60] not in _squash(p.text):
                problem = f"the quoted evidence is not in P{p.id}"
            elif c.value is not None and not any(
                ev.same_number(float(n.replace(",", "")), c.value)
                for n in numbers_in(p.text) + numbers_in(passages[c.passage_id].text if c.passage_id in passages else "")
            ):
                problem = f"the number {c.value} is not in its evidence P{p.id}"
        if problem:
            out.append(Finding(kind=fk.UNCONFIRMED, severity="major", claim_id=row.claim_id,
                               message=f"C{row.claim_id} is presented as supported but {problem}."))
        else:
            epid = ev.evidence_passage_id(c) if c else None
            out.append(Finding(kind=fk.CONFIRMED, severity="ok", claim_id=row.claim_id,
                               message=f"supported by P{epid if epid is not None else row.passage_id}, "
                                       "which carries its wording and numbers."))
    for row in d.empirical:
        c = claims.get(row.claim_id)
        emp = c.empirical if c else None
        ok = emp is not None and emp.id == row.check_id and emp.verdict == row.verdict
        if ok and c is not None and emp is not None:
            _, claimed, measured, _ = ev.measured_pair(emp, c)
            ok = all(a is not None and b is not None and ev.same_number(a, b)
                     for a, b in ((row.claimed, claimed), (row.measured, measured)))
        if ok:
            out.append(Finding(kind=fk.CONFIRMED, severity="ok", claim_id=row.claim_id, check_id=row.check_id,
                               message="measurement and verdict match the check's record."))
        else:
            out.append(Finding(kind=fk.UNCONFIRMED, severity="critical", claim_id=row.claim_id,
                               check_id=row.check_id,
                               message=f"E{row.check_id} does not match the check's record (numbers or verdict)."))
    return out


def validator(d: Draft, run: RunData) -> RoleReview:
    found = validator_findings(d, run)
    ok = sum(f.kind == fk.CONFIRMED for f in found)
    score = round(10.0 * ok / len(found), 2) if found else 5.0
    bad = [f for f in found if f.kind != fk.CONFIRMED]
    summary = (f"Confirmed {ok} of {len(found)} supported claims and re-measurements; "
               f"not confirmed: {_ids(bad)}." if found else "The draft presents nothing as holding; nothing to confirm.")
    return RoleReview(role="validator", score=score, verdict=verdict_for(score), summary=summary, findings=found)


def synthesizer(d: Draft, run: RunData) -> RoleReview:
    s, v = skeptic(d, run), validator(d, run)
    claims = {c.id: c for c in run.claims}
    stated = [cid for cid in d.stated_claim_ids() if cid in claims]
    strength = (sum(ev.verdict(claims[c]) == "SUPPORTED" for c in stated) / len(stated)) if stated else 1.0
    score = round(0.45 * s.score + 0.35 * v.score + 0.2 * 10.0 * strength, 2)
    serious = [f for f in s.findings + v.findings if f.severity in ("critical", "major")]
    summary = (f"Skeptic {s.score:.1f}, validator {v.score:.1f}; {len(stated)} claims stated as findings, "
               f"{strength:.0%} of them supported by their evidence. "
               + (f"Must be addressed: {_ids(serious)}." if serious else "Nothing serious outstanding."))
    return RoleReview(role="synthesizer", score=score, verdict=verdict_for(score), summary=summary,
                      findings=[f for f in serious if f.claim_id is not None][:20])


ROLE_RUBRIC = {"skeptic": skeptic, "validator": validator, "synthesizer": synthesizer}
