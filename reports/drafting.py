"""`draft(run) -> Draft`: a report built only from a run's stored rows.

Nothing is invented: every sentence is generated from a row and cites it. The first draft is
exhaustive — it states the papers' performance claims with the verdicts beside them, and leads
the abstract with the highest-ranked ones whatever their verdict. Deciding what the report can
stand behind is the revision's job (`reports.revision`), on the tribunal's findings.
"""

from __future__ import annotations

from collections import Counter

from domain.claims import ClaimFields
from domain.reviews import ReviewFields
from domain.run_data import ClaimData, EmpiricalData, RunData
from reports import evidence as ev
from reports.answer import MEASURED_FOR_QUESTION, answer, answer_abstract, results
from reports.figures import claimed_vs_measured
from reports.model import ClaimRow, Draft, EmpiricalRow, PaperRef, QuotedPassage, Sentence
from reports.refs import check, claim, fmt, passage
from reports.topic import on_topic_papers
from verifier.headline import ONLY_AUTHORS

HEADLINES = 3  # claims the abstract leads with
SNIPPET = 280  # characters of an evidence passage quoted in the claims table


def draft(run: RunData) -> Draft:
    """The first draft of `run`'s report (round `run.round`)."""
    d = Draft(
        run_id=run.run_id,
        round=run.round,
        title=f"Evidence report: {run.question.strip()}",
        question=run.question,
        claims=[claim_row(c, run) for c in run.claims],
        empirical=[r for c in run.claims if (r := empirical_row(c)) is not None]
        + [question_check_row(e) for e in run.question_checks if e.status == "done"],
        references=[
            PaperRef(
                paper_id=p.id, title=p.title, authors=p.authors, year=p.year,
                url=p.pdf_url or ("" if p.id.startswith("local:") else f"https://arxiv.org/abs/{p.id}"),
                fulltext=p.fulltext,
            )
            for p in run.papers
        ],
        reviews=review_entries(run),
    )
    d.figures = claimed_vs_measured(d.empirical)
    d.passages = quoted_passages(run)
    d.introduction = introduction(run)
    d.methodology = methodology(run)
    d.results = results(run, performance_claims(run))
    d.uncertainties = uncertainties(run)
    d.answer = answer(run)
    d.abstract = answer_abstract(run, d.answer) + abstract(run, headline_claims(run))
    return d


def performance_claims(run: RunData) -> list[ClaimData]:
    """Performance claims in paper-rank order (the order a reader meets them in the results)."""
    rank = {p.id: p.rank for p in run.papers}
    perf = [c for c in run.claims if c.kind in ev.PERFORMANCE_KINDS]
    return sorted(perf, key=lambda c: (rank.get(c.paper_id, 10**6), c.id))


def headline_claims(run: RunData) -> list[ClaimData]:
    """The claims the abstract leads with: the highest-ranked performance claims of papers on the
    question's topic (all papers when the question was not framed)."""
    topical = on_topic_papers(run)
    return [c for c in performance_claims(run) if c.paper_id in topical][:HEADLINES]


def claim_row(c: ClaimData, run: RunData) -> ClaimRow:
    epid = ev.evidence_passage_id(c)
    snippet = ""
    if c.text_check and c.text_check.evidence:
        snippet = str(c.text_check.evidence[0].get("text", ""))[:SNIPPET]
    return ClaimRow(
        **c.model_dump(include=set(ClaimFields.model_fields)), claim_id=c.id, paper_id=c.paper_id,
        verdict=ev.verdict(c), verdict_reason=ev.headline_reason(c), attribution=ev.attribution(c),
        independent=ev.independent(c), confidence=ev.confidence(c),
        passage_id=c.passage_id, evidence_passage_id=epid, evidence=snippet,
        empirical=ev.empirical_line(c, run),
        empirical_check_id=c.empirical.id if c.empirical else None,
    )


def empirical_row(c: ClaimData) -> EmpiricalRow | None:
    emp = c.empirical
    if emp is None or not ev.was_measured(emp):
        return None
    metric, claimed, measured, unit = ev.measured_pair(emp, c)
    return EmpiricalRow(
        check_id=emp.id, claim_id=c.id, metric=metric, unit=unit, claimed=claimed, measured=measured,
        verdict=emp.verdict or "NOT_TESTABLE", backend=emp.backend or "", setting=ev.setting_text(emp),
        reason=emp.reason or "", caveats=list(emp.caveats), comparisons=ev.comparisons(emp),
    )


