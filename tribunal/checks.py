"""The evidence checks behind the rubric: each compares the draft with the run it was drafted
from and returns findings that cite claim and check ids. Pure functions of (Draft, RunData).

The run is the source of truth; the draft is what a reader would believe. A finding is raised
where the two disagree (verdict, number, baseline), where the draft states what the evidence does
not carry, or where the run itself has a gap the draft does not disclose.
"""

from __future__ import annotations

from domain.run_data import ClaimData, RunData
from reports import evidence as ev
from reports import findings as fk
from reports.findings import Finding
from reports.model import Draft
from reports.refs import numbers_in
from tribunal.answer_checks import ANSWER_CHECKS


def _claims(run: RunData) -> dict[int, ClaimData]:
    return {c.id: c for c in run.claims}


def misreported_verdicts(d: Draft, run: RunData) -> list[Finding]:
    out = []
    claims = _claims(run)
    for row in d.claims:
        c = claims.get(row.claim_id)
        if c is None:
            out.append(Finding(kind=fk.VERDICT_MISREPORTED, severity="critical", claim_id=row.claim_id,
                               message=f"C{row.claim_id} is in the draft but not in the run's records."))
            continue
        truth = ev.verdict(c)
        if row.verdict != truth:
            severe = truth == "CONTRADICTED" or row.verdict == "SUPPORTED"
            out.append(Finding(
                kind=fk.VERDICT_MISREPORTED, severity="critical" if severe else "major", claim_id=c.id,
                message=f"C{c.id} is shown as {row.verdict} but its textual check is {truth}."))
    return out


def number_mismatches(d: Draft, run: RunData) -> list[Finding]:
    out = []
    claims = _claims(run)
    for row in d.empirical:
        if row.claim_id is None:
            continue  # measured for the question: tribunal.answer_checks.question_rows
        c = claims.get(row.claim_id)
        if c is None or c.empirical is None or c.empirical.id != row.check_id:
            out.append(Finding(kind=fk.NUMBER_MISMATCH, severity="critical", claim_id=row.claim_id,
                               check_id=row.check_id, message=f"E{row.check_id} is not a check of C{row.claim_id}."))
            continue
        _, claimed, measured, _ = ev.measured_pair(c.empirical, c)
        for label, shown, true in (("measured", row.measured, measured), ("claimed", row.claimed, claimed)):
            if (shown is None) != (true is None) or (shown is not None and not ev.same_number(shown, true)):
                out.append(Finding(
                    kind=fk.NUMBER_MISMATCH, severity="critical", claim_id=c.id, check_id=row.check_id,
                    message=f"E{row.check_id} shows {label} {shown} but the check recorded {true}."))
    for name, s in d.prose():
        if name == "answer":
            continue  # the Answer's numbers: tribunal.answer_checks.untraced_numbers
        nums = numbers_in(s.text)
        if not nums:
            continue
        cid = s.claim_ids[0] if s.claim_ids else _first_id(s.refs, "C")
        if not s.refs:
            out.append(Finding(kind=fk.UNREFERENCED_NUMBER, severity="major", claim_id=cid,
                               message=f"A sentence in the {name} gives numbers ({', '.join(nums)}) "
                                       "with no reference."))
            continue
        pools = [ev.source_numbers(t, run) for t in s.refs]
        if any(p is None for p in pools):
            continue  # cites a table or section whose counts the reader can recount
        pool = [x for p in pools if p for x in p]
        bad = [n for n in nums if not any(ev.same_number(float(n.replace(",", "")), x) for x in pool)]
        if bad:
            out.append(Finding(
                kind=fk.NUMBER_MISMATCH, severity="critical", claim_id=cid, check_id=_first_id(s.refs, "E"),
                message=f"In the {name}, {', '.join(bad)} is not found in the cited rows {', '.join(s.refs)}."))
    return out


def _first_id(refs: list[str], prefix: str) -> int | None:
    return next((int(t[1:]) for t in refs if t.startswith(prefix) and t[1:].isdigit()), None)


def dropped_baselines(d: Draft, run: RunData) -> list[Finding]:
    out = []
    for c in run.claims:
        if not c.baseline:
            continue
        row = d.claim_row(c.id)
        texts = [s.text for _, s in d.prose() if c.id in s.claim_ids]
        if row is not None:
            texts.append(row.text + " " + (row.baseline or ""))
        if any(not ev.mentions(t, c.baseline) for t in texts):
            out.append(Finding(kind=fk.BASELINE_DROPPED, severity="critical", claim_id=c.id,
                               message=f"C{c.id} is a comparison against {c.baseline}, which the draft omits."))
    return out


