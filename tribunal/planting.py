"""Planted errors: edits of a clean draft that a careful reviewer must catch (the panel's tests and
its benchmark, `benchmarks/tribunal_panel.py`, measure whether it does)."""

from __future__ import annotations

import re

from domain.run_data import RunData
from reports import Draft
from reports.refs import fmt


def contradicted_as_supported(d: Draft, run: RunData) -> tuple[Draft, int]:
    """Show a CONTRADICTED claim as SUPPORTED, in the table and in every sentence."""
    c = next(c for c in run.claims if c.text_check and c.text_check.verdict == "CONTRADICTED")
    bad = d.model_copy(deep=True)
    for row in bad.claims:
        if row.claim_id == c.id:
            row.verdict = "SUPPORTED"
    for _, s in bad.prose():
        if c.id in s.claim_ids:
            s.text = s.text.replace("CONTRADICTED", "SUPPORTED")
    return bad, c.id


def dropped_baseline(d: Draft, run: RunData, nth: int = 0) -> tuple[Draft, int]:
    """Remove the baseline of the nth comparison claim from the draft."""
    c = [c for c in run.claims if c.baseline][nth % len([c for c in run.claims if c.baseline])]
    pat = re.compile(r"\s*(?:over|than|of|against|\(baseline:)\s+" + re.escape(c.baseline) + r"\)?", re.I)
    bad = d.model_copy(deep=True)
    for row in bad.claims:
        if row.claim_id == c.id:
            row.text, row.baseline = pat.sub("", row.text), None
    for _, s in bad.prose():
        if c.id in s.claim_ids:
            s.text = pat.sub("", s.text)
    return bad, c.id


def altered_measurement(d: Draft, run: RunData, nth: int = 0) -> tuple[Draft, int]:
    """Report a measured number 30% better than the check measured."""
    rows = [r for r in d.empirical if r.measured is not None]
    row0 = rows[nth % len(rows)]
    bad = d.model_copy(deep=True)
    row = next(r for r in bad.empirical if r.check_id == row0.check_id)
    old, new = fmt(row.measured, row.unit), fmt(round(row.measured * 1.3, 2), row.unit)
    row.measured = round(row.measured * 1.3, 2)
    for _, s in bad.prose():
        if f"E{row.check_id}" in s.refs:
            s.text = s.text.replace(f"measured {old}", f"measured {new}")
    return bad, row.claim_id


PLANTS = (contradicted_as_supported, dropped_baseline, altered_measurement)
