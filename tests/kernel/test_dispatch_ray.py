"""Checks as Ray tasks on a local CPU-only cluster: results stored back once each, and a worker
killed mid-check leaves its check retried (never stuck "running")."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest

from domain.empirical import CheckStatus
from kernel.empirical.checks import plan_checks, rerun_checks
from kernel.storage import crud
from kernel.storage.db import make_engine, session_scope
from tests.kernel.empirical_fixtures import HIT_RATE, SPEEDUP, settings_for, stored_run

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def rows_of(settings, run_id):
    with session_scope(make_engine(settings.db_url)) as s:
        return crud.run_checks(s, run_id=run_id)


def test_rerun_on_ray_stores_each_check_once_with_status_done(tmp_path, local_ray):
    settings = settings_for(tmp_path)
    run_id = stored_run(settings, (HIT_RATE,))  # two claims: ExpertFlow's and LRU's hit rate
    plan_checks(settings, make_engine(settings.db_url), run_id)
    rows = rerun_checks(settings, run_id, cluster="ray")
    again = rows_of(settings, run_id)
    assert len(again) == len(rows) == 2 and len({r.claim_id for r in again}) == 2
    for r in again:
        assert r.status == CheckStatus.DONE and r.verdict in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}
        assert r.attempts == 1 and "pid" in r.node and r.started_at and r.finished_at
        assert r.measurements["comparisons"]


def test_a_worker_killed_mid_check_is_retried_and_ends_done(tmp_path, local_ray):
    settings = settings_for(tmp_path)
    slow = SPEEDUP.replace("batch size 4", "batch size 16")  # long enough to be caught running
    run_id = stored_run(settings, (slow,))
    plan_checks(settings, make_engine(settings.db_url), run_id)
    done: list = []
    driver = threading.Thread(target=lambda: done.append(rerun_checks(settings, run_id, cluster="ray")))
    driver.start()
    killed = None
    deadline = time.monotonic() + 45
    while killed is None and time.monotonic() < deadline:
        (row,) = rows_of(settings, run_id)
        if row.status == CheckStatus.RUNNING and row.node:
            killed = int(re.search(r"pid (\d+)", row.node).group(1))
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.02)
    driver.join(timeout=120)
    assert killed is not None, "the check was never seen running"
    (row,) = rows_of(settings, run_id)
    assert row.status == CheckStatus.DONE and row.attempts == 2
    assert f"pid {killed}" not in row.node  # the retry ran in another worker


def test_asking_for_a_gpu_the_cluster_lacks_fails_fast_and_says_how_to_add_one(tmp_path, local_ray):
    from kernel.errors import SovereignError

    settings = settings_for(tmp_path, ray_num_gpus=1)
    run_id = stored_run(settings, (HIT_RATE,))
    plan_checks(settings, make_engine(settings.db_url), run_id)
    with pytest.raises(SovereignError, match="sovereign worker"):
        rerun_checks(settings, run_id, cluster="ray")
    assert {r.status for r in rows_of(settings, run_id)} == {CheckStatus.FAILED}
