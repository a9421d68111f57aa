"""The simulator against emulated runs, every policy, on mixtral-tiny and switch-tiny: one table.

    SOVEREIGN_HOME=DIR .venv/bin/python benchmarks/simulator_calibration.py [--repeats 5]

DIR must hold a trained mixtral-tiny (``sovereign runtime train --preset mixtral-tiny``; the
routing-path predictor is trained on first use). Runs ``expertflow_bench.py --skip-full`` and
``expertflow_bench.py --switch-only`` one after the other, and prints one JSON document: both
calibrations, the load average before and after each, and ``table``, a Markdown table of
simulated over emulated tokens/s per policy. Emulated: the median over rounds of each
policy's time over all-resident's in the same round, times all-resident's median. Fitted-on
rows are marked: the cost model's compute comes from all-resident, its host time per copy
issued and per blocking wait from on-demand and se-moe; every other row is a prediction.
Progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "expertflow_bench.py"


def run_bench(flag: str, repeats: int) -> dict:
    before = os.getloadavg()
    out = subprocess.run([sys.executable, str(BENCH), flag, "--repeats", str(repeats)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    doc = json.loads(out)
    doc = doc.get("switch_calibration", doc)
    return {"load_before": before, "load_after": os.getloadavg(), "cost_model": doc.get(
        "cost_model", doc.get("calibration_cost_model")), "calibration": doc["calibration"]}


def table(runs: dict[str, dict]) -> str:
    lines = ["| preset | policy | emulated tok/s | simulated tok/s | error | role |",
             "|---|---|---|---|---|---|"]
    for preset, run in runs.items():
        for row in run["calibration"]:
            role = "fitted on" if row["fitted_on"] else "predicted"
            lines.append(f"| {preset} | {row['policy']} | {row['emulated_tokens_per_s']:.1f} | "
                         f"{row['simulated_tokens_per_s']:.1f} | {100 * row['error']:+.1f} % | "
                         f"{role} |")
        judged = [r for r in run["calibration"] if not r["fitted_on"]]
        inside = sum(abs(r["error"]) <= 0.15 for r in judged)
        lines.append(f"| {preset} | **predicted rows within 15 %** | | | **{inside} of "
                     f"{len(judged)}** | |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5,
                    help="emulated runs per policy, interleaved (paired medians)")
    args = ap.parse_args()
    runs = {"mixtral-tiny": run_bench("--skip-full", args.repeats),
            "switch-tiny": run_bench("--switch-only", args.repeats)}
    print(json.dumps({"runs": runs, "table": table(runs)}, default=float))


if __name__ == "__main__":
    main()
