"""Planning time per engine step of every policy on full-size tables (no tensors, no link).

    .venv/bin/python benchmarks/runtime_planning.py [--presets mixtral-8x7b,switch-base-128,...]
        [--policies lru,...] [--batch 16] [--groups 2] [--repeats 3]

For each preset the simulator runs each policy over a synthetic trace of that shape (budgets as
in the full-size tables: 2 of 8 for Mixtral, 16 for Switch-128 and Qwen1.5-MoE) and times every
policy hook on this machine. ``planning_ms_per_step`` is, per DECODE step, the hooks' wall time
less the route source's and the scheduler's (reported apart: a trace lookup stands in for the
predictor here); ``all_hooks_ms_per_step_with_prefill`` is every hook over every step.
The median of ``repeats`` runs is printed; this is a shared 2-core VM, so single runs move by
±20 %. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from expertflow_runtime.policies import make_policy  # noqa: E402
from expertflow_runtime.presets import from_name, profile_from_name  # noqa: E402
from expertflow_runtime.simulator.core import simulate  # noqa: E402
from expertflow_runtime.simulator.cost import CostModel  # noqa: E402
from expertflow_runtime.simulator.run import policy_kwargs  # noqa: E402
from expertflow_runtime.simulator.workload import synthetic_trace  # noqa: E402

PRESETS = {"mixtral-8x7b": 2, "switch-base-128": 16, "qwen1.5-moe-a2.7b": 16}
POLICIES = ("on-demand", "static", "lru", "lru-global", "lfu", "lfru", "se-moe", "belady",
            "expertflow", "expertflow-oracle")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default=",".join(PRESETS))
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--groups", type=int, default=2)
    ap.add_argument("--gen-len", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for name in args.presets.split(","):
        preset = from_name(name)
        budget = PRESETS.get(name, 2)
        trace = synthetic_trace(preset, sequences=args.batch * args.groups, prompt_len=16,
                                gen_len=args.gen_len, seed=0)
        cost = CostModel.from_preset(preset, profile_from_name("a40-pcie4"))
        simulate(make_policy("lru"), trace, cost, capacity=preset.moe_layers * budget,
                 batch=args.batch, groups=args.groups, policy_time="none")  # warm-up, not kept
        for pol in args.policies.split(","):
            runs = []
            for _ in range(args.repeats):
                r = simulate(make_policy(pol, **policy_kwargs(pol, trace, 0.9, 0)), trace, cost,
                             capacity=preset.moe_layers * budget, batch=args.batch,
                             groups=args.groups, policy_time="none")
                runs.append((r.decode_planning_s_per_step, r.predictor_s_per_step,
                             r.scheduler_s_per_step, r.planning_s_per_step))
            plan_ms = statistics.median(x[0] for x in runs) * 1e3
            rows.append(dict(preset=name, policy=pol, budget_per_layer=budget,
                             slots=preset.moe_layers * budget,
                             planning_ms_per_step=plan_ms,
                             planning_ms_runs=[x[0] * 1e3 for x in runs],
                             all_hooks_ms_per_step_with_prefill=statistics.median(
                                 x[3] for x in runs) * 1e3,
                             route_source_ms_per_step=statistics.median(x[1] for x in runs) * 1e3,
                             scheduler_ms_per_step=statistics.median(x[2] for x in runs) * 1e3))
            print(f"{name:>20} {pol:>18} {plan_ms:8.2f} ms/step", file=sys.stderr, flush=True)
    print(json.dumps({"config": vars(args), "results": rows}))


if __name__ == "__main__":
    main()
