"""`answer(run) -> list[AnswerFacet]`: the report's opening, facet by facet.

For each facet of the question (the frame stage's rows): what the on-topic papers state about it,
grouped by paper, with each claim's textual and empirical verdicts in words; what we measured for
the question; how sure we are; or, when nothing addresses it, the gap and why. Every number cites
the row it comes from (P, C or E tokens; never a section token, so each can be traced).

A sentence's `claim_ids` are the claims it presents as findings; a claim that is contradicted,
not reproduced or unverified is cited in `refs` only, with the failure said in words.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.run_data import ClaimData, EmpiricalData, FacetData, PaperData, RunData
from reports import evidence as ev
from reports.measured import question_check_sentence
from reports.model import AnswerFacet, Sentence
from reports.refs import check, claim, fmt, passage
from reports.topic import addresses, asked_homonyms, homonyms, on_topic_papers, paper_label, squash

PER_PAPER = 3  # claims quoted per paper and facet; the claims table has the rest
PAPERS_PER_FACET = 4
RESULTS_PER_PAPER = 6
MEASURED_FOR_QUESTION = "measured for this question"
HOMONYM_PHRASE = "a different system also called"
OWN_WORD = "only its authors state it"


def claim_status(c: ClaimData, run: RunData) -> str:
    """contradicted | not_reproduced | supported | own_word | unverified, by the headline rule of
    `verifier.headline` over the claim's attribution, independent evidence and reproduction."""
    tc = c.text_check
    h = ev.headline_of(c)
    if h.status == "CONTRADICTED":
        return "contradicted" if tc is not None and tc.independent == "CONTRADICTED" else "not_reproduced"
    if h.status == "SUPPORTED":
        return "supported"
    if tc is not None and tc.attribution == "MISATTRIBUTED":
        return "unverified"
    return "own_word" if tc is not None or ev.was_measured(c.empirical) else "unverified"


QUOTE_CHARS = 220  # a longer sentence is quoted up to here; the claims table has it whole


def _quote(c: ClaimData) -> str:
    text = c.text.strip().rstrip(".")
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
    return f"“{text}”"


def _fact(c: ClaimData) -> str:
    """Which figure of the sentence a claim is about: '93.72% memory', '10× throughput vs X';
    'its comparison' or 'its method' for a claim without a figure."""
    return _what(c) if c.value is not None else f"its {_what(c)}"


def _what(c: ClaimData) -> str:
    """`_fact` without the possessive, for a sentence that names whose it is."""
    if c.value is None:
        return "comparison" if c.kind == "comparison" else "method"
    unit = c.unit if c.unit in ("×", "x", "%") else f" {c.unit}" if c.unit else ""
    value = f"{c.value:g}" + (f"–{c.value_high:g}" if c.value_high is not None else "") + unit
    return " ".join(p for p in (value, c.metric or "", f"vs {c.baseline}" if c.baseline else "") if p)


def _claim_refs(c: ClaimData, run: RunData) -> list[str]:
    refs = [passage(c.passage_id), claim(c.id)]
    epid = ev.evidence_passage_id(c)
    if epid is not None and epid != c.passage_id:
        refs.append(passage(epid))
    if c.empirical is not None and ev.was_measured(c.empirical):
        refs.append(check(c.empirical.id))
    return refs


def _measured(c: ClaimData) -> str:
    emp = c.empirical
    if emp is None or not ev.was_measured(emp):
        return ""
    _, claimed, measured, unit = ev.measured_pair(emp, c)
    scale = f", {ev.SCALE_CAVEAT}" if ev.is_small_scale(emp) else ""
    if claimed is None:  # an ordering ("faster than LRU"): the check's reason says what ranked how
        said = (emp.reason or "").split(". ")[0].rstrip(".")
        return f" ({said}{scale})" if said else ""
    return f" (measured {fmt(measured, unit)} against {fmt(claimed, unit)}{scale})"


def _status_words(c: ClaimData, run: RunData) -> str:
    st = claim_status(c, run)
    if st == "supported":
        reproduced = c.empirical is not None and ev.was_measured(c.empirical) and c.empirical.verdict == "REPRODUCED"
        corroborated = getattr(c.text_check, "independent", "") == "CORROBORATED" or (
            c.text_check is not None and c.text_check.verdict == "SUPPORTED")
        parts = (["corroborated by another paper"] if corroborated else []) + \
                ([f"reproduced by our runtime{_measured(c)}"] if reproduced else [])
        return " and ".join(parts) or "supported"
    if st == "own_word":
        partial = c.empirical is not None and ev.was_measured(c.empirical) and c.empirical.verdict == "PARTIAL"
        return f"{OWN_WORD}" + (f"; our runtime partly reproduced it{_measured(c)}" if partial
                                else "; no other retrieved paper or measurement bears on it")
    if st == "contradicted":
        return "contradicted by independent evidence in another retrieved paper"
    if st == "not_reproduced":
        return f"not reproduced by our runtime{_measured(c)}"
    return "unverified: its own passage does not state it as extracted"


