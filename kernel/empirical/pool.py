"""Running a run's checks on this machine, as many at once as it has cores.

Each check runs in a worker process of its own (spawned, one torch thread): the runtime's tiny
models and the simulator are Python-bound, so threads would share one core through the GIL.
The driver process alone writes the database (SQLite has one writer); a worker returns the
finished columns.

What runs when (``Schedule``):

* checks on one small model go to one worker as one task (``task_key``), so its engine is
  built once and an experiment two claims share (a sentence's two hit rates) is measured once;
* a task whose small model is still training in the background waits for that training only;
  the others (full-size simulations) run meanwhile, in the order planned;
* every training holds a core, so while ``n`` trainings run, ``workers - n`` tasks run at once
  (at least one): a check never halves a training's share of the CPU.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
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


def task_key(item: Item) -> tuple:
    """Checks with one key run as one task, one after another in one worker.

    On a backend that runs a small model (cpu, cuda), the checks of one small variant: the
    worker builds its engine once (about 6 s of link calibration) and the simulator's caches
    (routes, predictor call times) serve them all. On the simulated backend, the checks of one
    experiment (``experiment_key``), which it measures once."""
    _, spec, backend = item
    if backend != "simulated":
        return (backend, spec.get("small_preset"))
    return experiment_key(item)


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
    """One task per ``task_key``, in the order its first check was planned; ``trainings``: per
    check id, the training it waits for (absent or None: none)."""
    tasks: dict[tuple, Task] = {}
    for item in items:
        task = tasks.setdefault(task_key(item), Task([]))
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


_outcomes = None  # in a worker: the queue each check's outcome is put on as it finishes


def _worker_init(outcomes=None) -> None:
    global _outcomes
    _outcomes = outcomes
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


def run_task(items: list[Item], attempt: int, runtime_dir: str, train_budget_s: float,
             tolerances: tuple[float, float]) -> list[dict[str, Any]]:
    """In a worker: each item's outcome, ``{"check_id", "attempt", "node", "started_at",
    "finished_at"}`` with ``"fields"`` (the finished columns) or ``"error"`` (the failure's last
    line), put on the outcome queue as each finishes and returned together at the end."""
    from kernel.empirical.dispatch import error_text, execute_check, node_name
    from kernel.storage.models import utcnow

    out = []
    for check_id, spec, backend in items:
        started = utcnow()
        outcome: dict[str, Any] = {"check_id": check_id, "attempt": attempt, "node": node_name(),
                                   "started_at": started.isoformat()}
        try:
            outcome["fields"] = execute_check(spec, backend, runtime_dir, train_budget_s, tolerances)
        except Exception as exc:  # boundary: a failed experiment becomes a recorded status
            outcome["error"] = error_text(exc)
        outcome["finished_at"] = utcnow().isoformat()
        out.append(outcome)
        if _outcomes is not None:  # the driver records it now, not when the whole task ends
            _outcomes.put(outcome)
    return out


Record = Callable[[Task, Item, dict[str, Any]], None]


def run_pool(schedule: Schedule, *, runtime_dir: str, train_budget_s: float,
             tolerances: tuple[float, float], start: Callable[[Task], None], record: Record,
             said: Callable[[str], None]) -> None:
    """Run the scheduled tasks in ``schedule.workers`` worker processes. ``start(task)`` is called
    as a task is handed to a worker; ``record(task, item, outcome)`` once per check as it
    finishes, or with ``{"error": ...}`` when its worker died (the pool is then started afresh)."""
    ctx = multiprocessing.get_context("spawn")  # a forked child inherits torch's pools unusable
    outcomes = ctx.Queue()

    def new_pool() -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(schedule.workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(outcomes,))
        start_workers(pool, schedule.workers)
        return pool

    pool = new_pool()
    running: dict[Future, Task] = {}
    pending: dict[int, tuple[Task, Item]] = {}  # check id -> its task and item, until recorded
    announced: set[str] = set()
    crowded_said: float | None = None

    def settle(outcome: dict[str, Any]) -> None:
        task, item = pending.get(outcome["check_id"], (None, None))
        if task is not None and task.attempt == outcome["attempt"]:  # not a stale earlier try's
            del pending[item[0]]
            record(task, item, outcome)

    try:
        while schedule or running:
            while (task := schedule.next(len(running))) is not None:
                start(task)
                pending.update({item[0]: (task, item) for item in task.items})
                running[pool.submit(run_task, task.items, task.attempt, runtime_dir, train_budget_s,
                                    tolerances)] = task
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
            # a short timeout: finished checks come through the queue, a busy machine may calm down
            finished, _ = wait(list(running) + waiting, timeout=1.0, return_when=FIRST_COMPLETED)
            while True:
                try:
                    settle(outcomes.get_nowait())
                except queue.Empty:
                    break
            broken = None
            for future in finished:
                task = running.pop(future, None)
                if task is None:
                    continue  # a training finished: the loop hands out what waited for it
                try:
                    results = future.result()
                except BrokenProcessPool as exc:
                    broken = f"the worker process running it died ({exc})"
                    results = [{"check_id": i[0], "attempt": task.attempt, "error": broken} for i in task.items]
                for outcome in results:  # those the queue has not brought yet
                    settle(outcome)
            if broken:  # every task of a broken pool is lost with it; a fresh pool runs the rest
                for task in running.values():
                    for item in task.items:
                        settle({"check_id": item[0], "attempt": task.attempt, "error": broken})
                running.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def parse_times(outcome: dict[str, Any]) -> dict[str, datetime]:
    return {k: datetime.fromisoformat(outcome[k]) for k in ("started_at", "finished_at")}
