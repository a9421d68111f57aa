"""Running stored empirical checks: in this process, or as Ray tasks on a (GPU) cluster.

Each check row moves queued → running → done | failed. A check whose attempt fails (the
experiment raised, or the worker running it died) is retried once; the second failure marks it
failed with its error. Every write is keyed by ``EmpiricalCheck.id`` (one row per claim, the
claim id unique), so a retry or a re-run updates the row in place: nothing is duplicated, and the
driver always writes the final status, so no row is left "running" by a dead worker.

With Ray, the task itself marks its row running (with its node) when it can reach the database;
the driver writes the outcome.
"""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from domain.empirical import CheckStatus
from kernel.empirical.cpu_load import OtherLoad
from kernel.empirical.pool import Item, Schedule, Task, cores, group_tasks, parse_times, run_pool
from kernel.errors import BadInput, SovereignError
from kernel.flow.context import Progress, quiet
from kernel.settings import Settings
from kernel.storage.db import make_engine, transact
from kernel.storage.models import EmpiricalCheck, utcnow

MAX_ATTEMPTS = 2  # the first try and one retry
CLUSTERS = ("ray",)


def node_name() -> str:
    return f"{socket.gethostname()} (pid {os.getpid()})"


def _update(db_url: str, check_id: int, **fields: Any) -> None:
    engine = make_engine(db_url)

    def write(s: Session) -> None:
        row = s.get(EmpiricalCheck, check_id)
        if row is None:  # the run's checks were re-planned meanwhile; nothing to update
            return
        for key, value in fields.items():
            setattr(row, key, value)
        s.add(row)

    transact(engine, write)


def result_fields(result: Any) -> dict[str, Any]:
    """Columns of a finished check from an ``EmpiricalResult``."""
    claimed = result.claimed.model_dump(mode="json") if result.claimed else {}
    return {
        "status": CheckStatus.DONE,
        "verdict": result.verdict,
        "reason": result.reason,
        "backend": result.backend,
        "caveats": list(result.caveats),
        "claimed": claimed,
        "measurements": result.measurements,
        "error": None,
    }


def execute_check(spec: dict, backend: str, runtime_dir: str, train_budget_s: float,
                  tolerances: tuple[float, float]) -> dict[str, Any]:
    """Run one stored spec here; the finished columns as JSON-able values."""
    from verifier.empirical import Tolerances, run_spec

    tol = Tolerances(ratio=tolerances[0], points=tolerances[1])
    result = run_spec(spec, backend=backend, runtime_dir=runtime_dir, train_budget_s=train_budget_s, tol=tol)
    return result_fields(result)


def _db_reachable(db_url: str) -> bool:
    """A SQLite file that is not on this node is not "reachable": never create a stray copy."""
    if db_url.startswith("sqlite"):
        path = db_url.split("///", 1)[-1]
        return path == ":memory:" or Path(path).is_file()
    return True


def ray_task(check_id: int, spec: dict, backend: str, runtime_dir: str, train_budget_s: float,
             tolerances: tuple[float, float], db_url: str) -> dict[str, Any]:
    """Body of the Ray task: mark the row running (when the database is reachable from this
    node), run the experiment, return the finished columns with the node and times."""
    node, started = node_name(), utcnow()
    if _db_reachable(db_url):
        try:
            _update(db_url, check_id, status=CheckStatus.RUNNING, node=node, started_at=started)
        except OperationalError:
            pass  # the driver still records the outcome; only the "running" mark is lost
    fields = execute_check(spec, backend, runtime_dir, train_budget_s, tolerances)
    return fields | {"node": node, "started_at": started.isoformat(), "finished_at": utcnow().isoformat()}


def _tolerances(settings: Settings) -> tuple[float, float]:
    return (settings.empirical.ratio_tolerance, settings.empirical.points_tolerance)


def error_text(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:2000]


def run_in_process(settings: Settings, checks: Sequence[Item], progress: Progress = quiet,
                   workers: int | None = None) -> None:
    """Run ``(check_id, spec, backend)`` items on this machine, up to ``workers`` at a time
    (default: one per core; fewer while trainings or other programs hold cores: see
    ``kernel.empirical.pool``), after the backends have started what the items need (the cpu
    backend's small models, trained side by side in the background)."""
    trainings = _prepare(settings, checks, progress)
    tasks = group_tasks(checks, trainings)
    workers = cores() if workers is None else workers
    if workers < 2 or len(tasks) < 2:  # nothing to run side by side: no worker to start
        return _run_here(settings, checks, progress)
    said = lambda message: progress("check_runs", message)  # noqa: E731
    db_url, total, done = settings.db_url, len(checks), 0
    schedule = Schedule(tasks, workers, list(dict.fromkeys(t for t in trainings.values() if t)),
                        others=OtherLoad())

    def start(task: Task) -> None:
        for check_id, _, _ in task.items:
            _update(db_url, check_id, status=CheckStatus.RUNNING, attempts=task.attempt, started_at=utcnow(),
                    finished_at=None, error=None)

    def record(task: Task, item: Item, outcome: dict) -> None:
        nonlocal done
        if "fields" in outcome:
            _update(db_url, item[0], node=outcome["node"], **parse_times(outcome), **outcome["fields"])
        elif task.attempt < MAX_ATTEMPTS:
            said(f"check {item[0]} failed ({outcome['error']}); retrying once")
            schedule.add(Task([item], attempt=task.attempt + 1))
            return
        else:
            _update(db_url, item[0], status=CheckStatus.FAILED, error=outcome["error"], finished_at=utcnow())
        done += 1
        said(f"{done}/{total} experiments")

    said(f"{len(checks)} checks in {len(tasks)} groups (one per small model, or per experiment), "
         f"up to {workers} at a time in worker processes")
    run_pool(schedule, runtime_dir=str(settings.runtime_dir), train_budget_s=settings.empirical.train_budget_s,
             tolerances=_tolerances(settings), start=start, record=record, said=said)


