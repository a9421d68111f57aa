"""The empirical stage as a service: plan a run's checks, run them, re-run them.

Used by the pipeline's check_runs stage, by `sovereign checks ...` and by the app's "re-run".
Planning replaces the run's EmpiricalCheck rows in one transaction (one row per checked claim:
testable ones queued with their experiment spec, NOT_TESTABLE ones done with the reason, testable
ones beyond ``max_checks`` not_run), so a stage re-run after a crash leaves one copy of each.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.claims import ClaimFields
from domain.empirical import CheckStatus
from kernel.empirical.dispatch import dispatch
from kernel.errors import BadInput
from kernel.settings import Settings
from kernel.storage import crud
from kernel.storage.db import make_engine, session_scope, transact
from kernel.storage.models import Claim, EmpiricalCheck, utcnow

Progress = Callable[[str, str], None]
# Metrics worth an empirical check: performance ones (testable) and quality ones (recorded as
# NOT_TESTABLE with the reason, so the report can say why they were not re-measured).
PERFORMANCE_METRICS = {"throughput", "speedup", "latency", "hit rate", "miss rate", "memory"}
QUALITY_METRICS = {"accuracy", "perplexity"}


def _quiet(stage: str, message: str) -> None:
    return None


@dataclass
class EmpiricalSummary:
    planned: int
    not_testable: int
    skipped: int
    verdicts: dict[str, int]
    failed: int
    scales_disagree: int = 0  # checks whose small-scale and full-size verdicts differ

    def note(self, backend: str, cluster: str | None) -> str:
        if not self.planned and not self.not_testable:
            return "Empirical checks: no performance claims to re-measure."
        where = f"{backend} backend" + (f" on the {cluster} cluster" if cluster else "")
        parts = [f"{n} {v}" for v, n in sorted(self.verdicts.items())]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.skipped:
            parts.append(f"{self.skipped} not run (over max_checks)")
        if self.scales_disagree:
            parts.append(f"{self.scales_disagree} whose small-scale and full-size verdicts differ")
        return (f"Empirical checks ({where}): {self.planned} experiments, "
                f"{self.not_testable} claims not testable; " + (", ".join(parts) or "nothing measured") + ".")


def candidate(claim: Claim) -> bool:
    """Whether a claim gets an EmpiricalCheck row at all: a performance or quality figure, or a
    comparison without one ("on-demand loading is faster than LRU caching": an ordering)."""
    return (claim.kind in ("quantitative", "comparison")
            and claim.metric in PERFORMANCE_METRICS | QUALITY_METRICS)


def _as_extracted(claim: Claim) -> ClaimFields:
    """The row's claim fields, validated as the verifier reads them (a table row is not)."""
    return ClaimFields.model_validate(claim)


def valid_backend(settings: Settings) -> str:
    """``settings.empirical.backend``; BadInput naming the valid ones when it is not one."""
    from verifier.empirical import BACKENDS

    backend = settings.empirical.backend
    if backend not in BACKENDS:
        raise BadInput(f"unknown empirical backend {backend!r} (settings empirical.backend); "
                       f"valid: {', '.join(BACKENDS)}")
    return backend


def plan_checks(settings: Settings, engine: Engine, run_id: str) -> list[tuple[int, dict, str]]:
    """Replace the run's check rows; the (check id, spec, backend) items to run."""
    from kernel.retrieval.paper_setups import paper_setups
    from verifier.empirical import NotTestable, plan_experiment, stated_setup

    backend = valid_backend(settings)
    with session_scope(engine) as s:
        claims = [c for c in crud.run_claims(s, run_id=run_id) if candidate(c)]
        # What a claim leaves out comes from its paper's text when the paper was read.
        setups = {pid: stated_setup(pid, row.fields)
                  for pid, row in paper_setups(s, sorted({c.paper_id for c in claims})).items()}
    rows: list[EmpiricalCheck] = []
    testable = 0
    experiments: set[str] = set()  # two claims of one sentence can map to the same experiment
    for claim in claims:
        planned = plan_experiment(_as_extracted(claim), paper_id=claim.paper_id, setup=setups.get(claim.paper_id))
        if isinstance(planned, NotTestable):
            rows.append(EmpiricalCheck(claim_id=claim.id, status=CheckStatus.DONE, verdict="NOT_TESTABLE",
                                       reason=planned.reason, finished_at=utcnow()))
            continue
        spec = planned.model_dump(mode="json")
        row = EmpiricalCheck(claim_id=claim.id, spec=spec, backend=backend, claimed=spec["claimed"])
        experiment = json.dumps({k: v for k, v in spec.items() if k != "claim_text"}, sort_keys=True)
        if experiment in experiments:
            row.status = CheckStatus.QUEUED  # measured once (the backend remembers it): not counted
        elif testable >= settings.empirical.max_checks:
            row.status, row.reason = CheckStatus.NOT_RUN, (
                f"not run: the run's limit of {settings.empirical.max_checks} experiments "
                "(settings empirical.max_checks) was reached")
        else:
            row.status = CheckStatus.QUEUED
            experiments.add(experiment)
            testable += 1
        rows.append(row)

    def write(s: Session) -> list[tuple[int, dict, str]]:
        crud.clear_checks(s, run_id=run_id, text=False, empirical=True)
        s.flush()
        s.add_all(rows)
        s.flush()
        return [(r.id, r.spec, r.backend) for r in rows if r.status == CheckStatus.QUEUED]

    items = transact(engine, write)
    # Checks that need no small model still to be trained run first, while training goes on
    from verifier.empirical import waits_for_training

    return sorted(items, key=lambda item: waits_for_training(
        item[1], backend=item[2], runtime_dir=settings.runtime_dir,
        train_budget_s=settings.empirical.train_budget_s))


