"""Plots of the empirical results, as plotly figure dicts (data, not a plotly object: a Draft
stays JSON, and drafting needs no plotting library)."""

from __future__ import annotations

from reports.model import EmpiricalRow, Figure


def _pairs(r: EmpiricalRow) -> list[dict]:
    pairs = r.comparisons or [{"label": r.metric, "unit": r.unit, "claimed": r.claimed, "measured": r.measured}]
    return [p for p in pairs if p.get("claimed") is not None and p.get("measured") is not None]


def claimed_vs_measured(rows: list[EmpiricalRow]) -> list[Figure]:
    """One grouped bar chart per unit: the claimed and measured value of every plotted pair of
    every check in that unit (the same pairs as the report's comparison table)."""
    by_unit: dict[str, list[tuple[EmpiricalRow, dict]]] = {}
    for r in rows:
        for p in _pairs(r):
            by_unit.setdefault(str(p.get("unit") or "value"), []).append((r, p))
    figs = []
    for i, (unit, group) in enumerate(sorted(by_unit.items()), start=1):
        labels = [f"E{r.check_id} {p.get('label', r.metric)}" for r, p in group]
        spec = {
            "data": [
                {"type": "bar", "name": "claimed", "x": labels, "y": [p["claimed"] for _, p in group]},
                {"type": "bar", "name": "measured", "x": labels, "y": [p["measured"] for _, p in group]},
            ],
            "layout": {
                "title": {"text": f"Claimed vs measured ({unit})"},
                "barmode": "group",
                "yaxis": {"title": {"text": unit}},
                "height": 360,
            },
        }
        figs.append(Figure(id=f"fig-{i}", title=f"Claimed vs measured ({unit})",
                           check_ids=sorted({r.check_id for r, _ in group}), spec=spec))
    return figs
