"""Markdown rendering of a Draft. References are links to anchors inside the document (`[P12]`
-> `#p12`); figures are interactive only in the HTML rendering, so here each figure is named with
a link to its place in the HTML report and its numbers are in the empirical table above it."""

from __future__ import annotations

from reports import tables
from reports.model import Draft, Sentence
from reports.refs import anchor

HTML_NAME = "report.html"  # the HTML rendering written beside the Markdown one


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def ref_link(token: str) -> str:
    return f"[[{token}](#{anchor(token)})]"


def sentence(s: Sentence) -> str:
    return s.text + "".join(" " + ref_link(t) for t in s.refs)


def _paragraph(sentences: list[Sentence]) -> str:
    return " ".join(sentence(s) for s in sentences) if sentences else "_Nothing to report._"


def _table(headers: tuple[str, ...], rows: list[tuple[str, list[str]]], anchors: bool = True) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for token, cells in rows:
        first = f'<a id="{anchor(token)}"></a>{_cell(cells[0])}' if anchors and token[0] in "CEP" else _cell(cells[0])
        out.append("| " + " | ".join([first] + [_cell(c) for c in cells[1:]]) + " |")
    return out


def answer_lines(d: Draft) -> list[str]:
    """The Answer, facet by facet: what answers it, or the gap and why."""
    lines = ['## Answer <a id="s-answer"></a>', ""]
    if not d.answer:
        return lines + ["_The question was not framed into facets; see the abstract and results._", ""]
    for a in d.answer:
        lines += [f"### {tables.answer_heading(a)}", "", _paragraph(a.sentences), ""]
    return lines


def render_markdown(d: Draft) -> str:
    lines = [f"# {d.title}", "",
             f"_Run {d.run_id} · round {d.round} · {d.author}" + (f" · outcome {d.outcome}" if d.outcome else "") + "_",
             ""]
    if d.outcome_reasons:
        lines += [f"**Outcome: {d.outcome}** — " + "; ".join(d.outcome_reasons), ""]
    lines += answer_lines(d)
    for name, title in tables.SECTIONS:
        lines += [f'## {title} <a id="s-{name}"></a>', "", _paragraph(getattr(d, name)), ""]
    lines += ['## Empirical results <a id="s-empirical"></a>', ""]
    if d.empirical:
        lines += _table(tables.EMPIRICAL_HEADERS, tables.empirical_rows(d)) + [""]
    else:
        lines += ["_No empirical check finished in this run; the claims table says why for each claim._", ""]
    if d.empirical:
        lines += _table(tables.COMPARISON_HEADERS, tables.comparison_rows(d), anchors=False) + [""]
    for f in d.figures:
        lines += [f"- Figure {f.id}: {f.title} — interactive plot in [{HTML_NAME}#{f.id}]({HTML_NAME}#{f.id}); "
                  f"checks {', '.join(f'E{i}' for i in f.check_ids)}.", ""]
    lines += ['## Uncertainties <a id="s-uncertainties"></a>', "", _paragraph(d.uncertainties), ""]
    lines += ['## Claims <a id="s-claims"></a>', ""] + _table(tables.CLAIM_HEADERS, tables.claim_rows(d)) + [""]
    if d.revision_notes:
        lines += ['## Revision notes <a id="s-revision-notes"></a>', "", _paragraph(d.revision_notes), ""]
    lines += ['## Reviews <a id="s-reviews"></a>', ""]
    if not d.reviews:
        lines += ["_Not reviewed yet._", ""]
    for r in d.reviews:
        lines += [f"### Round {r.round} — {r.role} ({r.score:.1f}/10, {r.backend})", ""]
        if r.summary:
            lines += [r.summary, ""]
        lines += [f"- {_cell(tables.finding_line(f))}" for f in r.findings] + [""]
    lines += ['## Evidence passages <a id="s-passages"></a>', ""]
    for p in d.passages:
        quoted = p.text.replace("\n", " ")
        lines += [f'<a id="p{p.passage_id}"></a>**P{p.passage_id}** ({p.paper_id}, {p.section})', "",
                  f"> {quoted}", ""]
    lines += ['## References <a id="s-references"></a>', ""]
    lines += _table(tables.REFERENCE_HEADERS, tables.reference_rows(d)) + [""]
    return "\n".join(lines)
