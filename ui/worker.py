"""Background workers: a run (or a re-run of its checks) in its own detached process.

The page that starts a job never runs it: closing the tab, reloading, or restarting the app
leaves the job running, and the page finds it again through the Run row (status, stage) and the
job's pid file. A job is `python -m ui.worker run RUN` (continue the run from its checkpoint —
a fresh run starts at `plan`) or `python -m ui.worker checks RUN [--cluster ray]`.

Files, in `settings.runtime_dir / "workers"`: `<job>-<run>.pid` (the process id) and
`<job>-<run>.log` (its output, progress lines included).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from kernel.errors import BadInput
from kernel.settings import Settings

JOBS = ("run", "checks")
CLUSTERS = ("local", "ray")
REPO = Path(__file__).resolve().parents[1]

# Children started by this process: polled so that a finished one is reaped, not left a zombie
# that would look alive to `os.kill(pid, 0)`.
_children: dict[int, subprocess.Popen] = {}


def _files(settings: Settings, job: str, run_id: str) -> tuple[Path, Path]:
    if job not in JOBS:
        raise BadInput(f"unknown job {job!r}; valid: {', '.join(JOBS)}")
    d = settings.runtime_dir / "workers"
    d.mkdir(parents=True, exist_ok=True)
    return d / f"{job}-{run_id}.pid", d / f"{job}-{run_id}.log"


def log_path(settings: Settings, job: str, run_id: str) -> Path:
    return _files(settings, job, run_id)[1]


def _pid_alive(pid: int, run_id: str) -> bool:
    child = _children.get(pid)
    if child is not None:
        # Ours: Popen knows (and reaps it). /proc would show our own command line until exec.
        if child.poll() is None:
            return True
        _children.pop(pid, None)
        return False
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
        # A zombie, or a recycled pid now running something else, is not our worker.
        return stat.rsplit(")", 1)[-1].split()[0] != "Z" and "ui.worker" in cmdline and run_id in cmdline
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def is_alive(settings: Settings, job: str, run_id: str) -> bool:
    """Whether a worker for (`job`, `run_id`) is running now (from any app process)."""
    pid_file, _ = _files(settings, job, run_id)
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    return _pid_alive(pid, run_id)


def start(settings: Settings, job: str, run_id: str, *, cluster: str = "local") -> int:
    """Start a detached worker for `job` on `run_id` unless one is running; its pid."""
    if cluster not in CLUSTERS:
        raise BadInput(f"unknown cluster {cluster!r}; valid: {', '.join(CLUSTERS)}")
    pid_file, log_file = _files(settings, job, run_id)
    if is_alive(settings, job, run_id):
        return int(pid_file.read_text().strip())
    cmd = [sys.executable, "-m", "ui.worker", job, run_id]
    if job == "checks":
        cmd += ["--cluster", cluster]
    env = dict(os.environ)
    env["SOVEREIGN_HOME"] = str(settings.home)
    if settings.database_url:
        env["SOVEREIGN_DATABASE_URL"] = settings.database_url
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    with open(log_file, "ab") as log:
        child = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: a signal to the app does not reach it
            close_fds=True,
        )
    _children[child.pid] = child
    pid_file.write_text(str(child.pid))
    return child.pid


def log_tail(settings: Settings, job: str, run_id: str, lines: int = 15) -> str:
    path = log_path(settings, job, run_id)
    if not path.is_file():
        return ""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 16_384))
        text = fh.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _say(*parts: object) -> None:
    print(" ".join(str(p) for p in parts), flush=True)


def _known(run_id: str) -> None:
    """RunNotFound for an unknown id, before the heavy imports of the pipeline."""
    from kernel.storage import crud
    from kernel.storage.db import make_engine, session_scope

    with session_scope(make_engine(Settings().db_url)) as s:
        crud.get_run(s, run_id=run_id)


def _run(run_id: str) -> int:
    _known(run_id)
    from kernel.service import Service

    run = Service(Settings(), progress=lambda stage, msg: _say(f"{stage:>10}", msg)).resume(run_id)
    _say(f"run {run.id}: {run.status}")
    return 0


def _checks(run_id: str, cluster: str) -> int:
    _known(run_id)
    from kernel.empirical.checks import rerun_checks

    rows = rerun_checks(Settings(), run_id, cluster=None if cluster == "local" else cluster, progress=_say)
    verdicts = ", ".join(sorted(f"{r.id}: {r.verdict or r.status}" for r in rows))
    _say(f"checks of run {run_id} done ({verdicts})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.worker", description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=JOBS)
    parser.add_argument("run_id")
    parser.add_argument("--cluster", choices=CLUSTERS, default="local")
    args = parser.parse_args(argv)
    _say(f"worker {os.getpid()}: {args.job} {args.run_id}")
    try:
        return _run(args.run_id) if args.job == "run" else _checks(args.run_id, args.cluster)
    except Exception as exc:  # boundary: the failure is in the log and (for a run) on the Run row
        _say(f"error: {type(exc).__name__}: {exc}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