def paper_sentences(pid: str, claims: list[ClaimData], run: RunData, per_paper: int = PER_PAPER,
                    where: str = "this facet") -> list[Sentence]:
    """What one paper says on one facet, one sentence per passage sentence it quotes: the
    findings with what bears them out, and any failed claim of it named as such."""
    p = next((x for x in run.papers if x.id == pid), None)
    label = paper_label(p, pid)
    shown = claims[:per_paper]
    by_text: dict[str, list[ClaimData]] = {}
    for c in shown:
        by_text.setdefault(c.text.strip(), []).append(c)
    out = []
    for i, group in enumerate(by_text.values()):
        if i == 1:
            label = "It also"  # the paper's later sentences read on from the first
        found = [c for c in group if claim_status(c, run) in ("supported", "own_word")]
        failed = [c for c in group if c not in found]
        facts = "; ".join(f"{_fact(c)}: {_status_words(c, run)}" for c in found)
        if found:
            out.append(Sentence(text=f"{label} reports {_quote(group[0])} — {facts}.",
                                refs=[r for c in found for r in _claim_refs(c, run)],
                                claim_ids=[c.id for c in found]))
        for j, c in enumerate(failed):
            whose = "Its" if i or j else f"{label}'s"
            quoted = found or j  # the sentence is quoted once, with its first figure
            lead = (f"{whose} {_what(c)} in that sentence" if quoted
                    else f"{label} claims {_quote(c)}, and its {_what(c)}")
            out.append(Sentence(text=f"{lead} is {_status_words(c, run)}.", refs=_claim_refs(c, run)))
    if len(claims) > per_paper:
        out.append(Sentence(text=f"{paper_label(p, pid)} states {len(claims) - per_paper} more results on {where}; "
                                 "the claims table lists them.", refs=["S:claims"]))
    return out


def facet_checks(f: FacetData, run: RunData) -> list[EmpiricalData]:
    """Experiments measured for the question that bear on the facet."""
    out = []
    batches = {e.spec.get("batch_size") for e in run.question_checks}
    for e in run.question_checks:
        spec = e.spec
        if f.kind == "condition" and "batch size" in f.terms and len(batches) > 1:
            out.append(e)  # the batch sweep answers "varying batch sizes"
            continue
        names = [spec.get("system"), spec.get("baseline"), spec.get("model"), "throughput", "speedup", "hit rate"]
        if e.facet_id == f.id or any(n and any(squash(n) == squash(t) for t in f.terms) for n in names):
            out.append(e)
    return out


def _gap_reason(f: FacetData, run: RunData) -> str:
    if not f.answerable_by:
        return f.reason or "neither the literature retrieved nor the runtime can answer it"
    parts = []
    if "literature" in f.answerable_by:
        parts.append(f"no retrieved on-topic paper states a result about {f.text}")
    if "experiment" in f.answerable_by:
        if any("not run" in n and "mpirical" in n for n in run.notes):
            parts.append("empirical checks were off for this run, so no experiment answered it")
        elif not run.question_checks:
            parts.append("no experiment was run for it: a runtime comparison needs the question to name two "
                         "systems the runtime implements")
        else:
            parts.append("the experiments run for the question do not measure it")
    elif f.reason:
        parts.append(f.reason)
    return "; ".join(parts)


def _confidence(statuses: list[str], measured: bool) -> str:
    good = statuses.count("supported")
    if good and measured:
        return ("Confidence: moderate to high — another paper bears the findings out and our runtime measured "
                "the comparison.")
    if good:
        return ("Confidence: moderate — another retrieved paper bears the findings out; nothing was re-measured "
                "at the papers' scale.")
    if measured:
        return "Confidence: limited — our measurement answers the comparison only at the scale and setting it ran."
    if "own_word" in statuses:
        return "Confidence: low — the findings rest on their authors' own statements."
    return "Confidence: none — what the papers claim here failed its checks or could not be checked."


def introduces(p: PaperData | None, f: FacetData) -> bool:
    """Whether the paper's title names one of the facet's systems as its own ("Name: ...")."""
    if p is None or ":" not in p.title:
        return False
    head = squash(p.title.split(":", 1)[0])
    return any(squash(t) == head for t in f.terms)


