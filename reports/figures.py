"""Plots of the empirical results, as plotly figure dicts (data, not a plotly object: a Draft
stays JSON, and drafting needs no plotting library)."""

from __future__ import annotations

from reports.model import EmpiricalRow, Figure


def claimed_vs_measured(rows: list[EmpiricalRow]) -> list[Figure]:
    """One grouped bar chart per unit: claimed and measured value of every check in that unit."""
    by_unit: dict[str, list[EmpiricalRow]] = {}
    for r in rows:
        if r.claimed is not None and r.measured is not None:
            by_unit.setdefault(r.unit or "value", []).append(r)
    figs = []
    for i, (unit, group) in enumerate(sorted(by_unit.items()), start=1):
        labels = [f"E{r.check_id} (C{r.claim_id}) {r.metric}" for r in group]
        spec = {
            "data": [
                {"type": "bar", "name": "claimed", "x": labels, "y": [r.claimed for r in group]},
                {"type": "bar", "name": "measured", "x": labels, "y": [r.measured for r in group]},
            ],
            "layout": {
                "title": {"text": f"Claimed vs measured ({unit})"},
                "barmode": "group",
                "yaxis": {"title": {"text": unit}},
                "height": 360,
            },
        }
        figs.append(Figure(id=f"fig-{i}", title=f"Claimed vs measured ({unit})",
                           check_ids=[r.check_id for r in group], spec=spec))
    return figs
