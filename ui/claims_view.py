"""The Report page's claims: table rows, filters, evidence lookup, and claimed-vs-measured pairs.

Pure functions over `domain.run_data` types, so they are tested without a browser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from domain.run_data import ClaimData, EmpiricalData, PassageData, RunData
from reports import evidence as ev

NO_CHECK = "NOT CHECKED"
_ANCHOR = re.compile(r'<a id="[^"<>]*"></a>')


def displayable(markdown: str) -> str:
    """The report's Markdown for `st.markdown`: its HTML anchors (`<a id="…"></a>`) removed,
    since the app renders no raw HTML (paper text is untrusted) and would show them as text."""
    return _ANCHOR.sub("", markdown)


def text_verdict(claim: ClaimData) -> str:
    """The claim's headline status (`reports.evidence.verdict`): never SUPPORTED on its own
    passage alone."""
    v = ev.verdict(claim)
    return NO_CHECK if v == "NOT_CHECKED" else v


def status_reason(claim: ClaimData) -> str:
    return ev.headline_reason(claim)


def claim_rows(data: RunData, claims: Iterable[ClaimData]) -> list[dict[str, Any]]:
    """One table row per claim: what it says, whose it is, its status and the three verdicts it
    rests on (attribution, independent evidence, reproduction) side by side."""
    titles = {p.id: p.title for p in data.papers}
    rows = []
    for c in claims:
        conf = ev.confidence(c)
        rows.append(
            {
                "claim": c.id,
                "verdict": text_verdict(c),
                "why": ev.headline_reason(c),
                "attribution": ev.attribution(c),
                "independent evidence": ev.independent(c),
                "confidence": round(conf, 2) if conf is not None else None,
                "empirical": (c.empirical.verdict or c.empirical.status) if c.empirical else "",
                "paper": c.paper_id,
                "title": titles.get(c.paper_id, ""),
                "kind": c.kind,
                "text": c.text,
            }
        )
    return rows


def filter_claims(
    claims: Iterable[ClaimData], *, verdicts: Iterable[str] = (), papers: Iterable[str] = ()
) -> list[ClaimData]:
    """Claims whose status is in `verdicts` and paper in `papers` (empty = any)."""
    vs, ps = set(verdicts), set(papers)
    return [c for c in claims if (not vs or text_verdict(c) in vs) and (not ps or c.paper_id in ps)]


def passage_of(data: RunData, passage_id: int | None) -> PassageData | None:
    return next((p for p in data.passages if p.id == passage_id), None)


def highlight(passage: str, claim: str) -> str:
    """`passage` as Markdown with `claim` in bold where it occurs verbatim (else unchanged)."""
    at = passage.find(claim.strip())
    if at < 0 or not claim.strip():
        return passage
    end = at + len(claim.strip())
    return f"{passage[:at]}**{passage[at:end]}**{passage[end:]}"


@dataclass(frozen=True)
class Comparison:
    """One claimed number next to the number the runtime measured for it."""

    label: str
    claimed: float
    measured: float
    unit: str = ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def comparisons(check: EmpiricalData) -> list[Comparison]:
    """Claimed-vs-measured pairs of an empirical check.

    The verifier stores its pairs in `measurements["comparisons"]` ({label, unit, claimed,
    measured}); those are used when present (a pair missing either number is left out).
    Otherwise the claim's number (`claimed["value"]`, named by its `quantity` or `metric`) is set
    against `measurements["measured"]`. Nothing is paired by guesswork: no match, no plot.
    """
    claimed, measured = check.claimed or {}, check.measurements or {}
    stored = measured.get("comparisons")
    if isinstance(stored, list) and stored:
        out = []
        for pair in stored:
            if not isinstance(pair, dict):
                continue
            a, b = _number(pair.get("claimed")), _number(pair.get("measured"))
            if a is not None and b is not None:
                out.append(Comparison(str(pair.get("label") or "value"), a, b, str(pair.get("unit") or "")))
        return out
    a, b = _number(claimed.get("value")), _number(measured.get("measured"))
    if a is None or b is None:
        return []
    label = str(claimed.get("quantity") or claimed.get("metric") or "value")
    return [Comparison(label, a, b, str(claimed.get("unit") or ""))]


def comparison_figure(pairs: list[Comparison], title: str) -> go.Figure:
    """Grouped bars: claimed (paper) and measured (our runtime), per metric."""
    labels = [f"{p.label} ({p.unit})" if p.unit else p.label for p in pairs]
    fig = go.Figure(
        [
            go.Bar(name="claimed (paper)", x=labels, y=[p.claimed for p in pairs], marker_color="#7f8c8d"),
            go.Bar(name="measured (SOVEREIGN)", x=labels, y=[p.measured for p in pairs], marker_color="#2e86de"),
        ]
    )
    fig.update_layout(barmode="group", title=title, height=320, margin=dict(l=10, r=10, t=40, b=10))
    return fig