def _stated_above(subject: str, facets: Iterable[str], refs: list[str]) -> Sentence:
    """A pointer to what an earlier facet's entry already states: it cites the same rows, and
    its figures stay there."""
    where = ", ".join(f"“{t}”" for t in dict.fromkeys(facets))
    return Sentence(text=f"{subject} on this facet is given under {where}.",
                    refs=list(dict.fromkeys(refs)))


def answer_facet(f: FacetData, run: RunData, topical: set[str], withdrawn: Iterable[int] = (),
                 stated: dict[int, str] | None = None, measured_in: dict[int, str] | None = None) -> AnswerFacet:
    """One facet's entry. `stated` / `measured_in` map claim / question-experiment ids already
    given under an earlier facet to that facet's text: they count for this facet's status and
    are pointed to, not repeated."""
    stated = stated or {}
    measured_in = measured_in or {}
    twins = asked_homonyms(run)
    out_ids = set(withdrawn)
    rank = {p.id: p.rank for p in run.papers}
    claims = [c for c in run.claims if c.id not in out_ids and c.paper_id in topical and addresses(f, c)]
    # Another system of a name the question uses never speaks in the Answer (the claims table keeps it).
    kept_out = {twins[c.paper_id] for c in claims if c.paper_id in twins}
    claims = [c for c in claims if c.paper_id not in twins]
    papers = {p.id: p for p in run.papers}
    by_paper: dict[str, list[ClaimData]] = {}
    for c in sorted(claims, key=lambda c: (rank.get(c.paper_id, 10**6), c.id)):
        by_paper.setdefault(c.paper_id, []).append(c)
    # A paper that another one corroborates, then the paper that introduced the facet's system,
    # lead; a third party's statement about a system never speaks before the system's own paper.
    order = sorted(by_paper, key=lambda pid: (
        not any(claim_status(c, run) == "supported" for c in by_paper[pid][:PER_PAPER]),
        not introduces(papers.get(pid), f), rank.get(pid, 10**6)))
    by_paper = {pid: by_paper[pid] for pid in order}
    sentences: list[Sentence] = []
    shown_papers = list(by_paper)[:PAPERS_PER_FACET]
    elsewhere: dict[str, list[str]] = {}
    elsewhere_refs: list[str] = []
    elsewhere_failed: set[str] = set()
    listed: list[ClaimData] = []  # the claims this facet quotes or points to
    for pid in shown_papers:
        fresh = [c for c in by_paper[pid] if c.id not in stated]
        if fresh:
            sentences += paper_sentences(pid, fresh, run)
        listed += fresh[:PER_PAPER] + [c for c in by_paper[pid][:PER_PAPER] if c.id in stated]
        for c in by_paper[pid][:PER_PAPER]:
            if c.id in stated:
                elsewhere.setdefault(stated[c.id], []).append(paper_label(papers.get(pid), pid))
                elsewhere_refs += _claim_refs(c, run)
                if claim_status(c, run) in ("contradicted", "not_reproduced"):
                    elsewhere_failed.add(claim_status(c, run).replace("_", " "))
    if elsewhere:
        names = ", ".join(dict.fromkeys(x for v in elsewhere.values() for x in v))
        failed = f", including claims {' and '.join(sorted(elsewhere_failed))}," if elsewhere_failed else ""
        sentences.append(_stated_above(f"What {names} state{failed}", elsewhere, elsewhere_refs))
    if len(by_paper) > PAPERS_PER_FACET:
        sentences.append(Sentence(text=f"{len(by_paper) - PAPERS_PER_FACET} more papers touch this facet; "
                                       "the claims table lists their claims.", refs=["S:claims"]))
    for name, (original, others) in homonyms(run).items():
        if name in kept_out or any(squash(name) == squash(t) for t in f.terms):
            sentences.append(Sentence(
                text=f"{', '.join(others)} describes {HOMONYM_PHRASE} {name}; its claims are not counted "
                     f"here, where {name} means the system of {original}.", refs=["S:references"]))
    checks = facet_checks(f, run)
    sentences += [question_check_sentence(e) for e in checks if e.id not in measured_in]
    earlier = [e for e in checks if e.id in measured_in]
    if earlier:
        sentences.append(_stated_above(f"Our measurement for this question ({ev.SCALE_CAVEAT})",
                                       [measured_in[e.id] for e in earlier],
                                       [check(e.id) for e in earlier]))
    measured = any(e.status == "done" and ev.comparisons(e) for e in checks)
    statuses = [claim_status(c, run) for c in listed]
    findings = any(s in ("supported", "own_word") for s in statuses)
    if findings or measured:
        status = "answered"
    elif statuses:
        status = "partial"
    else:
        status = "gap"
    gap = "" if status == "answered" else (
        _gap_reason(f, run) if status == "gap" else "what the papers claim here failed its checks or is unverified")
    if status == "gap":
        sentences.append(Sentence(text=f"Not answered: {gap}.", refs=[]))
    else:
        sentences.append(Sentence(text=_confidence(statuses, measured), refs=[]))
    return AnswerFacet(
        facet_id=f.id, kind=f.kind, facet=f.text, status=status, sentences=sentences,
        claim_ids=[c.id for c in listed],
        check_ids=[e.id for e in checks] + [c.empirical.id for c in listed
                                            if c.empirical is not None and ev.was_measured(c.empirical)],
        papers=shown_papers, gap=gap)


