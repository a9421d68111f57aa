"""The report's tables as rows of plain-text cells, shared by the Markdown and HTML renderers so
both print the same cells. Each row starts with its reference token (its anchor)."""

from __future__ import annotations

from reports.model import Draft
from reports.refs import fmt

# Status first, then the three verdicts it is derived from, side by side (verifier.headline).
CLAIM_HEADERS = ("Claim", "Paper", "Statement (quoted)", "Fact", "Status", "Why", "Attribution (own passage)",
                 "Independent evidence", "Confidence", "Evidence (other papers)", "Reproduction", "In report")
EMPIRICAL_HEADERS = ("Check", "Claim", "Metric", "Claimed", "Measured", "Verdict", "Why", "Setting", "Caveats")
COMPARISON_HEADERS = ("Check", "What", "Claimed", "Measured")
REFERENCE_HEADERS = ("Paper", "Title", "Authors", "Year", "Read")


def fact_cell(r) -> str:
    """The structured reading of a claim — which number of the sentence this row is about, of
    what, against what — so two claims from one sentence are told apart."""
    value = None
    if r.value is not None:  # as extracted, all digits: 93.72%, not 93.7%
        value = f"{r.value:g}" + (f"–{r.value_high:g}" if r.value_high is not None else "")
        value += r.unit if r.unit in ("×", "x", "%") else f" {r.unit}" if r.unit else ""
    parts = [p for p in (r.metric, value) if p]
    if r.baseline:
        parts.append(f"vs {r.baseline}")
    if r.model:
        parts.append(f"on {r.model}")
    return " ".join(parts) or "—"


def claim_rows(d: Draft) -> list[tuple[str, list[str]]]:
    rows = []
    for r in d.claims:
        ev_ref = f"P{r.evidence_passage_id}" if r.evidence_passage_id is not None else ""
        evidence = f"{ev_ref}: “{r.evidence}”" if r.evidence and ev_ref else ev_ref or "—"
        status = r.status + (f" — {r.note}" if r.note else "")
        rows.append((f"C{r.claim_id}", [
            f"C{r.claim_id}", r.paper_id, f"“{r.text}”", fact_cell(r), r.verdict, r.verdict_reason or "—",
            f"{r.attribution} (P{r.passage_id})", r.independent,
            fmt(r.confidence) if r.confidence is not None else "n/a",
            evidence, r.empirical, status,
        ]))
    return rows


def empirical_rows(d: Draft) -> list[tuple[str, list[str]]]:
    return [(f"E{r.check_id}", [
        f"E{r.check_id}", f"C{r.claim_id}" if r.claim_id is not None else "— (measured for this question)",
        r.metric, fmt(r.claimed, r.unit), fmt(r.measured, r.unit),
        r.verdict, r.reason or "—", r.setting or "—", "; ".join(r.caveats) or "—",
    ]) for r in d.empirical]


def comparison_rows(d: Draft) -> list[tuple[str, list[str]]]:
    """The plotted pairs of every check: the figures' numbers, readable without JavaScript."""
    return [(f"E{r.check_id}", [
        f"E{r.check_id}", str(p.get("label", r.metric)), fmt(p.get("claimed"), p.get("unit")),
        fmt(p.get("measured"), p.get("unit")),
    ]) for r in d.empirical for p in (r.comparisons or [{"label": r.metric, "unit": r.unit,
                                                          "claimed": r.claimed, "measured": r.measured}])]


def reference_rows(d: Draft) -> list[tuple[str, list[str]]]:
    return [(p.paper_id, [
        p.paper_id, p.title, ", ".join(p.authors[:6]) + (" et al." if len(p.authors) > 6 else ""),
        str(p.year) if p.year else "—", "full text" if p.fulltext else "abstract only",
    ]) for p in d.references]


ANSWER_STATUS = {"answered": "answered", "partial": "partly answered", "gap": "not answered"}


def answer_heading(a) -> str:
    return f"{a.facet} ({a.kind}) — {ANSWER_STATUS.get(a.status, a.status)}"


def finding_line(f: dict) -> str:
    ids = " ".join(t for t in (f"C{f['claim_id']}" if f.get("claim_id") is not None else "",
                               f"E{f['check_id']}" if f.get("check_id") is not None else "") if t)
    return f"[{f.get('severity', '?')}] {f.get('kind', '?')}{' (' + ids + ')' if ids else ''}: {f.get('message', '')}"


SECTIONS = (
    ("abstract", "Abstract"),
    ("introduction", "Introduction"),
    ("methodology", "Methodology"),
    ("results", "Results"),
)

