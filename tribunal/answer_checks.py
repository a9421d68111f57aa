"""What a researcher checks in the Answer, beyond verdicts matching their rows: does it answer the
question asked (every facet, or a gap said plainly), does it present a failed claim as a finding,
does it mix up two systems with one name, does every number trace to a row, and is it led by
papers on the question's topic. Pure functions of (Draft, RunData), like `tribunal.checks`.

The run's facets are the reference: `reports.answer` says, from the rows alone, which facets the
run's evidence can answer, so a draft that calls such a facet a gap, or leaves it out, is caught.
"""

from __future__ import annotations

import re

from domain.run_data import ClaimData, RunData
from reports import answer as ans
from reports import evidence as ev
from reports import findings as fk
from reports import measured, topic
from reports.findings import Finding
from reports.model import AnswerFacet, Draft, Sentence
from reports.refs import numbers_in

FAILURE_WORDS = ("contradict", "not reproduced", "did not reproduce", "failed", "unverified")
OWN_WORD_WORDS = ("only its authors", "authors' own", "their authors", "only the authors")


def _claims(run: RunData) -> dict[int, ClaimData]:
    return {c.id: c for c in run.claims}


def _cited_claims(s: Sentence) -> list[int]:
    return [int(t[1:]) for t in s.refs if t.startswith("C") and t[1:].isdigit()]


def reference_answer(run: RunData) -> dict[int, AnswerFacet]:
    """The Answer the run's rows support, facet by facet (what a careful drafter would write)."""
    return {a.facet_id: a for a in ans.answer(run)}


def answerable(run: RunData) -> list[int]:
    """Facets the run's evidence can answer."""
    return [fid for fid, a in reference_answer(run).items() if a.status == "answered"]


def facet_coverage(d: Draft, run: RunData) -> list[Finding]:
    if not run.facets:
        return []
    out = []
    ref = reference_answer(run)
    shown = {a.facet_id: a for a in d.answer}
    for f in run.facets:
        a = shown.get(f.id)
        if a is None:
            out.append(Finding(kind=fk.FACET_DROPPED, severity="critical", facet_id=f.id,
                               message=f"The question asks about {f.text}; "
                                       "the Answer leaves it out without saying so."))
        elif a.status != "answered" and ref[f.id].status == "answered":
            out.append(Finding(kind=fk.FACET_DROPPED, severity="major", facet_id=f.id,
                               message=f"The Answer calls {f.text} {a.status}, "
                                       "but the run holds evidence that answers it."))
        elif a.status == "gap":
            out.append(Finding(kind=fk.FACET_UNANSWERED, severity="minor", facet_id=f.id,
                               message=f"{f.text} is not answered: {a.gap or 'no reason given'}."))
    if d.answer and not any(a.status == "answered" for a in d.answer):
        out.append(Finding(kind=fk.NOTHING_ANSWERED, severity="critical",
                           message="The Answer answers none of the question's facets."))
    return out


def failed_as_finding(d: Draft, run: RunData) -> list[Finding]:
    """A contradicted or not-reproduced claim presented as a finding, or cited without its failure."""
    out = []
    claims = _claims(run)
    for name, s in d.prose():
        if name not in ("answer", "abstract"):
            continue
        for cid in _cited_claims(s):
            c = claims.get(cid)
            if c is None:
                continue
            status = ans.claim_status(c, run)
            if status not in ("contradicted", "not_reproduced"):
                continue
            what = ("contradicted by independent evidence" if status == "contradicted"
                    else "not reproduced by our runtime")
            if cid in s.claim_ids:
                out.append(Finding(kind=fk.FAILED_AS_FINDING, severity="critical", claim_id=cid,
                                   message=f"The {name} presents C{cid} as a finding, but it is {what}."))
            elif not any(w in s.text.lower() for w in FAILURE_WORDS):
                out.append(Finding(kind=fk.FAILED_AS_FINDING, severity="major", claim_id=cid,
                                   message=f"The {name} cites C{cid} without saying it is {what}."))
    return out


def homonym_confusion(d: Draft, run: RunData) -> list[Finding]:
    """A claim of another system bearing a name the question uses, stated in the Answer without
    saying it is a different system."""
    twins = topic.asked_homonyms(run)
    if not twins:
        return []
    out = []
    claims = _claims(run)
    terms = {f.id: f.terms for f in run.facets}
    for a in d.answer:
        for s in a.sentences:
            for cid in _cited_claims(s):
                c = claims.get(cid)
                name = twins.get(c.paper_id) if c else None
                if name is None or ans.HOMONYM_PHRASE in s.text:
                    continue
                if any(ev.mentions(t, name) for t in terms.get(a.facet_id, [a.facet])) or ev.mentions(s.text, name):
                    original = topic.homonyms(run)[name][0]
                    out.append(Finding(
                        kind=fk.HOMONYM_CONFUSION, severity="critical", claim_id=cid, facet_id=a.facet_id,
                        message=f"C{cid} is from {c.paper_id}, a different system also called {name}; the Answer "
                                f"counts it as the {name} of {original}."))
    return out