def answer(run: RunData, withdrawn: Iterable[int] = ()) -> list[AnswerFacet]:
    """The Answer: one entry per facet of the question, in the frame's order."""
    topical = on_topic_papers(run)
    stated: dict[int, str] = {}
    measured_in: dict[int, str] = {}
    out: dict[int, AnswerFacet] = {}
    # Comparisons are the most specific facets: what they state is stated there in full.
    for f in sorted(run.facets, key=lambda f: f.kind != "comparison"):
        a = answer_facet(f, run, topical, withdrawn, stated, measured_in)
        for cid in a.claim_ids:
            stated.setdefault(cid, f.text)
        for e in facet_checks(f, run):
            measured_in.setdefault(e.id, f.text)
        out[f.id] = a
    return [out[f.id] for f in run.facets]


def results(run: RunData, claims: list[ClaimData]) -> list[Sentence]:
    """The results section: the performance claims of papers on the question's topic, grouped by
    paper in rank order, each paper's findings and failures in prose; papers off the topic are
    named once and left to the claims table."""
    topical = on_topic_papers(run)
    by_paper: dict[str, list[ClaimData]] = {}
    for c in claims:
        by_paper.setdefault(c.paper_id, []).append(c)
    out: list[Sentence] = []
    for pid, group in by_paper.items():
        if pid in topical:
            out += paper_sentences(pid, group, run, per_paper=RESULTS_PER_PAPER, where="the question's topic")
    off = [pid for pid in by_paper if pid not in topical]
    if off:
        out.append(Sentence(text=f"Papers off the question's topic ({', '.join(off)}) make performance claims "
                                 "that the claims table lists; they are not results on this question.",
                            refs=["S:claims"]))
    return out


def answer_abstract(run: RunData, entries: list[AnswerFacet]) -> list[Sentence]:
    """The abstract's opening: how much of the question is answered, and every claim in the
    Answer that failed a check, named as such."""
    if not entries:
        return []
    done = [e.facet for e in entries if e.status == "answered"]
    gaps = [e.facet for e in entries if e.status != "answered"]
    out = [Sentence(text=f"The question has {len(entries)} facets; the evidence answers {len(done)}"
                         + (f" ({', '.join(done)})" if done else "")
                         + (f", and leaves open {', '.join(gaps)}" if gaps else "") + ".", refs=["S:answer"])]
    claims = {c.id: c for c in run.claims}
    failed = sorted({cid for e in entries for cid in e.claim_ids
                     if cid in claims and claim_status(claims[cid], run) in ("contradicted", "not_reproduced")})
    for cid in failed:
        c = claims[cid]
        what = ("contradicted by independent evidence" if claim_status(c, run) == "contradicted"
                else "not reproduced by our runtime" + _assumed(c))
        label = paper_label(next((p for p in run.papers if p.id == c.paper_id), None), c.paper_id)
        said = f"claim of {_fact(c)}" if c.value is not None else f"{_what(c)} {_quote(c)}"
        out.append(Sentence(text=f"{label}'s {said} is {what}.", refs=_claim_refs(c, run)))
    return out


def _assumed(c: ClaimData) -> str:
    """What the experiment had to assume because the claim does not state it ("model not named:
    Mixtral-8x7B (...)" in the check's spec), said beside a verdict that rests on it."""
    spec = c.empirical.spec if c.empirical is not None else {}
    assumed = [str(a) for a in spec.get("assumed") or [] if " not " in str(a)]
    if not assumed:
        return ""
    things = [a.split(" not ", 1)[0] for a in assumed]
    listed = ", ".join(things[:-1]) + (" and " if len(things) > 1 else "") + things[-1]
    them = "them" if len(things) > 1 else "it"
    if all("setup from the paper's text" in a for a in assumed):
        return f" (at the {listed} its paper's own setup gives: the claim itself does not state {them})"
    return f" (at an assumed {listed}: the claim does not state {them})"