def question_check_row(e: EmpiricalData) -> EmpiricalRow:
    """An experiment measured for the question: measured numbers only, nothing claimed."""
    return EmpiricalRow(
        check_id=e.id, claim_id=None, facet_id=e.facet_id,
        metric=str(ev.comparisons(e)[0]["label"]) if ev.comparisons(e) else "throughput ratio",
        unit=str(ev.comparisons(e)[0].get("unit", "")) if ev.comparisons(e) else "",
        measured=ev.as_number(e.measurements.get("measured")), verdict=MEASURED_FOR_QUESTION,
        backend=e.backend or "", setting=ev.setting_text(e), reason=e.reason or "no paper claims it; "
        "run because the question asks for the comparison", caveats=list(e.caveats), comparisons=ev.comparisons(e))


def claim_sentences(c: ClaimData, run: RunData, *, scale_caveat: bool = False) -> list[Sentence]:
    """What the results say about one claim: the paper's statement with its textual verdict, and
    the re-measurement when there is one. `scale_caveat` qualifies a small-scale reproduction."""
    refs = [passage(c.passage_id), claim(c.id)]
    epid = ev.evidence_passage_id(c)
    if epid is not None and epid != c.passage_id:
        refs.append(passage(epid))
    versus = f" (baseline: {c.baseline})" if c.baseline and not ev.mentions(c.text, c.baseline) else ""
    conf = ev.confidence(c)
    evidence_txt = ev.independent(c).lower() + (f", confidence {fmt(conf)}" if conf is not None else "")
    out = [Sentence(text=f"{c.paper_id} reports “{c.text}”{versus}; status: {ev.verdict(c)} — "
                         f"{ev.headline_reason(c)} (other papers: {evidence_txt}).",
                    refs=refs, claim_ids=[c.id])]
    emp = c.empirical
    if emp is not None and ev.was_measured(emp):
        metric, claimed, measured, unit = ev.measured_pair(emp, c)
        against = ev.measured_against(emp)
        text = (f"Re-measured {metric}" + (f" against {against}" if against else "") +
                f": claimed {fmt(claimed, unit)}, measured {fmt(measured, unit)} — "
                f"{emp.verdict} ({ev.setting_text(emp)})")
        if scale_caveat and ev.is_small_scale(emp):
            text += f"; this check was {ev.SCALE_CAVEAT} and does not establish the paper's absolute figure"
        # A re-measurement reports our number; it does not state the paper's claim (no claim_ids).
        out.append(Sentence(text=text + ".", refs=[check(emp.id), claim(c.id)]))
    return out


def abstract(run: RunData, heads: list[ClaimData]) -> list[Sentence]:
    counts = Counter(ev.verdict(c) for c in run.claims)
    n_ab = sum(not p.fulltext for p in run.papers)
    out = [
        Sentence(text=f"We read {len(run.papers)} papers ({n_ab} from the abstract only) found by "
                      f"{len(run.queries)} queries for “{run.question.strip()}”.", refs=["S:references"]),
        Sentence(text=f"Of {len(run.claims)} extracted claims, {counts['SUPPORTED']} are supported by another "
                      f"paper or our measurement, {counts['CONTRADICTED']} contradicted and "
                      f"{counts['UNVERIFIED'] + counts['NOT_CHECKED']} unverified, of which "
                      f"{sum(ev.headline_reason(c).startswith(ONLY_AUTHORS) for c in run.claims)} rest on "
                      "their authors' word alone.",
                 refs=["S:claims"]),
    ]
    # A sentence holding several claims is quoted once, and never when one of its claims is
    # contradicted: the Answer's lead already says that claim failed, and the quote would restate it.
    quoted = {c.text.strip() for c in run.claims if ev.verdict(c) == "CONTRADICTED"}
    for c in heads:
        if c.text.strip() in quoted:
            continue
        quoted.add(c.text.strip())
        out.extend(claim_sentences(c, run)[:1])
    done = [c for c in run.claims if ev.was_measured(c.empirical)]
    if done:
        vc = Counter(c.empirical.verdict for c in done if c.empirical)
        parts = ", ".join(f"{n} {v}" for v, n in sorted(vc.items()))
        out.append(Sentence(text=f"{len(done)} performance claims were re-measured: {parts}.",
                            refs=["S:empirical"]))
    return out


def introduction(run: RunData) -> list[Sentence]:
    return [
        Sentence(text=f"Question: “{run.question.strip()}”.", refs=["S:methodology"]),
        Sentence(text="This report lists the claims the retrieved papers make, checks that each is read "
                      "correctly from its source passage, looks for other papers stating the same quantity, "
                      "and re-measures performance claims with SOVEREIGN's own ExpertFlow runtime where an "
                      "experiment maps to them.", refs=[]),
        Sentence(text="Every claim appears in the claims table with its status and the three verdicts it "
                      "rests on; every number cites the passage, claim or check it comes from.",
                 refs=["S:claims"]),
    ]


