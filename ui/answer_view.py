"""The Answer as the Report page shows it: the question's facets, each answered (with the
sentences and the rows they cite) or a gap with its reason. Read from the latest stored draft;
a run drafted before it had an Answer falls back to its Facet rows' statuses."""

from __future__ import annotations

from typing import Any

from domain.run_data import RunData

STATUS_BADGE = {"answered": ":green-badge[answered]", "partial": ":orange-badge[partly answered]",
                "gap": ":red-badge[not answered]", "open": ":gray-badge[not drafted yet]"}


def answer_entries(draft: dict[str, Any] | None, data: RunData) -> list[dict[str, Any]]:
    """One dict per facet: facet, kind, status, gap, sentences ([{text, refs}])."""
    stored = (draft or {}).get("answer") or []
    if stored:
        return [{"facet": a.get("facet", ""), "kind": a.get("kind", ""), "status": a.get("status", "open"),
                 "gap": a.get("gap", ""), "sentences": a.get("sentences", [])} for a in stored]
    return [{"facet": f.text, "kind": f.kind, "status": f.status, "gap": f.status_reason or f.reason,
             "sentences": []} for f in data.facets]


def heading(entry: dict[str, Any]) -> str:
    return f"**{entry['facet']}** ({entry['kind']}) {STATUS_BADGE.get(entry['status'], entry['status'])}"


def paragraph(entry: dict[str, Any]) -> str:
    """The facet's sentences with their reference tokens, as one paragraph."""
    return " ".join(s.get("text", "") + "".join(f" `{t}`" for t in s.get("refs", [])) for s in entry["sentences"])
