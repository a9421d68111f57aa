"""Background workers: detached from the page, found again by any process, logs kept."""

from __future__ import annotations

import os
import time

import pytest

from kernel.settings import Settings
from ui import worker


def wait_dead(settings, job, run_id, limit=60.0) -> None:
    deadline = time.time() + limit
    while worker.is_alive(settings, job, run_id):
        if time.time() > deadline:
            pytest.fail(f"worker {job} {run_id} still alive after {limit}s")
        time.sleep(0.1)


def test_a_worker_for_an_unknown_run_ends_and_says_why_in_its_log(sovereign_home):
    settings = Settings()
    settings.ensure_home()
    pid = worker.start(settings, "run", "nosuchrun01")
    assert pid > 0
    wait_dead(settings, "run", "nosuchrun01")
    tail = worker.log_tail(settings, "run", "nosuchrun01")
    assert "nosuchrun01" in tail and "error" in tail.lower()


def test_a_worker_runs_in_its_own_session_away_from_the_app(sovereign_home):
    """Ctrl-C on the app (a signal to its process group) or the app exiting must not take the
    run with it: the worker leads a session of its own."""
    settings = Settings()
    settings.ensure_home()
    pid = worker.start(settings, "run", "sessionrun01")
    assert os.getsid(pid) == pid != os.getsid(0)
    assert worker.start(settings, "run", "sessionrun01") == pid or not worker.is_alive(settings, "run", "sessionrun01")
    wait_dead(settings, "run", "sessionrun01")  # an unknown run: it ends at once


def test_unknown_job_and_cluster_are_refused_with_the_valid_ones(sovereign_home):
    settings = Settings()
    with pytest.raises(Exception, match="valid: run, checks"):
        worker.start(settings, "bake", "r1")
    with pytest.raises(Exception, match="valid: local, ray"):
        worker.start(settings, "checks", "r1", cluster="slurm")