def _strip_names(text: str, run: RunData) -> str:
    """The text without entity names and facet names, whose digits are not figures (Mixtral-8x7B)."""
    from verifier.aliases import find_mentions

    for m in sorted(find_mentions(text), key=lambda m: -m.start):
        if m.kind != "metric":
            text = text[:m.start] + " " + text[m.end:]
    for f in run.facets:
        text = text.replace(f.text, " ")
    return re.sub(r"[\w-]*\d+[xX×]\d+[\w-]*", " ", text)


def sentence_numbers(s: Sentence, run: RunData) -> list[str]:
    """The figures a reader sees in a sentence (quotes included, names excluded)."""
    return numbers_in(_strip_names(s.text, run))


def untraced(s: Sentence, run: RunData) -> list[str] | None:
    """Numbers of `s` that no cited P/C/E row carries; None when it cites only report sections
    (counts a reader can recount) and has refs."""
    nums = sentence_numbers(s, run)
    if not nums:
        return []
    rows = [t for t in s.refs if t[0] in "PCE"]
    if not rows:
        return None if s.refs else nums
    asked = {f"E{e.id}": e for e in run.question_checks}
    pool = [x for t in rows for x in (measured.question_check_numbers(asked[t]) if t in asked
                                      else ev.source_numbers(t, run) or [])]
    return [n for n in nums if not any(ev.same_number(float(n.replace(",", "")), x) for x in pool)]


def untraced_numbers(d: Draft, run: RunData) -> list[Finding]:
    out = []
    for a in d.answer:
        for s in a.sentences:
            bad = untraced(s, run)
            if bad:
                where = ", ".join(t for t in s.refs if t[0] in "PCE") or "no row"
                out.append(Finding(kind=fk.UNTRACED_NUMBER, severity="critical", facet_id=a.facet_id,
                                   claim_id=next(iter(_cited_claims(s)), None),
                                   message=f"In the Answer on {a.facet}, {', '.join(bad)} traces to no row "
                                           f"(cited: {where})."))
    return out


def off_topic(d: Draft, run: RunData) -> list[Finding]:
    if not run.facets:
        return []
    topical = topic.on_topic_papers(run)
    claims = _claims(run)
    out = []
    for name in ("answer", "abstract"):
        for i, s in enumerate(d.section(name)):
            for cid in s.claim_ids:
                c = claims.get(cid)
                if c is None or c.paper_id in topical:
                    continue
                lead = i == 0
                out.append(Finding(
                    kind=fk.OFF_TOPIC, severity="critical" if lead else "major", claim_id=cid,
                    message=f"C{cid} is from {c.paper_id}, which is off the question's topic"
                            + (f", and it leads the {name}." if lead else f", stated in the {name}.")))
    return out


def authors_word(d: Draft, run: RunData) -> list[Finding]:
    """A finding in the Answer that rests only on its authors' word, not said so."""
    out = []
    claims = _claims(run)
    for a in d.answer:
        for s in a.sentences:
            for cid in s.claim_ids:
                c = claims.get(cid)
                said = s.text.lower()
                if c and ans.claim_status(c, run) == "own_word" and not any(w in said for w in OWN_WORD_WORDS):
                    out.append(Finding(kind=fk.AUTHORS_WORD_ONLY, severity="major", claim_id=cid,
                                       message=f"The Answer states C{cid} as a finding; only its authors state it "
                                               "and the draft does not say so."))
    return out


def measured_for_question_scale(d: Draft, run: RunData) -> list[Finding]:
    """An experiment measured for the question at small scale, stated without that caveat."""
    out = []
    checks = {e.id: e for e in run.question_checks}
    for name, s in d.prose():
        for t in s.refs:
            e = checks.get(int(t[1:])) if t.startswith("E") and t[1:].isdigit() else None
            if e is not None and ev.is_small_scale(e) and ev.comparisons(e) and ev.SCALE_CAVEAT not in s.text:
                out.append(Finding(kind=fk.SMALL_SCALE_OVERREACH, severity="major", check_id=e.id,
                                   facet_id=e.facet_id,
                                   message=f"E{e.id} ran {ev.setting_text(e)}; the {name} states it without "
                                           f"saying it is {ev.SCALE_CAVEAT}."))
    return out


def question_rows(d: Draft, run: RunData) -> list[Finding]:
    """Rows of the empirical table measured for the question match their check's record."""
    out = []
    checks = {e.id: e for e in run.question_checks}
    for row in d.empirical:
        if row.claim_id is not None:
            continue
        e = checks.get(row.check_id)
        true = ev.as_number(e.measurements.get("measured")) if e is not None else None
        if e is None or (row.measured is None) != (true is None) or (
                true is not None and row.measured is not None and not ev.same_number(row.measured, true)):
            out.append(Finding(kind=fk.NUMBER_MISMATCH, severity="critical", check_id=row.check_id,
                               facet_id=row.facet_id,
                               message=f"E{row.check_id} shows {row.measured}, but the experiment measured for the "
                                       f"question recorded {true}."))
    return out


ANSWER_CHECKS = (question_rows, facet_coverage, failed_as_finding, homonym_confusion, untraced_numbers, off_topic,
                 authors_word, measured_for_question_scale)
