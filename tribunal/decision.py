"""`decide`: READY, ESCALATE_TO_OWNER or REJECT from the panel's score and a few rules.

Rules, in order: a claim stated in the abstract that its evidence CONTRADICTS escalates to the
owner whatever the score (a person must see it); a panel score under `reject_score` rejects;
a critical finding still open escalates; a score at or above `ready_score` is READY; anything
between escalates. (`always_escalate` is graph routing: a READY draft still waits for the owner.)
"""

from __future__ import annotations

from typing import Any

from domain.run_data import RunData
from reports import evidence as ev
from reports.model import Draft
from tribunal.schema import Outcome, PanelResult
from tribunal.settings import decide_section


def decide(run: RunData, draft: Draft, panel: PanelResult, settings: Any = None) -> Outcome:
    s = decide_section(settings)
    verdicts = {c.id: ev.verdict(c) for c in run.claims}
    contradicted = sorted(c for c in draft.stated_claim_ids(("abstract",)) if verdicts.get(c) == "CONTRADICTED")
    critical = sorted({f.claim_id for f in panel.findings() if f.severity == "critical" and f.claim_id is not None})
    score = panel.score
    if contradicted:
        return Outcome(outcome="ESCALATE_TO_OWNER", score=score, reasons=[
            "the abstract states claims their evidence contradicts: " + ", ".join(f"C{c}" for c in contradicted)])
    if score < s.reject_score:
        return Outcome(outcome="REJECT", score=score,
                       reasons=[f"panel score {score:.1f} is under the reject threshold {s.reject_score:.1f}"])
    if critical:
        return Outcome(outcome="ESCALATE_TO_OWNER", score=score, reasons=[
            "critical findings remain open on " + ", ".join(f"C{c}" for c in critical)])
    if score >= s.ready_score:
        return Outcome(outcome="READY", score=score,
                       reasons=[f"panel score {score:.1f} reaches the ready threshold {s.ready_score:.1f}"])
    return Outcome(outcome="ESCALATE_TO_OWNER", score=score, reasons=[
        f"panel score {score:.1f} is between {s.reject_score:.1f} and {s.ready_score:.1f}: the owner decides"])
