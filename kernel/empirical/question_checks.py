"""Experiments measured for the question: comparisons a facet asks for that no paper's claim
states (e.g. ExpertFlow vs a static cache on Mixtral-8x22B), run on the runtime all the same.

Each is stored as an EmpiricalCheck row with `facet_id` set and no claim, and run through the
empirical machinery's public entry points (`kernel.empirical.dispatch.dispatch` → `verifier.empirical.
run_spec`): the small variant on the configured backend and the full-size model in the simulator,
in interleaved repeats. The spec asks an ordering ("is the question's system the fastest of
these?"), which has no claimed number, so nothing is judged against a figure nobody claimed; the
report shows the measured ratios, their intervals and the setting.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.empirical import CheckStatus
from kernel.empirical.dispatch import dispatch
from kernel.flow.context import Progress, quiet
from kernel.settings import Settings
from kernel.storage import crud
from kernel.storage.db import session_scope, transact
from kernel.storage.models import EmpiricalCheck, utcnow

LABEL = "measured for this question"


def question_spec(exp: dict[str, Any], batch: int) -> dict[str, Any]:
    """The ExperimentSpec (as JSON) of one comparison at one batch size."""
    return {
        "claim_text": f"{LABEL}: {exp['system']} vs {exp['baseline']} on {exp['model']}, batch {batch}",
        "claimed": {"quantity": "ordering", "value": None, "unit": "", "rank": "fastest", "subject": exp["policy"],
                    "as_written": f"none: no paper claims it; {LABEL}"},
        "system": exp["system"], "policy": exp["policy"], "baseline": exp["baseline"],
        "baseline_policy": exp["baseline_policy"], "model": exp["model"], "preset": exp["preset"],
        "small_preset": exp["small_preset"], "cache_size": exp["cache_size"], "batch_size": batch,
        "hardware": exp["hardware"], "assumed": list(exp.get("assumed", [])),
    }


def plan_question_checks(settings: Settings, engine: Engine, run_id: str) -> list[tuple[int, dict, str]]:
    """Replace the run's question experiments; the (check id, spec, backend) items to run."""
    from verifier.empirical import ExperimentSpec

    backend = settings.empirical.backend
    rows: list[EmpiricalCheck] = []
    with session_scope(engine) as s:
        facets = [(f.id, dict(f.experiment)) for f in crud.run_facets(s, run_id=run_id) if f.experiment]
    for facet_id, exp in facets:
        for batch in exp.get("batch_sizes", [16]):
            spec = question_spec(exp, int(batch))
            row = EmpiricalCheck(facet_id=facet_id, spec=spec, backend=backend, claimed=spec["claimed"],
                                 status=CheckStatus.QUEUED)
            try:
                ExperimentSpec.model_validate(spec)
            except ValueError as exc:  # the runtime's spec vocabulary changed: say so, run nothing
                row.status, row.error, row.finished_at = CheckStatus.FAILED, f"spec not accepted: {exc}", utcnow()
            rows.append(row)

    def write(s: Session) -> list[tuple[int, dict, str]]:
        crud.clear_facet_checks(s, run_id=run_id)
        s.flush()
        s.add_all(rows)
        s.flush()
        return [(r.id, r.spec, r.backend) for r in rows if r.status == CheckStatus.QUEUED]

    return transact(engine, write)


def run_question_checks(settings: Settings, run_id: str, *, engine: Engine, cluster: str | None = None,
                        progress: Progress = quiet) -> str | None:
    """Plan and run the experiments the question's facets ask for; a note for the report, or
    None when the question asks for none."""
    items = plan_question_checks(settings, engine, run_id)
    with session_scope(engine) as s:
        planned = len(crud.facet_checks(s, run_id=run_id))
    if not planned:
        return None
    progress("check_runs", f"{len(items)} experiments {LABEL}")
    if items:
        dispatch(settings, items, cluster=cluster, progress=progress)
    with session_scope(engine) as s:
        rows = crud.facet_checks(s, run_id=run_id)
    done = sum(r.status == CheckStatus.DONE for r in rows)
    return (f"Experiments {LABEL} ({settings.empirical.backend} backend, small variant, and the full-size "
            f"model simulated): {len(rows)} planned, {done} finished, {len(rows) - done} failed.")
