"""Time the empirical stage (check_runs) on the ExpertFlow paper's ten headline claims.

    .venv/bin/python benchmarks/empirical_stage.py [--backend cpu] [--home DIR] [--claims N]
        [--train-budget-s S]

The claims are stored as one run (in a throw-away database) and run through
`kernel.empirical.checks.run_empirical`, exactly as `sovereign ask` does. Trained tiny models are kept under
DIR/runtime (default: SOVEREIGN_HOME or ~/.sovereign), so the first call pays for training
("cold") and later calls do not ("warm"); the JSON says which it was. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# ExpertFlow (arXiv 2410.17954), as its paper states them: one A40, PCIe 4.0.
CLAIMS = (
    "ExpertFlow achieves 1.99× higher throughput than Cache-MoE on Mixtral-8×7B.",
    "ExpertFlow reaches an expert hit rate of 85.91% versus 58.37% for LRU on Switch-32 "
    "with cache size 16 and batch size 16.",
    "ExpertFlow reduces GPU memory by up to 93.72% on Mixtral-8x7B.",
    "ExpertFlow reduces peak GPU memory of Qwen1.5-MoE from 35.21 GB to 6.52 GB.",
    "ExpertFlow achieves 2.12× higher throughput than Cache-MoE on Qwen1.5-MoE.",
    "ExpertFlow is 2.01× faster than SE-MoE on Switch-32 with cache size 16 and batch size 32.",
    "ExpertFlow is 3.19× faster than SE-MoE on Switch-64 with cache size 16 and batch size 32.",
    "ExpertFlow is 5.86× faster than SE-MoE on Switch-128 with cache size 16 and batch size 32.",
    "ExpertFlow is 9.99× faster than SE-MoE on Switch-128 with cache size 4 and batch size 32.",
    "ExpertFlow achieves 1.94× higher throughput than Cache-MoE on DeepSeek-MoE.",
)


def _cpu_seconds() -> dict[str, float]:
    """User + system CPU seconds of this process and of its finished children (the trainings)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"this_process": own.ru_utime + own.ru_stime, "children": kids.ru_utime + kids.ru_stime}


def _span(row, wall0: float) -> list[float] | None:
    if not (row.started_at and row.finished_at):
        return None
    return [round(_epoch(row.started_at) - wall0, 1), round(_epoch(row.finished_at) - wall0, 1)]


def _epoch(moment) -> float:
    """Seconds since the epoch of a stored UTC time (SQLite gives it back without its zone)."""
    from datetime import timezone

    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _last_written(model_dir: Path) -> float:
    """When a trained model was complete: its newest file (the predictor is written last)."""
    return max(f.stat().st_mtime for f in model_dir.rglob("*") if f.is_file())


def trained_presets(runtime_dir: Path) -> list[str]:
    return sorted(p.name for p in runtime_dir.glob("*") if (p / "config.json").is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="cpu", choices=("cpu", "simulated", "cuda"))
    ap.add_argument("--home", type=Path, default=None, help="data home holding runtime/ (trained models)")
    ap.add_argument("--claims", type=int, default=len(CLAIMS), help="how many of the ten claims")
    ap.add_argument("--train-budget-s", type=float, default=None,
                    help="seconds each small model trains (default: settings empirical.train_budget_s)")
    args = ap.parse_args()

    from kernel.empirical.checks import run_empirical
    from kernel.settings import Settings, default_home
    from kernel.storage import crud
    from kernel.storage.db import make_engine, session_scope
    from kernel.storage.models import Claim, Paper, Passage, Run
    from verifier.extract import extract_claims

    home = args.home or default_home()
    db = Path(tempfile.mkdtemp(prefix="empirical-bench-")) / "bench.sqlite"
    empirical = {"backend": args.backend}
    if args.train_budget_s is not None:
        empirical["train_budget_s"] = args.train_budget_s
    settings = Settings(home=home, database_url=f"sqlite:///{db}", empirical=empirical)
    settings.ensure_home()
    before = trained_presets(settings.runtime_dir)
    engine = make_engine(settings.db_url)
    sentences = CLAIMS[: args.claims]
    with session_scope(engine) as s:
        run = Run(question="How fast is ExpertFlow?")
        s.add(run)
        s.add(Paper(id="2410.17954", title="ExpertFlow"))
        s.flush()
        passage = Passage(paper_id="2410.17954", text=" ".join(sentences), kind="fulltext")
        s.add(passage)
        s.flush()
        for ordinal, c in enumerate(extract_claims(passage.text)):
            s.add(Claim(run_id=run.id, paper_id=passage.paper_id, passage_id=passage.id, ordinal=ordinal,
                        **c.model_dump()))
        run_id = run.id
    load_before = list(os.getloadavg())  # the machine is shared: say how busy it was
    cpu_before = _cpu_seconds()
    wall0 = time.time()
    t0 = time.perf_counter()
    summary = run_empirical(settings, run_id, progress=lambda st, m: print(f"{st}: {m}", file=sys.stderr))
    total = time.perf_counter() - t0
    cpu_after = _cpu_seconds()
    with session_scope(engine) as s:
        rows = crud.run_checks(s, run_id=run_id)
        texts = {c.id: c.text for c in crud.run_claims(s, run_id=run_id)}
    checks = [{
        "claim": texts[r.claim_id], "status": r.status, "verdict": r.verdict,
        "claimed": r.claimed.get("value"), "measured": r.measurements.get("measured"),
        "interval": r.measurements.get("interval"), "repeats": r.measurements.get("repeats"),
        "unit": r.claimed.get("unit"), "backend": r.backend,
        "rests_on": r.measurements.get("rests_on"), "scales_agree": r.measurements.get("agree"),
        "scales": {s["name"]: {"verdict": s["verdict"], "preset": (s.get("scale") or {}).get("preset"),
                               "median": (s.get("measured") or {}).get("median")}
                   for s in r.measurements.get("scales", [])},
        "elapsed_s": r.measurements.get("elapsed_s"), "error": r.error,
        # when it ran, in seconds from the stage's start, and where (a worker's pid)
        "ran_s": _span(r, wall0), "node": r.node,
    } for r in rows]
    trained_now = sorted(set(trained_presets(settings.runtime_dir)) - set(before))
    trained_at = {p: round(_last_written(settings.runtime_dir / p) - wall0, 1) for p in trained_now}
    doc = {
        "backend": args.backend, "claims": len(sentences), "testable": summary.planned,
        "stage_seconds": round(total, 1),
        # CPU time is what a busy machine does not inflate (much): this process's measurements and
        # the training processes' work, apart
        "cpu_seconds": {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after},
        "cold": bool(trained_now), "trained_during_run": trained_now,
        "train_budget_s": settings.empirical.train_budget_s,
        # the critical path of a cold stage: the trainings (in the background, beside the checks
        # that need no trained model), then the checks that wait for them
        "trained_at_s": trained_at,
        "after_training_s": round(total - max(trained_at.values()), 1) if trained_at else None,
        "verdicts": summary.verdicts,
        "failed": summary.failed, "load_average_before_after": [load_before, list(os.getloadavg())],
        "checks": checks,
    }
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