def summarise(engine: Engine, run_id: str) -> EmpiricalSummary:
    with session_scope(engine) as s:
        rows = crud.run_checks(s, run_id=run_id)
    verdicts = Counter(r.verdict for r in rows if r.verdict and r.verdict != "NOT_TESTABLE")
    return EmpiricalSummary(
        planned=sum(1 for r in rows if r.spec and r.status != CheckStatus.NOT_RUN),
        not_testable=sum(1 for r in rows if r.verdict == "NOT_TESTABLE"),
        skipped=sum(1 for r in rows if r.status == CheckStatus.NOT_RUN),
        verdicts=dict(verdicts),
        failed=sum(1 for r in rows if r.status == CheckStatus.FAILED),
        scales_disagree=sum(1 for r in rows if (r.measurements or {}).get("agree") is False),
    )


def run_empirical(settings: Settings, run_id: str, *, engine: Engine | None = None,
                  cluster: str | None = None, progress: Progress = _quiet) -> EmpiricalSummary:
    """Plan and run the run's checks (the check_runs stage); the summary for the run's notes."""
    engine = engine or make_engine(settings.db_url)
    cluster = cluster if cluster is not None else settings.empirical.cluster
    items = plan_checks(settings, engine, run_id)
    progress("check_runs", f"{len(items)} experiments on the {settings.empirical.backend} backend")
    dispatch(settings, items, cluster=cluster, progress=progress)
    return summarise(engine, run_id)


def rerun_checks(settings: Settings, run_id: str, cluster: str | None = None,
                 progress: Progress | None = None) -> list[EmpiricalCheck]:
    """Re-run the run's stored experiments — the claims' and those measured for the question —
    (not the NOT_TESTABLE or not_run rows) on ``settings.empirical.backend``, in-process or on the
    Ray cluster; the run's check rows after."""
    engine = make_engine(settings.db_url)
    progress = progress or _quiet
    backend = valid_backend(settings)

    def reset(s: Session) -> list[tuple[int, dict, str]]:
        crud.get_run(s, run_id=run_id)
        items = []
        for row in crud.run_checks(s, run_id=run_id) + crud.facet_checks(s, run_id=run_id):
            if not row.spec or row.status == CheckStatus.NOT_RUN:
                continue
            row.status, row.backend, row.attempts, row.error = CheckStatus.QUEUED, backend, 0, None
            row.verdict = row.reason = row.node = row.started_at = row.finished_at = None
            row.measurements, row.caveats = {}, []
            s.add(row)
            items.append((row.id, row.spec, backend))
        return items

    items = transact(engine, reset)
    if not items:
        raise BadInput(f"run {run_id} has no empirical experiments to re-run (no testable performance claims)")
    dispatch(settings, items, cluster=cluster, progress=progress)
    with session_scope(engine) as s:
        return crud.run_checks(s, run_id=run_id) + crud.facet_checks(s, run_id=run_id)


def measure_claims_in(settings: Settings, text: str, *, backend: str | None = None) -> list[Any]:
    """Empirical results of every claim in ``text`` (``sovereign checks run``), in order.

    A text without a claim with a number is read as one ordering claim ("X is the slowest
    policy"), or gives one NOT_TESTABLE result saying why not.
    """
    from verifier.empirical import Tolerances, check_claim
    from verifier.extract import extract_claims

    claims = extract_claims(text)
    if not claims:
        # No claim with a number; the sentence may still state an ordering ("X is the slowest")
        from verifier.types import ExtractedClaim

        claims = [ExtractedClaim(text=text.strip(), kind="comparison")]
    tol = Tolerances(settings.empirical.ratio_tolerance, settings.empirical.points_tolerance)
    return [(c, check_claim(c, backend=backend or settings.empirical.backend,
                            runtime_dir=settings.runtime_dir,
                            train_budget_s=settings.empirical.train_budget_s, tol=tol)) for c in claims]