def methodology(run: RunData) -> list[Sentence]:
    src = Counter(p.source.split(":")[0] for p in run.papers)
    out = []
    if run.queries:
        out.append(Sentence(text="Queries: " + "; ".join(f"“{q}”" for q in run.queries) + ".",
                            refs=["S:references"]))
    if run.papers:
        out.append(Sentence(
            text="Sources: " + ", ".join(f"{n} from {s}" for s, n in sorted(src.items())) + "; "
                 f"{sum(p.fulltext for p in run.papers)} read in full text, "
                 f"{sum(not p.fulltext for p in run.papers)} from the abstract only.",
            refs=["S:references"]))
        for label, group in (("Read in full text", [p for p in run.papers if p.fulltext]),
                             ("Read from the abstract only", [p for p in run.papers if not p.fulltext])):
            if group:
                out.append(Sentence(text=f"{label}: " + "; ".join(
                    f"{p.id} ({p.title[:70]}{'…' if len(p.title) > 70 else ''})" for p in group) + ".",
                    refs=["S:references"]))
    out.append(Sentence(
        text="Each claim gets three verdicts: attribution (its own passage states it with these fields, a "
             "check of our extraction and never evidence of truth), independent evidence (passages of other "
             "papers by other authors on the same system, metric, baseline and setting: corroborated, "
             "contradicted, related only, or none) and reproduction (our measurement). Its status is "
             "SUPPORTED only with independent corroboration or reproduction, CONTRADICTED when either "
             "disagrees, and otherwise UNVERIFIED.",
        refs=["S:claims"]))
    n_emp = sum(c.empirical is not None for c in run.claims)
    out.append(Sentence(
        text=f"Performance claims were mapped to experiments on the runtime: {n_emp} checks recorded.",
        refs=["S:empirical"]))
    out.extend(Sentence(text=n, refs=["S:references"]) for n in run.notes)
    return out


def uncertainties(run: RunData) -> list[Sentence]:
    out = []
    if run.offline:
        out.append(Sentence(text="arXiv was not reachable or not asked: papers came from the cache and "
                                 "imported corpora, so newer or unindexed papers may be missing.",
                            refs=["S:references"]))
    ab = [p for p in run.papers if not p.fulltext]
    if ab:
        out.append(Sentence(text=f"{len(ab)} of {len(run.papers)} papers were read from the abstract only; "
                                 "claims made only in their full text were not seen, and their checks "
                                 "rest on the abstract.", refs=["S:references"]))
    confs = [x for c in run.claims if (x := ev.confidence(c)) is not None]
    if confs:
        out.append(Sentence(text=f"Where another paper corroborates or contradicts a claim, the verdict carries "
                                 f"a mean confidence of {fmt(round(sum(confs) / len(confs), 2))} over {len(confs)} "
                                 f"claims (lowest {fmt(min(confs))}); for the other {len(run.claims) - len(confs)} "
                                 "no other paper states the same quantity.", refs=["S:claims"]))
    weak = [c for c in run.claims if ev.independent(c) == "CORROBORATED" and (ev.confidence(c) or 0) < 0.6]
    if weak:
        out.append(Sentence(text=f"{len(weak)} supported claims have a confidence under 0.6.",
                            refs=["S:claims"] + [claim(c.id) for c in weak]))
    for c in run.claims:
        emp = c.empirical
        if emp is None or not ev.was_measured(emp):
            continue
        if ev.is_small_scale(emp):
            out.append(Sentence(text=f"The check of this claim was {ev.SCALE_CAVEAT} "
                                     f"({ev.setting_text(emp)}); it tests the mechanism, not the paper's "
                                     "absolute numbers.", refs=[check(emp.id), claim(c.id)]))
        out.extend(Sentence(text=f"Caveat: {cav}", refs=[check(emp.id)]) for cav in emp.caveats)
    not_run = [c for c in performance_claims(run) if ev.not_run_reason(c, run) is not None]
    if not_run:
        out.append(Sentence(text=f"{len(not_run)} performance claims have no empirical verdict; the "
                                 "claims table gives the reason for each.",
                            refs=["S:claims"] + [claim(c.id) for c in not_run]))
    return out


def quoted_passages(run: RunData) -> list[QuotedPassage]:
    used = {c.passage_id for c in run.claims} | {
        pid for c in run.claims if (pid := ev.evidence_passage_id(c)) is not None
    }
    return [QuotedPassage(passage_id=p.id, paper_id=p.paper_id, section=p.section, text=p.text)
            for p in run.passages if p.id in used]


def review_entries(run: RunData) -> list[ReviewFields]:
    """Every round's reviews, copied so that the draft owns its own."""
    return [r.model_copy(deep=True) for r in run.reviews]
