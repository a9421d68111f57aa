"""The evidence rubric: the three roles as deterministic functions of (Draft, RunData).

SKEPTIC  deductions per finding (critical 4, major 1.5, minor 0.5; minor ones at most 2 in all),
         and 10 x 0.5^(deductions / 6): one critical finding costs about 3.7 points, and every
         further finding still lowers the score (it never saturates at 0, so a worse draft always
         scores lower than a better one).
VALIDATOR 10 x the share of what the draft presents as holding — supported claims, re-measurements,
         facets the Answer calls answered, and every sentence of the Answer that gives numbers —
         that it can confirm in the run (5 when nothing is presented and the question has no
         facets; 0 when the question has facets and nothing is presented).
SYNTHESIZER coverage and honesty: 0.3 skeptic + 0.2 validator + 0.5 x 10 x coverage, where
         coverage is the share of the question's facets that a paper or an experiment could answer
         which the Answer answers with confirmed rows, a facet answered only on its authors' word
         counting half (the share of stated claims that hold when the question has no facets).
`answer_cap` bounds the panel: a draft that states nothing, or answers no facet, stays under
READY; 9 or more needs every facet a paper or an experiment could answer to be answered.
The rubric is also the floor under an LLM reviewer (`tribunal.llm.apply_floor`).
"""

from __future__ import annotations

import re

from domain.run_data import RunData
from reports import answer as ans
from reports import evidence as ev
from reports import findings as fk
from reports import topic
from reports.findings import Finding
from reports.model import Draft
from reports.refs import numbers_in
from tribunal import answer_checks
from tribunal.checks import skeptic_findings
from tribunal.schema import RoleReview, verdict_for

DEDUCTION = {"critical": 4.0, "major": 1.5, "minor": 0.5}
MINOR_CAP = 2.0
HALF_LIFE = 6.0  # deduction points that halve the skeptic's score
NOTHING_CAP = 5.0  # a draft that states nothing or answers no facet: under READY (8) and flagged
PARTIAL_CAP = 8.9  # 9+ only when every answerable facet is answered with evidence
# Every measurement ran on a small variant or in simulation, none on a GPU at the papers' scale:
# the Answer's confidence is limited, so the panel stops short of a perfect score.
SCALE_CAP = 9.4


def _kinds(findings: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items())) or "nothing"


def _ids(findings: list[Finding]) -> str:
    ids = sorted({f.claim_id for f in findings if f.claim_id is not None})
    return ", ".join(f"C{i}" for i in ids) or "none"


