"""HTML rendering of a Draft: one self-contained page.

Plots: plotly.js is inlined once per page by default (`plotlyjs="inline"`, about 4.8 MB), because
a report is read where it was made and SOVEREIGN does not assume its readers have internet; with
`plotlyjs="cdn"` the page is small but needs the CDN. Without JavaScript the page still carries
every number: the empirical table above the plots holds the same values.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from reports import tables
from reports.errors import ReportError
from reports.model import Draft, Figure, Sentence
from reports.refs import anchor

PlotlyJs = Literal["inline", "cdn", "none"]

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.5}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f3f3f3} a.ref{text-decoration:none;font-size:.85em}
blockquote{border-left:3px solid #ccc;margin:.5em 0;padding-left:1em;color:#333}
.meta{color:#666}
"""


def _sentence(s: Sentence) -> str:
    refs = "".join(f' <a class="ref" href="#{anchor(t)}">[{escape(t)}]</a>' for t in s.refs)
    return escape(s.text) + refs


def _paragraph(sentences: list[Sentence]) -> str:
    if not sentences:
        return "<p><em>Nothing to report.</em></p>"
    return "<p>" + " ".join(_sentence(s) for s in sentences) + "</p>"


def _table(headers: tuple[str, ...], rows: list[tuple[str, list[str]]], anchors: bool = True) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for token, cells in rows:
        row_id = f' id="{anchor(token)}"' if anchors and token[0] in "CEP" else ""
        body.append(f"<tr{row_id}>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(f: Figure, js: bool | str) -> str:
    import plotly.io as pio

    div = pio.to_html(f.spec, full_html=False, include_plotlyjs=js, div_id=f.id,
                      config={"displaylogo": False})
    return f'<figure><figcaption>{escape(f.title)}</figcaption>{div}</figure>'


def render_html(d: Draft, plotlyjs: PlotlyJs = "inline") -> str:
    if plotlyjs not in ("inline", "cdn", "none"):
        raise ReportError(f"plotlyjs={plotlyjs!r}; use 'inline', 'cdn' or 'none'")
    meta = f"Run {d.run_id} · round {d.round} · {d.author}" + (f" · outcome {d.outcome}" if d.outcome else "")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(d.title)}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{escape(d.title)}</h1>",
             f"<p class='meta'>{escape(meta)}</p>"]
    if d.outcome_reasons:
        parts.append(f"<p><strong>Outcome: {escape(str(d.outcome))}</strong> — "
                     f"{escape('; '.join(d.outcome_reasons))}</p>")
    parts.append('<section id="s-answer"><h2>Answer</h2>')
    if not d.answer:
        parts.append("<p><em>The question was not framed into facets; see the abstract and results.</em></p>")
    for a in d.answer:
        parts += [f'<h3 class="facet-{escape(a.status)}">{escape(tables.answer_heading(a))}</h3>',
                  _paragraph(a.sentences)]
    parts.append("</section>")
    for name, title in tables.SECTIONS:
        parts += [f'<section id="s-{name}"><h2>{title}</h2>', _paragraph(getattr(d, name)), "</section>"]
    parts.append('<section id="s-empirical"><h2>Empirical results</h2>')
    if d.empirical:
        parts.append(_table(tables.EMPIRICAL_HEADERS, tables.empirical_rows(d)))
        parts.append(_table(tables.COMPARISON_HEADERS, tables.comparison_rows(d), anchors=False))
    else:
        parts.append("<p><em>No empirical check finished in this run; the claims table says why for each "
                     "claim.</em></p>")
    for i, f in enumerate(d.figures):
        js: bool | str = False
        if i == 0 and plotlyjs != "none":
            js = True if plotlyjs == "inline" else "cdn"
        parts.append(_figure(f, js))
    parts.append("</section>")
    parts += ['<section id="s-uncertainties"><h2>Uncertainties</h2>', _paragraph(d.uncertainties), "</section>"]
    parts += ['<section id="s-claims"><h2>Claims</h2>', _table(tables.CLAIM_HEADERS, tables.claim_rows(d)),
              "</section>"]
    if d.revision_notes:
        parts += ['<section id="s-revision-notes"><h2>Revision notes</h2>', _paragraph(d.revision_notes),
                  "</section>"]
    parts.append('<section id="s-reviews"><h2>Reviews</h2>')
    if not d.reviews:
        parts.append("<p><em>Not reviewed yet.</em></p>")
    for r in d.reviews:
        parts.append(f"<h3>Round {r.round} — {escape(r.role)} ({r.score:.1f}/10, {escape(r.backend)})</h3>")
        if r.summary:
            parts.append(f"<p>{escape(r.summary)}</p>")
        parts.append("<ul>" + "".join(f"<li>{escape(tables.finding_line(f))}</li>" for f in r.findings) + "</ul>")
    parts.append("</section>")
    parts.append('<section id="s-passages"><h2>Evidence passages</h2>')
    for p in d.passages:
        parts.append(f'<div id="p{p.passage_id}"><strong>P{p.passage_id}</strong> '
                     f"({escape(p.paper_id)}, {escape(p.section)})<blockquote>{escape(p.text)}</blockquote></div>")
    parts.append("</section>")
    parts += ['<section id="s-references"><h2>References</h2>',
              _table(tables.REFERENCE_HEADERS, tables.reference_rows(d)), "</section>", "</body></html>"]
    return "\n".join(parts)
