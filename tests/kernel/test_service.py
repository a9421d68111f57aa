"""The pipeline end to end through the `sovereign` command, as a user runs it: bad questions,
offline without sources, a report with every section, a kill and a resume, two runs at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import func, select

from kernel.storage.db import make_engine, session_scope
from kernel.storage.models import Claim, Decision, EmpiricalCheck, Passage, Run, RunPaper, TextCheck
from tests.shared import need_shared_corpus

QUESTION = "How does ExpertFlow's predictive expert caching compare to LRU expert caches for MoE inference?"
SECTIONS = ("Abstract", "Introduction", "Methodology", "Results", "Uncertainties", "Claims", "References")


def sovereign(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOVEREIGN_")}
    env["SOVEREIGN_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "kernel.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def start(home: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOVEREIGN_")}
    env["SOVEREIGN_HOME"] = str(home)
    return subprocess.Popen(
        [sys.executable, "-m", "kernel.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def corpus_args() -> list[str]:
    corpus = need_shared_corpus()
    return [a for f in sorted(corpus.glob("*.jsonl")) for a in ("--corpus", str(f))]


def engine_for(home: Path):
    return make_engine(f"sqlite:///{home / 'sovereign.sqlite'}")


def count(engine, table) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


@pytest.mark.parametrize("question", ["", "   ", "x" * 100_000])
def test_a_bad_question_exits_2_with_one_line_and_writes_nothing(tmp_path, question):
    done = sovereign(tmp_path, "ask", question, "--offline")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "question" in lines[0], done.stderr
    db = tmp_path / "sovereign.sqlite"
    assert not db.exists() or count(engine_for(tmp_path), Run) == 0


def test_offline_with_nothing_to_search_says_how_to_give_a_corpus(tmp_path):
    done = sovereign(tmp_path, "ask", QUESTION, "--offline")
    assert done.returncode == 2
    assert "--corpus" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert count(engine_for(tmp_path), Run) == 0


def test_a_missing_corpus_file_is_bad_input(tmp_path):
    done = sovereign(tmp_path, "ask", QUESTION, "--offline", "--corpus", str(tmp_path / "nope.jsonl"))
    assert done.returncode == 2 and "nope.jsonl" in done.stderr


@pytest.mark.slow
def test_offline_question_becomes_a_report_with_every_section_and_a_json_document(tmp_path):
    done = sovereign(tmp_path, "ask", QUESTION, "--offline", *corpus_args(), "--no-empirical", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    report = Path(summary["report"])
    text = report.read_text()
    for section in SECTIONS:
        assert f"## {section}" in text or f"# {section}" in text, f"report lacks {section}"
    assert summary["status"] in ("waiting_owner", "ready", "rejected")

    shown = sovereign(tmp_path, "show", summary["run_id"], "--format", "json")
    doc = json.loads(shown.stdout)
    assert doc["run"]["id"] == summary["run_id"]
    assert doc["papers"] and doc["claims"]
    assert all("text_check" in c for c in doc["claims"])
    assert doc["reviews"] and {r["role"] for r in doc["reviews"]} == {"skeptic", "validator", "synthesizer"}
    assert "decision_status" in doc
    # The Answer: one entry per facet of the question, each with its rows or a gap and its reason.
    assert [a["facet_id"] for a in doc["answer"]] == [f["id"] for f in doc["facets"]] and doc["facets"]
    for a in doc["answer"]:
        assert (a["status"] != "gap" and (a["claim_ids"] or a["check_ids"])) or a["gap"], a
    assert text.index("## Answer") < text.index("## Abstract")

    if summary["status"] == "waiting_owner":
        decided = sovereign(tmp_path, "review", summary["run_id"], "--approve", "--comment", "fine", "--json")
        assert decided.returncode == 0, decided.stderr[-2000:]
        assert json.loads(decided.stdout)["status"] == "approved"
        with session_scope(engine_for(tmp_path)) as s:
            decision = s.exec(select(Decision)).one()
        assert (decision.action, decision.comment) == ("approve", "fine")


def _wait_for_stage(engine, stages: tuple[str, ...], proc: subprocess.Popen, limit: float = 300) -> str:
    deadline = time.time() + limit
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run ended before reaching {stages}: {proc.stderr.read()[-2000:]}")
        try:
            with session_scope(engine) as s:
                run = s.exec(select(Run)).first()
            if run is not None and run.stage in stages:
                return run.id
        except Exception:  # the database may not exist yet
            pass
        time.sleep(0.05)
    pytest.fail(f"no stage of {stages} within {limit}s")


@pytest.mark.slow
def test_a_run_killed_mid_stage_finishes_with_resume_and_nothing_duplicated(tmp_path):
    proc = start(tmp_path, "ask", QUESTION, "--offline", *corpus_args(), "--no-empirical")
    engine = engine_for(tmp_path)
    run_id = _wait_for_stage(engine, ("check_text",), proc)
    time.sleep(0.5)  # into the stage: claims are stored, checks are being made
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    done = sovereign(tmp_path, "resume", run_id, "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["status"] in ("waiting_owner", "ready", "rejected")
    assert count(engine, Run) == 1
    with session_scope(engine) as s:
        claims = s.exec(select(Claim)).all()
        pairs = s.exec(select(RunPaper.paper_id)).all()
        checks = s.exec(select(TextCheck.claim_id)).all()
        passages = s.exec(select(Passage.paper_id, Passage.kind, Passage.start)).all()
    assert claims and len(pairs) == len(set(pairs))
    assert len({(c.passage_id, c.ordinal) for c in claims}) == len(claims)
    assert sorted(checks) == sorted(c.id for c in claims)
    assert len(set(passages)) == len(passages)
    assert count(engine, EmpiricalCheck) == 0  # --no-empirical survived the resume


@pytest.mark.slow
def test_two_runs_at_once_on_the_default_sqlite_both_finish(tmp_path):
    first = sovereign(tmp_path, "corpus", "import", *[a for a in corpus_args() if a != "--corpus"])
    assert first.returncode == 0, first.stderr[-2000:]
    procs = [
        start(tmp_path, "ask", QUESTION, "--offline", "--no-empirical", "--json"),
        start(tmp_path, "ask", "Which systems prefetch experts for Mixtral-8x7B offloading?", "--offline",
              "--no-empirical", "--json"),
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, errs) in zip(procs, outs):
        assert p.returncode == 0, errs[-3000:]
    ids = [json.loads(out)["run_id"] for out, _ in outs]
    engine = engine_for(tmp_path)
    with session_scope(engine) as s:
        for run_id in ids:
            run = s.get(Run, run_id)
            assert run.status in ("waiting_owner", "ready", "rejected")
            assert s.exec(select(func.count()).select_from(RunPaper).where(RunPaper.run_id == run_id)).one() > 0
            assert s.exec(select(func.count()).select_from(Claim).where(Claim.run_id == run_id)).one() > 0