def skeptic(d: Draft, run: RunData) -> RoleReview:
    found = skeptic_findings(d, run)
    minor = min(MINOR_CAP, sum(DEDUCTION["minor"] for f in found if f.severity == "minor"))
    major = sum(DEDUCTION[f.severity] for f in found if f.severity in ("critical", "major"))
    score = round(10.0 * 0.5 ** ((major + minor) / HALF_LIFE), 2)
    crit = [f for f in found if f.severity == "critical"]
    answered = [a.facet for a in d.answer if a.status == "answered"]
    gaps_said = [a.facet for a in d.answer if a.status == "gap" and a.gap]
    if answered:
        rewarded = f"Rewarded: {len(answered)} facets answered ({', '.join(answered)})" + (
            f"; gaps said plainly ({', '.join(gaps_said)})." if gaps_said else ".")
    elif gaps_said:
        rewarded = f"Rewarded: gaps said plainly with their reasons ({', '.join(gaps_said)})."
    else:
        rewarded = "Rewarded: nothing."
    summary = (f"Penalised: {len(found)} problems ({len(crit)} critical) — {_kinds(found)}; "
               f"claims concerned: {_ids(found)}. {rewarded}" if found else
               f"Penalised: nothing — no unsupported statement, altered number or dropped facet found. {rewarded}")
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
                for n in numbers_in(p.text)
                + numbers_in(passages[c.passage_id].text if c.passage_id in passages else "")
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
        if row.claim_id is None:
            continue  # measured for the question: answer_confirmations
        c = claims.get(row.claim_id)
        emp = c.empirical if c else None
        ok = emp is not None and emp.id == row.check_id and emp.verdict == row.verdict
        if ok and c is not None and emp is not None:
            _, claimed, measured, _ = ev.measured_pair(emp, c)
            # an ordering claims no figure: both sides hold none
            ok = all((a is None and b is None) or (a is not None and b is not None and ev.same_number(a, b))
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
    found = validator_findings(d, run) + answer_confirmations(d, run)
    ok = sum(f.kind == fk.CONFIRMED for f in found)
    score = round(10.0 * ok / len(found), 2) if found else 5.0  # nothing presented: nothing to confirm or refute
    bad = [f for f in found if f.kind != fk.CONFIRMED]
    summary = (f"Rewarded: {ok} of {len(found)} claims, re-measurements, answered facets and Answer figures "
               f"confirmed in the run's rows. Penalised: {len(bad)} not confirmed"
               + (f" — {_kinds(bad)} ({_ids(bad)}); " + "; ".join(f.message.rstrip(".") for f in bad[:3])
                  if bad else "")
               + "." if found else "Penalised: the draft presents nothing as holding; nothing to confirm.")
    return RoleReview(role="validator", score=score, verdict=verdict_for(score), summary=summary, findings=found)


def answer_confirmations(d: Draft, run: RunData) -> list[Finding]:
    """Each facet the Answer calls answered is backed by a row that addresses it (an on-topic
    claim presented as a finding that holds, or a measurement); each sentence of the Answer with
    numbers traces them to the rows it cites."""
    facets = {f.id: f for f in run.facets}
    claims = {c.id: c for c in run.claims}
    topical = topic.on_topic_papers(run) if run.facets else {p.id for p in run.papers}
    twins = topic.asked_homonyms(run)
    out: list[Finding] = []
    wrong = {f.check_id for f in answer_checks.question_rows(d, run)}
    for row in d.empirical:
        if row.claim_id is None:
            ok = row.check_id not in wrong
            out.append(Finding(kind=fk.CONFIRMED if ok else fk.UNCONFIRMED, severity="ok" if ok else "critical",
                               check_id=row.check_id, facet_id=row.facet_id,
                               message=f"E{row.check_id}, measured for the question, "
                                       + ("matches its record." if ok else "does not match its record.")))
    for a in d.answer:
        f = facets.get(a.facet_id)
        if a.status == "answered":
            stated = [claims[c] for s in a.sentences for c in s.claim_ids if c in claims]
            backed = f is not None and (
                any(topic.addresses(f, c) and c.paper_id in topical and c.paper_id not in twins
                    and ans.claim_status(c, run) in ("supported", "own_word") for c in stated)
                or any(e.id in a.check_ids for e in ans.facet_checks(f, run) if ev.comparisons(e)))
            odd = [c.id for c in stated if c.paper_id not in topical or c.paper_id in twins
                   or ans.claim_status(c, run) in ("contradicted", "not_reproduced")]
            if backed and not odd:
                out.append(Finding(kind=fk.CONFIRMED, severity="ok", facet_id=a.facet_id,
                                   message=f"{a.facet}: answered by rows that address it."))
            else:
                why = (f"it states C{odd[0]}, which does not hold for this facet" if odd
                       else "no cited row addresses it")
                out.append(Finding(kind=fk.UNCONFIRMED, severity="major", facet_id=a.facet_id,
                                   claim_id=odd[0] if odd else None,
                                   message=f"The Answer calls {a.facet} answered, but {why}."))
        for s in a.sentences:
            if not answer_checks.sentence_numbers(s, run):
                continue
            bad = answer_checks.untraced(s, run)
            if bad:
                out.append(Finding(kind=fk.UNCONFIRMED, severity="critical", facet_id=a.facet_id,
                                   message=f"In the Answer on {a.facet}, {', '.join(bad)} traces to no cited row."))
            else:
                out.append(Finding(kind=fk.CONFIRMED, severity="ok", facet_id=a.facet_id,
                                   message=f"The figures of a sentence on {a.facet} trace to {', '.join(s.refs)}."))
    return out


def coverage(d: Draft, run: RunData) -> tuple[float, list[str], list[str]]:
    """(share, answered, missed): of the facets the run's evidence can answer, those the Answer
    answers with confirmed rows."""
    want = answer_checks.answerable(run)
    found = answer_confirmations(d, run)
    confirmed = {f.facet_id for f in found if f.kind == fk.CONFIRMED and "answered by" in f.message}
    unconfirmed = {f.facet_id for f in found if f.kind == fk.UNCONFIRMED}
    names = {f.id: f.text for f in run.facets}
    got = [fid for fid in want if fid in confirmed and fid not in unconfirmed]
    missed = [names[fid] for fid in want if fid not in got]
    return (len(got) / len(want) if want else 0.0), [names[f] for f in got], missed


def answer_cap(d: Draft, run: RunData) -> tuple[float, str]:
    """The highest panel score the draft can have, and why."""
    states_anything = bool(d.stated_claim_ids() or d.empirical or any(a.status == "answered" for a in d.answer))
    if not states_anything:
        return NOTHING_CAP, "the draft states no finding and answers no facet"
    if run.facets:
        if not any(a.status == "answered" for a in d.answer):
            return NOTHING_CAP, "the Answer answers none of the question's facets"
        share, got, missed = coverage(d, run)
        open_ = [f.text for f in run.facets if f.answerable_by and f.text not in got]
        if share < 1.0 or open_:
            return PARTIAL_CAP, ("facets left unanswered: " + ", ".join(missed or open_) if missed or open_
                                 else "no facet is answerable from the run's rows")
        own = [g for g in got if evidence_weight(d, run, g) < 1.0]
        if own:
            return PARTIAL_CAP, "facets answered only on their authors' word: " + ", ".join(own)
    return scale_cap(run) or (10.0, "no cap")


def scale_cap(run: RunData) -> tuple[float, str] | None:
    """SCALE_CAP when the run measured something but nothing at the papers' scale
    (`reports.evidence.is_small_scale`); None otherwise."""
    measured = [e for e in run.question_checks if ev.comparisons(e)]
    measured += [c.empirical for c in run.claims if c.empirical is not None and ev.was_measured(c.empirical)]
    if measured and all(ev.is_small_scale(e) for e in measured):
        return SCALE_CAP, ("every measurement ran on a small variant or in simulation, none at the "
                           "papers' scale on a GPU (`sovereign checks rerun RUN --cluster ray`)")
    return None


def evidence_weight(d: Draft, run: RunData, facet: str) -> float:
    """1 for a facet answered by a claim another paper or our runtime bears out, or by a
    measurement; 0.5 when it rests only on its authors' word."""
    claims = {c.id: c for c in run.claims}
    entry = next((a for a in d.answer if a.facet == facet), None)
    if entry is None:
        return 0.0
    stated = [claims[c] for s in entry.sentences for c in s.claim_ids if c in claims]
    measured = any(e.id in entry.check_ids and ev.comparisons(e) for e in run.question_checks)
    return 1.0 if measured or any(ans.claim_status(c, run) == "supported" for c in stated) else 0.5


def synthesizer(d: Draft, run: RunData) -> RoleReview:
    s, v = skeptic(d, run), validator(d, run)
    serious = [f for f in s.findings + v.findings if f.severity in ("critical", "major")]
    if run.facets:
        # Coverage of the question: answered facets over those a paper or an experiment could answer
        # at all (a facet no route can answer, said so with its reason, is not held against it).
        _, got, missed = coverage(d, run)
        askable = [f for f in run.facets if f.answerable_by]
        weights = {g: evidence_weight(d, run, g) for g in got}
        share = sum(weights.values()) / len(askable) if askable else 0.0
        unanswered = [f.text for f in askable if f.text not in got and f.text not in missed]
        own = [g for g, w in weights.items() if w < 1.0]
        what = (f"{len(got)} of {len(askable)} facets answered" + (f" ({', '.join(got)})" if got else "")
                + (f", of which {', '.join(own)} only on their authors' word (half credit)" if own else ""))
        lost = "; ".join(p for p in (
            f"left open though the run could answer them: {', '.join(missed)}" if missed else "",
            f"no retrieved paper or experiment answers: {', '.join(unanswered)}" if unanswered else "") if p) \
            or "no facet left open"
    else:
        claims = {c.id: c for c in run.claims}
        stated = [cid for cid in d.stated_claim_ids() if cid in claims]
        share = (sum(ev.verdict(claims[c]) == "SUPPORTED" for c in stated) / len(stated)) if stated else 0.0
        what, lost = f"{share:.0%} of {len(stated)} stated claims hold", "the question was not framed into facets"
    score = round(0.3 * s.score + 0.2 * v.score + 0.5 * 10.0 * share, 2)
    cap, why = answer_cap(d, run)
    score = min(score, cap)
    summary = (f"Rewarded: {what}; skeptic {s.score:.1f}, validator {v.score:.1f}. Penalised: {lost}"
               + (f"; serious findings on {_ids(serious)}" if serious else "; nothing serious outstanding")
               + (f"; capped at {cap:g} because {why}" if cap < 10 else "") + ".")
    return RoleReview(role="synthesizer", score=score, verdict=verdict_for(score), summary=summary,
                      findings=[f for f in serious if f.claim_id is not None or f.facet_id is not None][:20])


ROLE_RUBRIC = {"skeptic": skeptic, "validator": validator, "synthesizer": synthesizer}
