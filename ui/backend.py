"""What the pages read and do, over `kernel`: settings, the service, and the reads a page needs.

Reads go through `kernel.storage.crud` on the service's engine, so the Runs and Report pages keep
working even when a pipeline stage cannot be imported (the service module builds the whole
graph at import). Everything that changes a run — submit, decide — goes through
`kernel.service.Service`, imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from domain.run_data import RunData
from domain.runs import RunStatus
from kernel.settings import Settings
from kernel.storage import crud
from kernel.storage.db import make_engine, session_scope
from kernel.storage.models import Decision, EmpiricalCheck, Paper, ReportVersion, Run

_SERVICES: dict[str, Any] = {}


def settings() -> Settings:
    """Settings as the environment gives them now (SOVEREIGN_HOME etc.), with the home made."""
    s = Settings()
    s.ensure_home()
    return s


def engine(s: Settings | None = None) -> Engine:
    return make_engine((s or settings()).db_url)


class PipelineUnavailable(RuntimeError):
    """The service (and with it the graph) cannot be imported; reads still work."""


def service(s: Settings | None = None):
    """The `Service` for this data home, one per process (its clients are built once)."""
    s = s or settings()
    key = f"{s.home}|{s.db_url}"
    if key not in _SERVICES:
        try:
            from kernel.service import Service
        except ImportError as exc:
            raise PipelineUnavailable(
                f"the pipeline cannot start in this build ({exc}); reading runs still works"
            ) from exc
        _SERVICES[key] = Service(s)
    return _SERVICES[key]


def list_runs(status: list[str] | None = None, text: str = "") -> list[Run]:
    with session_scope(engine()) as s:
        runs = crud.list_runs(s, limit=1000)
    if status:
        runs = [r for r in runs if r.status in status]
    if text.strip():
        needle = text.strip().lower()
        runs = [r for r in runs if needle in r.question.lower() or needle in r.id]
    return runs


def get_run(run_id: str) -> Run:
    with session_scope(engine()) as s:
        return crud.get_run(s, run_id=run_id)


@dataclass
class RunView:
    """One run as the Report page shows it."""

    run: Run
    data: RunData
    report: ReportVersion | None
    versions: list[ReportVersion] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


def run_view(run_id: str) -> RunView:
    with session_scope(engine()) as s:
        run = crud.get_run(s, run_id=run_id)
        data = crud.load_run_data(s, run_id=run_id)
        versions = crud.report_versions(s, run_id=run_id)
        decisions = crud.decisions(s, run_id=run_id)
    return RunView(run=run, data=data, report=versions[-1] if versions else None, versions=versions,
                   decisions=decisions)


def run_checks(run_id: str) -> list[EmpiricalCheck]:
    with session_scope(engine()) as s:
        return crud.run_checks(s, run_id=run_id)


def waiting_runs() -> list[Run]:
    return list_runs([RunStatus.WAITING_OWNER])


def paper_count() -> int:
    with session_scope(engine()) as s:
        return crud.paper_count(s)


def papers(ids: list[str]) -> dict[str, Paper]:
    with session_scope(engine()) as s:
        return crud.papers_by_id(s, ids=ids)
