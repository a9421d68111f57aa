"""`revise(draft, run, findings) -> Draft`: the drafter acting on the tribunal's findings.

What each kind of finding does (kinds in `reports.findings`):
* re-read (misreported verdict, altered number, dropped baseline): the claim's row and sentences
  are rebuilt from the run, which is the source of truth;
* withdraw (a contradicted claim stated as a finding): the claim leaves the abstract and the
  results; the claims table keeps it, marked withdrawn;
* qualify (unverified, weakly supported, unconfirmed, no baseline, or any critical/major finding
  of a kind not listed here, such as an LLM reviewer's own): the claim leaves the prose; the
  claims table marks it qualified and says why;
* rebuild (the Answer misleads: a facet dropped, a failed claim as a finding, a homonym, an
  untraced number, an off-topic paper): the Answer is rebuilt from the run;
* caveat (small-scale reproduction, unlike-for-like comparison): the re-measurement sentence is
  qualified in place;
* disclose (retrieval gaps, abstract-only papers): an uncertainty is added.
Invariant (tested): after `revise`, no claim named by a withdraw/qualify finding is stated in the
abstract, introduction or results.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.run_data import ClaimData, RunData
from reports import drafting
from reports import evidence as ev
from reports import findings as fk
from reports.answer import answer, answer_abstract
from reports.model import Draft, Sentence
from reports.refs import check, claim

STATED = ("abstract", "introduction", "results")
ACTIONABLE = ("critical", "major", "minor")


def revise(draft: Draft, run: RunData, findings: Iterable[fk.Finding | dict[str, Any]]) -> Draft:
    """A new draft (round + 1) that acts on `findings`; `draft` is not modified."""
    d = draft.model_copy(deep=True)
    d.round, d.author = draft.round + 1, "reviser"
    by_id = {c.id: c for c in run.claims}
    todo = [f if isinstance(f, fk.Finding) else fk.Finding.model_validate(f) for f in findings]
    todo = [f for f in todo if f.severity in ACTIONABLE]
    notes: list[Sentence] = []

    for f in todo:  # re-read first, so later actions work on rows that match the run
        if f.kind in fk.REREAD and f.claim_id in by_id:
            _reread(d, by_id[f.claim_id], run)
    acted: dict[int, str] = {}
    for f in todo:
        c = by_id.get(f.claim_id) if f.claim_id is not None else None
        if c is None:
            if f.kind in fk.DISCLOSE:
                _disclose(d, f)
            continue
        if f.kind in fk.WITHDRAW or (f.kind in fk.REREAD and ev.verdict(c) == "CONTRADICTED"):
            _unstate(d, c, "withdrawn", f"its evidence contradicts it ({ev.verdict(c)})")
            acted[c.id] = "withdrawn"
        elif (f.kind in fk.QUALIFY or (f.kind not in fk.KINDS and f.severity in ("critical", "major"))) \
                and acted.get(c.id) != "withdrawn":
            # a serious finding of a kind we do not know (an LLM reviewer's own) qualifies the claim
            _unstate(d, c, "qualified", _why(f.kind, c))
            acted.setdefault(c.id, "qualified")
        elif f.kind in fk.CAVEAT:
            _caveat(d, c, run)
            acted.setdefault(c.id, "caveated")
        elif f.kind in fk.REREAD:
            acted.setdefault(c.id, "corrected from the run's records")
    if any(f.kind in fk.REBUILD_ANSWER for f in todo) or d.answer != answer(run):
        # The Answer is rebuilt from the run, which is the source of truth; its abstract lead too.
        old_lead = answer_abstract(run, draft.answer)
        d.answer = answer(run)
        d.abstract = answer_abstract(run, d.answer) + [s for s in d.abstract if s not in old_lead]
    for cid, action in sorted(acted.items()):
        c = by_id[cid]
        notes.append(Sentence(text=f"A claim of {c.paper_id} was {action} after review.", refs=[claim(cid)]))
    if acted:
        n_out = sum(a in ("withdrawn", "qualified") for a in acted.values())
        d.abstract.append(Sentence(
            text=f"After review, {n_out} claims were withdrawn or qualified; the claims table keeps "
                 "all of them with their verdicts.", refs=["S:claims"]))
    d.revision_notes = draft.revision_notes + notes
    d.reviews = drafting.review_entries(run)
    return d


def _why(kind: str, c: ClaimData) -> str:
    return {
        fk.UNSUPPORTED_STATED: f"its check is {ev.verdict(c)}",
        fk.WEAK_SUPPORT: "its support is weak",
        fk.NO_BASELINE: "the source names no baseline for the comparison",
        fk.UNCONFIRMED: "the validator could not confirm its evidence",
    }.get(kind, "a reviewer questioned it")


def _reread(d: Draft, c: ClaimData, run: RunData) -> None:
    d.claims = [drafting.claim_row(c, run) if r.claim_id == c.id else r for r in d.claims]
    fresh = drafting.empirical_row(c)
    d.empirical = [fresh if (r.claim_id == c.id and fresh) else r for r in d.empirical]
    new = drafting.claim_sentences(c, run)
    for name in STATED:  # the first sentence stating the claim is rebuilt, the others dropped
        out: list[Sentence] = []
        done = False
        for s in getattr(d, name):
            if c.id not in s.claim_ids:
                out.append(s)
            elif not done:
                out.extend(new if name == "results" else new[:1])
                done = True
        setattr(d, name, out)


def _unstate(d: Draft, c: ClaimData, status: str, why: str) -> None:
    """The claim leaves the stated sections; the claims table keeps it with its status and why
    (no "not reported" line in the prose: the Answer names failed claims, the table the rest)."""
    for name in STATED:
        setattr(d, name, [s for s in getattr(d, name)
                          if c.id not in s.claim_ids and not (name == "results" and claim(c.id) in s.refs)])
    for r in d.claims:
        if r.claim_id == c.id:
            r.status, r.note, r.verdict = status, why, ev.verdict(c)


def _caveat(d: Draft, c: ClaimData, run: RunData) -> None:
    """Rebuild the re-measurement sentence with every caveat that applies to it."""
    emp = c.empirical
    if emp is None:
        return
    new = drafting.claim_sentences(c, run, scale_caveat=True)[1:]
    against = ev.measured_against(emp)
    unfair = bool(c.baseline and against and not ev.mentions(against, c.baseline))
    if unfair:
        new.append(Sentence(
            text=f"The check measured against {against}, not the paper's baseline {c.baseline}: "
                 "it is not a like-for-like reproduction.", refs=[check(emp.id), claim(c.id)]))
    out: list[Sentence] = []
    done = False
    for s in d.results:
        if check(emp.id) in s.refs and not s.claim_ids:
            if not done:
                out.extend(new)
                done = True
        else:
            out.append(s)
            if check(emp.id) in s.refs and not done:  # the measurement is inline in a paper's prose
                out.extend(new)
                done = True
    d.results = out
    for r in d.empirical:
        if r.check_id == emp.id:
            cavs = ([ev.SCALE_CAVEAT] if ev.is_small_scale(emp) else []) + (["not like-for-like"] if unfair else [])
            for cav in cavs:
                if cav not in r.caveats:
                    r.caveats.append(cav)


def _disclose(d: Draft, f: fk.Finding) -> None:
    text = f"Reviewer note ({f.kind.replace('_', ' ')}): {f.message}"
    if all(s.text != text for s in d.uncertainties):
        d.uncertainties.append(Sentence(text=text, refs=["S:references"]))
