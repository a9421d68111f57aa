"""JSON rendering of a Draft: the Draft itself, plus the numbers each sentence shows, so a
machine reader gets the same claims, verdicts and numbers as the human renderings."""

from __future__ import annotations

from typing import Any

from reports.model import Draft
from reports.refs import numbers_in

FORMAT = "sovereign-report/1"


def render_json(d: Draft) -> dict[str, Any]:
    data = d.model_dump(mode="json")
    data["format"] = FORMAT
    data["numbers"] = {
        name: [numbers_in(s.text) for s in getattr(d, name)] for name in Draft.PROSE
    }
    return data
