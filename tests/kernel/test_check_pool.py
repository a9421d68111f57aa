"""Running a run's checks side by side on this machine: what starts when, and in which process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import Future

from domain.empirical import CheckStatus
from kernel.empirical.checks import plan_checks
from kernel.empirical.cpu_load import tree_ticks
from kernel.empirical.dispatch import run_in_process
from kernel.empirical.pool import Schedule, Task, group_tasks
from kernel.storage import crud
from kernel.storage.db import make_engine, session_scope
from tests.kernel.empirical_fixtures import HIT_RATE, SPEEDUP, settings_for, stored_run
from verifier.empirical.scales import Training


def _spec(preset: str, small: str, cache: int = 2, policy: str = "expertflow", baseline: str = "lru") -> dict:
    return {"preset": preset, "small_preset": small, "cache_size": cache, "batch_size": 32,
            "hardware": "a40-pcie4", "policy": policy, "baseline_policy": baseline, "compared": []}


def test_a_check_waits_for_its_own_training_while_the_others_run_and_trainings_keep_their_cores():
    """The cpu backend: checks of one small variant form one task (one engine, built once)."""
    mixtral, qwen = Training("mixtral-tiny", Future()), Training("qwen-moe-tiny", Future())
    items = [(1, _spec("mixtral-8x7b", "mixtral-tiny"), "cpu"),
             (2, _spec("qwen1.5-moe-a2.7b", "qwen-moe-tiny"), "cpu"),
             (3, _spec("switch-base-32", "switch-tiny"), "cpu"),
             (4, _spec("switch-base-64", "switch-tiny"), "cpu")]
    schedule = Schedule(group_tasks(items, {1: mixtral, 2: qwen}), workers=2, trainings=[mixtral, qwen])

    first = schedule.next(running=0)
    assert [i[0] for i in first.items] == [3, 4]  # no training needed; one small model, one task
    assert schedule.next(running=1) is None  # two trainings on two cores: one check at a time
    assert schedule.next(running=0) is None  # the rest wait for their models

    qwen.done.set_result(None)
    assert [i[0] for i in schedule.next(running=0).items] == [2]  # qwen's check, not mixtral's
    assert schedule.next(running=1) is None  # mixtral still trains on the other core
    mixtral.done.set_result(None)
    assert [i[0] for i in schedule.next(running=1).items] == [1]  # two at a time once trained
    assert not schedule


def test_with_no_training_two_checks_are_handed_out_at_once_and_a_retry_goes_first():
    items = [(i, _spec("switch-base-32", "switch-tiny", cache=c), "simulated") for i, c in ((1, 4), (2, 8), (3, 16))]
    schedule = Schedule(group_tasks(items, {}), workers=2, trainings=[])
    assert schedule.next(running=0) is not None and schedule.next(running=1) is not None
    assert schedule.next(running=2) is None
    schedule.add(Task([items[0]], attempt=2))
    assert schedule.next(running=1).attempt == 2


def test_a_second_check_waits_while_other_programs_keep_the_cores_busy():
    items = [(i, _spec("switch-base-32", "switch-tiny", cache=c), "simulated") for i, c in ((1, 4), (2, 8))]
    others = [1.8]
    schedule = Schedule(group_tasks(items, {}), workers=2, trainings=[], others=lambda: others[0],
                        machine_cores=2)
    assert schedule.next(running=0) is not None  # the first always starts
    assert schedule.next(running=1) is None and schedule.held_back == 1.8
    others[0] = 0.2  # the other programs went quiet: a core is free for the second
    assert schedule.next(running=1) is not None and schedule.held_back is None


def test_the_cpu_time_of_this_process_tree_is_told_apart_from_other_programs():
    child = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 1.5: pass"])
    try:
        time.sleep(1.2)
        ours = tree_ticks(os.getpid())
    finally:
        child.wait()
    assert child.pid in ours and ours[child.pid] > 0  # a busy child counts as this tree's work
    assert 1 not in ours  # init is no descendant


def test_checks_that_share_one_experiment_run_in_one_task(tmp_path):
    """The two hit rates of one sentence are one experiment: one worker measures it once."""
    settings = settings_for(tmp_path)
    run_id = stored_run(settings, (HIT_RATE, SPEEDUP))
    items = plan_checks(settings, make_engine(settings.db_url), run_id)
    tasks = group_tasks(items, {})
    assert len(items) == 3 and [len(t.items) for t in tasks] == [2, 1]
    assert {i[1]["policy"] for i in tasks[0].items} == {"expertflow", "lru"}


def test_checks_run_in_worker_processes_and_the_driver_writes_their_rows(tmp_path):
    settings = settings_for(tmp_path)
    run_id = stored_run(settings, (HIT_RATE, SPEEDUP))
    said: list[str] = []
    items = plan_checks(settings, make_engine(settings.db_url), run_id)
    run_in_process(settings, items, progress=lambda stage, message: said.append(message), workers=2)
    with session_scope(make_engine(settings.db_url)) as s:
        rows = crud.run_checks(s, run_id=run_id)
    assert len(rows) == 3 and all(r.status == CheckStatus.DONE and r.verdict and r.attempts == 1 for r in rows)
    pids = {r.node.rsplit("pid ", 1)[1].rstrip(")") for r in rows}
    assert str(os.getpid()) not in pids  # measured in workers, not in this process
    hit_rates = [r for r in rows if r.claimed.get("quantity") == "hit_rate"]
    assert len({r.node for r in hit_rates}) == 1  # one experiment, one worker
    assert said[0].startswith("3 checks in 2 groups") and "up to 2 at a time in worker processes" in said[0]
    assert said[-2:] == ["2/3 experiments", "3/3 experiments"]  # each check said as it finishes
