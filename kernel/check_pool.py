"""Running a run's checks on this machine, as many at once as it has cores.

Each check runs in a worker process of its own (spawned, one torch thread): the runtime's tiny
models and the simulator are Python-bound, so threads would share one core through the GIL.
The driver process alone writes the database (SQLite has one writer); a worker returns the
finished columns.

What runs when (``Schedule``):

* checks that share one experiment (same scales and policies: a sentence's two hit rates) go
  to one worker as one task, so the backend measures the experiment once and reuses it;
* a task whose small model is still training in the background waits for that training only;
  the others (full-size simulations) run meanwhile, in the order planned;
* every training holds a core, so while ``n`` trainings run, ``workers - n`` tasks run at once
  (at least one): a check never halves a training's share of the CPU.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Item = tuple[int, dict, str]  # (check id, stored spec, backend)
SPARE_CORE = 0.5  # idle cores a second task needs before it starts beside the first


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def experiment_key(item: Item) -> tuple:
    """What the backend's measurement is memoised on, from the stored spec: the scales
    (model, small variant, cache, batch, hardware) and the policies run there."""
    _, spec, backend = item
    policies = {spec.get("policy"), spec.get("baseline_policy"), *spec.get("compared", [])} - {None}
    where = tuple(spec.get(k) for k in ("preset", "small_preset", "cache_size", "batch_size", "hardware"))
    return (backend, *where, tuple(sorted(policies)))


@dataclass
class Task:
    """Checks run one after another in one worker; ``waits_for`` the trainings they need."""

    items: list[Item]
    waits_for: list[Any] = field(default_factory=list)  # Training (preset, done future)
    attempt: int = 1

    def ready(self) -> bool:
        return all(t.done.done() for t in self.waits_for)


def group_tasks(items: Sequence[Item], trainings: dict[int, Any]) -> list[Task]:
    """One task per experiment, in the order its first check was planned; ``trainings``: per
    check id, the training it waits for (absent or None: none)."""
    tasks: dict[tuple, Task] = {}
    for item in items:
        task = tasks.setdefault(experiment_key(item), Task([]))
        task.items.append(item)
        wanted = trainings.get(item[0])
        if wanted is not None and all(t is not wanted for t in task.waits_for):
            task.waits_for.append(wanted)
    return list(tasks.values())


class Schedule:
    """Which task starts next: the first ready one in order, while fewer than the limit run.

    ``others`` (optional) says how many cores other programs keep busy: a task beyond the first
    starts only when that leaves it a core (``SPARE_CORE``), so that on a shared machine the
    checks do not time each other's contention. Trainings and running tasks take a core each.
    """

    def __init__(self, tasks: list[Task], workers: int, trainings: Sequence[Any],
                 others: Callable[[], float] | None = None, machine_cores: int | None = None) -> None:
        self.queue = list(tasks)
        self.workers = workers
        self.trainings = list(trainings)
        self.others = others
        self.machine_cores = machine_cores or cores()
        self.held_back: float | None = None  # others' cores when a ready task last had to wait

    def training(self) -> list[Any]:
        return [t for t in self.trainings if not t.done.done()]

    def limit(self) -> int:
        return max(1, self.workers - len(self.training()))

    def crowded(self, running: int) -> bool:
        """Whether one more task would share a core, with what the machine runs now."""
        if not running or self.others is None:
            return False
        busy = self.others()
        if self.machine_cores - busy - len(self.training()) - running >= SPARE_CORE:
            self.held_back = None
            return False
        self.held_back = busy
        return True

    def next(self, running: int) -> Task | None:
        if running >= self.limit():
            return None
        for task in self.queue:
            if task.ready():
                if self.crowded(running):
                    return None
                self.queue.remove(task)
                return task
        return None

    def add(self, task: Task) -> None:
        self.queue.insert(0, task)  # a retry goes first: its experiment is half-way known

    def __bool__(self) -> bool:
        return bool(self.queue)


def _worker_init() -> None:
    import torch

    torch.set_num_threads(1)  # one core per worker: two workers fill two cores, no more
    # What every check imports, loaded while the first checks or the trainings run
    import expertflow_runtime.engine  # noqa: F401
    import expertflow_runtime.simulator.core  # noqa: F401
    import verifier.empirical.backends  # noqa: F401


def _started() -> int:
    return os.getpid()


def start_workers(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start all ``workers`` processes now: the pool spawns one only when a call finds no idle
    worker, so a second worker would otherwise start (and import torch) just when the first two
    trained checks are handed out, on the critical path."""
    for _ in range(workers):
        pool.submit(_started)


