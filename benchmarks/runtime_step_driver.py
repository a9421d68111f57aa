"""The figures the runtime's step driver must not move: deterministic counters of the emulated
engine (plain and grouped decoding) and of the simulator, through the user's commands.

    SOVEREIGN_HOME=DIR .venv/bin/python benchmarks/runtime_step_driver.py > out.json
    .venv/bin/python benchmarks/runtime_step_driver.py --compare before.json after.json

Runs ``sovereign runtime bench`` on mixtral-tiny (grouped decoding, 2 micro-batches) and on
switch-tiny (the plain engine), and ``sovereign runtime simulate --policy-time none`` (a
deterministic clock) on Mixtral-8x7B and Switch-128, and prints one JSON document holding every
run's full output. ``--compare`` prints, per run and policy, the counters that differ: hits,
misses, copies, wasted prefetches, peak slots, bytes and tokens identical to all-resident for the
emulated runs (their wall-clock figures are noisy and not compared), and every figure of the
simulated runs except the timing of this machine's own predictor call. Exit status 1 when one
differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "sovereign")
EMULATED = ["all-resident", "on-demand", "static", "lru", "lru-global", "lfu", "lfru", "se-moe",
            "pregated", "belady", "expertflow", "expertflow-oracle"]
RUNS = {
    "bench_mixtral_tiny": ["runtime", "bench", "--preset", "mixtral-tiny", "--policies",
                           ",".join(EMULATED)],
    "bench_switch_tiny": ["runtime", "bench", "--preset", "switch-tiny", "--policies",
                          ",".join(p for p in EMULATED if p != "expertflow")],
    "simulate_mixtral_8x7b": ["runtime", "simulate", "--preset", "mixtral-8x7b"],
    "simulate_switch_128": ["runtime", "simulate", "--preset", "switch-base-128", "--budget", "16",
                            "--groups", "1"],
}
COMMON = {"bench": ["--budget", "2", "--batch", "16", "--link", "emulated:a40-pcie4",
                    "--new-tokens", "16", "--repeats", "1", "--json"],
          "simulate": ["--policy-time", "none", "--json"]}
EMULATED_KEYS = ["hits", "misses", "experts_loaded", "wasted_prefetches", "peak_slots",
                 "bytes_moved", "steps", "regroups", "identical_to_all_resident"]
SIM_SKIP = {"planning_s_per_step", "decode_planning_s_per_step", "predictor_s_per_step",
            "scheduler_s_per_step"}


def run_all() -> dict:
    doc = {}
    for name, args in RUNS.items():
        cmd = [CLI, *args, *COMMON[args[1]]]
        print(" ".join(cmd[1:]), file=sys.stderr, flush=True)
        env = os.environ | {"PYTHONPATH": str(ROOT)}  # the tree as it is, whatever is installed
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        doc[name] = {"command": "sovereign " + " ".join(cmd[1:]), **json.loads(out)}
    return doc


def differences(before: dict, after: dict) -> list[str]:
    out = []
    for name in RUNS:
        a = {r["policy"]: r for r in before[name]["results"]}
        b = {r["policy"]: r for r in after[name]["results"]}
        if set(a) != set(b):
            out.append(f"{name}: policies {sorted(a)} != {sorted(b)}")
        for policy in sorted(set(a) & set(b)):
            keys = (EMULATED_KEYS if name.startswith("bench")
                    else [k for k in a[policy] if k not in SIM_SKIP])
            for k in keys:
                if a[policy].get(k) != b[policy].get(k):
                    out.append(f"{name} {policy} {k}: {a[policy].get(k)} -> {b[policy].get(k)}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        diffs = differences(before, after)
        compared = sum(len(before[n]["results"]) for n in RUNS)
        print(json.dumps({"policy_runs_compared": compared, "differences": diffs}, indent=1))
        sys.exit(1 if diffs else 0)
    print(json.dumps(run_all(), default=float))


if __name__ == "__main__":
    main()