def stated_without_support(d: Draft, run: RunData) -> list[Finding]:
    out = []
    claims = _claims(run)
    in_abstract = d.stated_claim_ids(("abstract",))
    # The Answer's statements have their own checks (tribunal.answer_checks), which read its wording.
    for cid in sorted(d.stated_claim_ids(("abstract", "introduction", "results"))):
        c = claims.get(cid)
        if c is None:
            continue
        head = cid in in_abstract
        where = "the abstract" if head else "the results"
        v = ev.verdict(c)
        if v == "CONTRADICTED":
            out.append(Finding(kind=fk.CONTRADICTED_STATED, severity="critical" if head else "major", claim_id=cid,
                               message=f"{where} states C{cid}, which its evidence contradicts."))
        elif v in ("UNVERIFIED", "NOT_CHECKED"):
            out.append(Finding(kind=fk.UNSUPPORTED_STATED, severity="major" if head else "minor", claim_id=cid,
                               message=f"{where} states C{cid}, whose status is {v} ({ev.headline_reason(c)})."))
        elif head and ev.independent(c) == "CORROBORATED" and (ev.confidence(c) or 0.0) < 0.6:
            out.append(Finding(kind=fk.WEAK_SUPPORT, severity="minor", claim_id=cid,
                               message=f"The abstract leads with C{cid}, supported only weakly."))
        if head and c.kind == "comparison" and not c.baseline:
            out.append(Finding(kind=fk.NO_BASELINE, severity="major", claim_id=cid,
                               message=f"The abstract states the comparison C{cid}, whose source names no baseline."))
    return out


def scale_and_fairness(d: Draft, run: RunData) -> list[Finding]:
    out = []
    for c in run.claims:
        emp = c.empirical
        if emp is None or not ev.was_measured(emp):
            continue
        # A caveat counts only beside the statement: the uncertainties section is read by fewer.
        said = [s.text for name, s in d.prose() if f"E{emp.id}" in s.refs and name in ("answer", "abstract", "results")]
        if not said:
            continue
        if emp.verdict in ("REPRODUCED", "PARTIAL") and ev.is_small_scale(emp) and not any(
            ev.SCALE_CAVEAT in t for t in said
        ):
            out.append(Finding(kind=fk.SMALL_SCALE_OVERREACH, severity="major", claim_id=c.id, check_id=emp.id,
                               message=f"E{emp.id} ({emp.verdict}) ran at small scale ({emp.backend}); "
                                       f"the draft states it without that caveat."))
        against = ev.measured_against(emp)
        if c.baseline and against and not ev.mentions(against, c.baseline) and not any(
            "like-for-like" in t for t in said
        ):
            out.append(Finding(kind=fk.UNFAIR_COMPARISON, severity="major", claim_id=c.id, check_id=emp.id,
                               message=f"E{emp.id} measured against {against}, not {c.baseline}."))
    return out


def run_gaps(d: Draft, run: RunData) -> list[Finding]:
    out = []
    disclosed = " ".join(s.text.lower() for s in d.uncertainties)
    titles = " ".join(p.title for p in run.papers)
    missing = sorted({c.baseline for c in run.claims if c.baseline and not ev.mentions(titles, c.baseline)})
    if missing and "retrieval gap" not in disclosed:
        out.append(Finding(kind=fk.RETRIEVAL_GAP, severity="minor",
                           message="Baselines named by claims have no retrieved paper of their own: "
                                   + ", ".join(missing) + "."))
    if len(run.papers) < 3 and "retrieval gap" not in disclosed:
        out.append(Finding(kind=fk.RETRIEVAL_GAP, severity="minor",
                           message="Fewer than three papers were retrieved for the question."))
    if any(not p.fulltext for p in run.papers) and "abstract only" not in disclosed:
        out.append(Finding(kind=fk.ABSTRACT_ONLY, severity="minor",
                           message="Some papers were read from the abstract only and the draft does not say so."))
    return out


SKEPTIC_CHECKS = (misreported_verdicts, number_mismatches, dropped_baselines, stated_without_support,
                  scale_and_fairness, run_gaps) + ANSWER_CHECKS


def skeptic_findings(d: Draft, run: RunData) -> list[Finding]:
    """Every problem the skeptic's rubric finds, one finding per (kind, claim, check)."""
    seen: set[tuple] = set()
    out = []
    for check in SKEPTIC_CHECKS:
        for f in check(d, run):
            key = (f.kind, f.claim_id, f.check_id, f.facet_id)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out