def run_task(items: list[Item], runtime_dir: str, train_budget_s: float,
             tolerances: tuple[float, float]) -> list[dict[str, Any]]:
    """In a worker: each item's outcome, ``{"check_id", "node", "started_at", "finished_at"}``
    with ``"fields"`` (the finished columns) or ``"error"`` (the failure's last line)."""
    from kernel.dispatch import error_text, execute_check, node_name
    from kernel.models import utcnow

    out = []
    for check_id, spec, backend in items:
        started = utcnow()
        outcome: dict[str, Any] = {"check_id": check_id, "node": node_name(), "started_at": started.isoformat()}
        try:
            outcome["fields"] = execute_check(spec, backend, runtime_dir, train_budget_s, tolerances)
        except Exception as exc:  # boundary: a failed experiment becomes a recorded status
            outcome["error"] = error_text(exc)
        outcome["finished_at"] = utcnow().isoformat()
        out.append(outcome)
    return out


Record = Callable[[Task, list[dict[str, Any]] | None, str | None], None]


def run_pool(schedule: Schedule, *, runtime_dir: str, train_budget_s: float,
             tolerances: tuple[float, float], start: Callable[[Task], None], record: Record,
             said: Callable[[str], None]) -> None:
    """Run the scheduled tasks in ``schedule.workers`` worker processes. ``start(task)`` is called
    as a task is handed to a worker; ``record(task, outcomes, None)`` when it comes back, or
    ``record(task, None, error)`` when its worker died (the pool is then started afresh)."""
    ctx = multiprocessing.get_context("spawn")  # a forked child inherits torch's pools unusable
    pool = ProcessPoolExecutor(schedule.workers, mp_context=ctx, initializer=_worker_init)
    start_workers(pool, schedule.workers)
    running: dict[Future, Task] = {}
    announced: set[str] = set()
    crowded_said: float | None = None
    try:
        while schedule or running:
            while (task := schedule.next(len(running))) is not None:
                start(task)
                running[pool.submit(run_task, task.items, runtime_dir, train_budget_s, tolerances)] = task
            for t in schedule.trainings:
                if t.done.done() and t.preset not in announced:
                    announced.add(t.preset)
                    said(f"{t.preset} trained" if t.done.exception() is None else
                         f"training {t.preset} failed; its checks will try again")
            if (schedule.held_back is None) != (crowded_said is None):
                crowded_said = schedule.held_back
                said("a core is free again: checks run side by side" if crowded_said is None else
                     f"other programs keep about {crowded_said:.1f} of {schedule.machine_cores} cores "
                     "busy: checks run one at a time until a core is free")
            waiting = [t.done for t in schedule.training()]
            if not running and not waiting:
                raise RuntimeError("checks left that wait for no training, yet none can start")
            # held back for a busy machine: look again in a moment
            timeout = 2.0 if schedule.held_back is not None else None
            finished, _ = wait(list(running) + waiting, timeout=timeout, return_when=FIRST_COMPLETED)
            broken = None
            for future in finished:
                task = running.pop(future, None)
                if task is None:
                    continue  # a training finished: the loop hands out what waited for it
                try:
                    record(task, future.result(), None)
                except BrokenProcessPool as exc:
                    broken = f"the worker process running it died ({exc})"
                    record(task, None, broken)
            if broken:  # every task of a broken pool is lost with it; a fresh pool runs the rest
                for task in running.values():
                    record(task, None, broken)
                running.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(schedule.workers, mp_context=ctx, initializer=_worker_init)
                start_workers(pool, schedule.workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def parse_times(outcome: dict[str, Any]) -> dict[str, datetime]:
    return {k: datetime.fromisoformat(outcome[k]) for k in ("started_at", "finished_at")}