def _run_here(settings: Settings, checks: Sequence[Item], progress: Progress) -> None:
    """One check after another in this process (a check waits for its own training, if any)."""
    db_url = settings.db_url
    for i, (check_id, spec, backend) in enumerate(checks):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            _update(db_url, check_id, status=CheckStatus.RUNNING, node=node_name(), attempts=attempt,
                    started_at=utcnow(), finished_at=None, error=None)
            try:
                fields = execute_check(spec, backend, str(settings.runtime_dir),
                                       settings.empirical.train_budget_s, _tolerances(settings))
            except Exception as exc:  # boundary: a failed experiment becomes a recorded status
                if attempt < MAX_ATTEMPTS:
                    progress("check_runs", f"check {check_id} failed ({error_text(exc)}); retrying once")
                    continue
                _update(db_url, check_id, status=CheckStatus.FAILED, error=error_text(exc),
                        finished_at=utcnow())
            else:
                _update(db_url, check_id, finished_at=utcnow(), **fields)
            break
        progress("check_runs", f"{i + 1}/{len(checks)} experiments")


def _prepare(settings: Settings, checks: Sequence[Item], progress: Progress) -> dict[int, Any]:
    """Per check id, the background training it waits for (the backends' ``prepare``)."""
    from verifier.empirical import prepare_specs

    out: dict[int, Any] = {}
    for backend in dict.fromkeys(b for _, _, b in checks):
        mine = [(check_id, spec) for check_id, spec, b in checks if b == backend]
        try:
            waits = prepare_specs([spec for _, spec in mine], backend=backend,
                                  runtime_dir=settings.runtime_dir,
                                  train_budget_s=settings.empirical.train_budget_s,
                                  progress=lambda message: progress("check_runs", message))
        except Exception as exc:  # boundary: each check retries the work and records the error
            progress("check_runs", f"preparing the {backend} backend failed ({error_text(exc)}); "
                     "each check will try again")
            continue
        out.update({check_id: w for (check_id, _), w in zip(mine, waits) if w is not None})
    return out


def _ray_init(settings: Settings) -> None:
    import ray

    if ray.is_initialized():
        return
    address = settings.empirical.ray_address or os.environ.get("RAY_ADDRESS")
    # No address: a local Ray instance in this process's machine (what `--cluster ray` means on a
    # laptop, and what the tests use).
    ray.init(address=address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)


def run_on_ray(settings: Settings, checks: Sequence[tuple[int, dict, str]],
               progress: Progress = quiet) -> None:
    """Run the checks as Ray tasks asking for ``settings.empirical.ray_num_gpus`` GPUs each."""
    import ray

    _ray_init(settings)
    want = settings.empirical.ray_num_gpus
    have = ray.cluster_resources().get("GPU", 0.0)
    if want > have:  # the tasks would wait forever for a GPU no node offers
        message = (f"the Ray cluster offers {have:g} GPUs and each check asks for {want:g}; start "
                   "`sovereign worker --address HOST:PORT` on a GPU node, or set "
                   "SOVEREIGN_EMPIRICAL__RAY_NUM_GPUS=0 to run the checks on CPU nodes")
        for check_id, _, _ in checks:
            _update(settings.db_url, check_id, status=CheckStatus.FAILED, error=message, finished_at=utcnow())
        raise SovereignError(message)
    remote = ray.remote(ray_task).options(num_gpus=settings.empirical.ray_num_gpus, max_retries=0,
                                          name="sovereign-check")
    db_url, tol = settings.db_url, _tolerances(settings)
    runtime_dir, budget = str(settings.runtime_dir), settings.empirical.train_budget_s
    pending: dict[Any, tuple[int, dict, str, int]] = {}

    def submit(check_id: int, spec: dict, backend: str, attempt: int) -> None:
        _update(db_url, check_id, status=CheckStatus.QUEUED, attempts=attempt, error=None,
                finished_at=None)
        ref = remote.remote(check_id, spec, backend, runtime_dir, budget, tol, db_url)
        pending[ref] = (check_id, spec, backend, attempt)

    for check_id, spec, backend in checks:
        submit(check_id, spec, backend, 1)
    done = 0
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        ref = ready[0]
        check_id, spec, backend, attempt = pending.pop(ref)
        try:
            fields = ray.get(ref)
        except Exception as exc:  # boundary: a task error or a lost worker becomes a status
            if attempt < MAX_ATTEMPTS:
                progress("check_runs", f"check {check_id} failed on its node; retrying once")
                submit(check_id, spec, backend, attempt + 1)
                continue
            _update(db_url, check_id, status=CheckStatus.FAILED, error=error_text(exc), finished_at=utcnow())
        else:
            _update(db_url, check_id, **(fields | parse_times(fields)))
        done += 1
        progress("check_runs", f"{done}/{len(checks)} experiments (ray)")


def dispatch(settings: Settings, checks: Sequence[tuple[int, dict, str]], *, cluster: str | None = None,
             progress: Progress = quiet) -> None:
    """Run stored checks in-process (``cluster`` None) or on the Ray cluster (``"ray"``)."""
    if cluster is None:
        return run_in_process(settings, checks, progress)
    if cluster not in CLUSTERS:
        raise BadInput(f"unknown cluster {cluster!r}; valid: {', '.join(CLUSTERS)} (or none for in-process)")
    return run_on_ray(settings, checks, progress)
