"""ExpertFlow benchmark: every policy and ablation on an emulated link, the predictor's
held-out quality, the simulator calibrated against the emulated runs, and full-size simulations.

    .venv/bin/python benchmarks/expertflow_bench.py [--preset mixtral-tiny] [--budget 2]
        [--batch 16] [--groups 2] [--link emulated:a40-pcie4] [--new-tokens 16] [--skip-full]

Prints one JSON document on stdout (progress on stderr). Needs the trained tiny model
(`sovereign runtime train --preset mixtral-tiny`); trains the predictor if it is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from expertflow_runtime.corpus import prompts as corpus_prompts  # noqa: E402
from expertflow_runtime.engine import Engine  # noqa: E402
from expertflow_runtime.expertflow_engine import generate_grouped  # noqa: E402
from expertflow_runtime.expertflow_sources import PredictorSource, TraceSource  # noqa: E402
from expertflow_runtime.policies import make_policy  # noqa: E402
from expertflow_runtime.predictor import PREDICTOR_FILE, evaluate_predictor, load_predictor  # noqa: E402
from expertflow_runtime.predictor_training import fit_from_checkpoint, record_routes, stdlib_chunks  # noqa: E402
from expertflow_runtime.presets import from_name  # noqa: E402
from expertflow_runtime.simulator import simulate  # noqa: E402
from expertflow_runtime.simulator_cost import CostModel  # noqa: E402
from expertflow_runtime.simulator_run import SimConfig, run_simulation  # noqa: E402
from expertflow_runtime.trace import DECODE, PREFILL, RoutingTrace  # noqa: E402
from expertflow_runtime.training import checkpoint_dir  # noqa: E402

POLICIES = ["all-resident", "on-demand", "static", "lru", "lru-global", "lfu", "lfru", "se-moe",
            "pregated", "belady", "expertflow", "expertflow-no-scheduler",
            "expertflow-scheduler-only", "expertflow-oracle"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def routes_of_run(preset: str, ckpt: Path, prompts: list[list[int]], outputs: list[list[int]]) -> RoutingTrace:
    """Routes of prompt + generated tokens (teacher-forced: the same causal contexts as decode)."""
    full = [p + o for p, o in zip(prompts, outputs)]
    trace = record_routes(preset, ckpt, full)
    n = len(prompts[0])
    trace.phase = np.tile(np.r_[np.full(n, PREFILL), np.full(len(full[0]) - n, DECODE)],
                          len(full)).astype(np.uint8)
    return trace


def policy_kwargs(name: str, ckpt: Path, oracle: RoutingTrace, popularity) -> dict:
    if name == "static":
        return {"popularity": popularity}
    if name == "expertflow-oracle":
        return {"source": TraceSource(oracle)}
    if name == "belady":
        return {"oracle_trace": oracle}
    if name.startswith("expertflow"):
        return {"checkpoint_dir": ckpt}
    return {}


def switch_calibration(args, preset_name: str = "switch-tiny") -> dict:
    """Simulator vs emulated engine on an encoder-decoder preset (one batch, the engine's own
    ``generate``): the baselines and ``expertflow-oracle`` (exact routes from the reference run's
    trace). The routing-path predictor is trained for decoder-only presets, so the predicted
    ExpertFlow rows are not here. Weights: the trained checkpoint when present, else random
    (routing mechanics and timing only; stated in the output)."""
    preset = from_name(preset_name)
    ckpt = checkpoint_dir(preset)
    ckpt = ckpt if (ckpt / "config.json").is_file() else None
    engine = Engine.build(preset, checkpoint=ckpt, link=args.link, batch_hint=args.batch)
    capacity = engine.capacity_for(args.budget)
    prompts = corpus_prompts(args.batch, args.prompt_len, split="heldout", seed=11)
    ref = engine.generate(prompts, args.new_tokens, policy=make_policy("all-resident"),
                          capacity=capacity, record_trace=True)
    trace = ref.trace
    # expertflow-oracle (exact routes) needs no predictor, so it runs on switch-tiny too
    names = ["all-resident", "on-demand", "static", "lru", "lru-global", "lfu", "lfru", "se-moe",
             "pregated", "belady", "expertflow-oracle"]
    popularity = trace.popularity()

    emulated = {}
    for name in names:
        kw = policy_kwargs(name, ckpt, trace, popularity)
        runs = sorted((engine.generate(prompts, args.new_tokens, policy=make_policy(name, **kw),
                                       capacity=capacity) for _ in range(args.repeats)),
                      key=lambda r: r.metrics.tokens_per_s)
        run = runs[len(runs) // 2]
        emulated[name] = dict(run.metrics.as_dict(), identical_to_all_resident=run.tokens == ref.tokens)
        log(f"{preset_name} {name}: {run.metrics.tokens_per_s:.1f} tok/s")
    rm = emulated["all-resident"]
    decode_step = (rm["total_s"] - rm["ttft_s"]) / max(1, args.new_tokens - 1)
    dec = trace.experts[trace.phase == DECODE]
    used = [layer for layer in range(trace.num_layers) if (dec[:, layer] >= 0).any()]
    union = float(np.mean([len({int(e) for e in dec[:, layer].ravel() if e >= 0}) for layer in used]))
    cost = CostModel.fit(f"{preset_name}@{args.link} (fitted)", step_s=decode_step,
                         tokens_per_step=args.batch, num_layers=len(used), experts_per_layer=union,
                         transfer_s=engine.seconds_per_byte * engine.layout.nbytes,
                         expert_bytes=engine.layout.nbytes, prefill_s=rm["ttft_s"],
                         prefill_tokens=args.batch * args.prompt_len)

    def run_sims(cost):
        out = {}
        for name in names:
            policy = make_policy(name, **policy_kwargs(name, ckpt, trace, popularity))
            cap = engine.num_layers * preset.num_experts if name == "all-resident" else capacity
            out[name] = simulate(policy, trace, cost, capacity=cap, batch=args.batch, groups=1)
        return out

    sims = run_sims(cost)
    od = emulated["on-demand"]
    issue = max(0.0, (od["total_s"] - sims["on-demand"].wall_s) / max(1, sims["on-demand"].experts_loaded))
    cost = CostModel(**{**cost.__dict__, "copy_issue_s": issue})
    sims = run_sims(cost)
    return {"preset": preset_name, "weights": str(ckpt) if ckpt else "random init",
            "cost_model": cost.__dict__, "emulated": list(emulated.values()),
            "calibration": [dict(policy=n, emulated_tokens_per_s=emulated[n]["tokens_per_s"],
                                 simulated_tokens_per_s=sims[n].tokens_per_s,
                                 error=sims[n].tokens_per_s / emulated[n]["tokens_per_s"] - 1,
                                 fitted_on=n in ("all-resident", "on-demand"),
                                 emulated_hit_rate=emulated[n]["hit_rate"],
                                 simulated_hit_rate=sims[n].hit_rate) for n in names]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="mixtral-tiny")
    ap.add_argument("--budget", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--groups", type=int, default=2)
    ap.add_argument("--link", default="emulated:a40-pcie4")
    ap.add_argument("--prompt-len", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=16)
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--predictor-seconds", type=float, default=120.0)
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--skip-full", action="store_true", help="skip the full-size simulations")
    ap.add_argument("--switch-only", action="store_true",
                    help="only the switch-tiny calibration (encoder-decoder, baselines)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs per policy, interleaved across policies; the median is kept")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (1: a shared 2-core box spins with more)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    if args.switch_only:
        print(json.dumps({"switch_calibration": switch_calibration(args)}, default=float))
        return

    preset = from_name(args.preset)
    ckpt = args.checkpoint or checkpoint_dir(preset)
    if not (ckpt / "config.json").is_file():
        sys.exit(f"no trained model at {ckpt}; run `sovereign runtime train --preset {args.preset}`")
    if not (ckpt / PREDICTOR_FILE).is_file():
        log("training the routing-path predictor")
        fit_from_checkpoint(args.preset, ckpt, seconds=args.predictor_seconds)
    predictor = load_predictor(ckpt)
    held_path = ckpt / "traces" / "heldout.npz"
    if held_path.is_file():
        held_trace = RoutingTrace.load(held_path)
    else:
        held_trace = record_routes(args.preset, ckpt, stdlib_chunks(chunk=64, held_out=True, limit=200))
    held = [held_trace.sequence(s) for s in range(held_trace.num_sequences)]
    pm = evaluate_predictor(predictor, held, batch_size=args.batch).as_dict()
    log(f"predictor held-out: {pm}")

    engine = Engine.build(preset, checkpoint=ckpt, link=args.link, batch_hint=args.batch)
    capacity = engine.capacity_for(args.budget)
    P = args.batch * args.groups
    prompts = corpus_prompts(P, args.prompt_len, split="heldout", seed=11)
    log("reference run (all-resident)")
    ref = generate_grouped(engine, prompts, args.new_tokens, policy=make_policy("all-resident"),
                           capacity=capacity, groups=args.groups)
    oracle = routes_of_run(args.preset, ckpt, prompts, ref.tokens)
    train_path = ckpt / "traces" / "train.npz"
    popularity = (RoutingTrace.load(train_path) if train_path.is_file() else oracle).popularity()

    results, policies = [], {}
    names = [p for p in args.policies.split(",") if p]
    # Repeats interleaved (every policy once, then again): a machine that slows down or speeds up
    # during the bench moves every policy alike instead of whichever happened to run then.
    all_runs: dict[str, list] = {name: [] for name in names}
    for rep in range(args.repeats):
        for name in names:
            all_runs[name].append(generate_grouped(
                engine, prompts, args.new_tokens, capacity=capacity, groups=args.groups,
                policy=make_policy(name, **policy_kwargs(name, ckpt, oracle, popularity))))
        log(f"round {rep + 1}/{args.repeats} of {len(names)} policies")
    for name in names:
        runs = all_runs[name]
        runs.sort(key=lambda r: r.metrics["tokens_per_s"])
        run = runs[len(runs) // 2]  # the median run by throughput
        m = dict(run.metrics)
        m["tokens_per_s_runs"] = [r.metrics["tokens_per_s"] for r in runs]
        m["identical_to_all_resident"] = all(r.tokens == ref.tokens for r in runs)
        results.append(m)
        policies[name] = m
        log(f"{name}: {m['tokens_per_s']:.1f} tok/s, hit {m['hit_rate']:.3f}, "
            f"identical={m['identical_to_all_resident']}")
    base = policies.get("all-resident", {}).get("tokens_per_s")
    lru = policies.get("lru", {})
    for m in results:
        m["vs_all_resident"] = m["tokens_per_s"] / base if base else None
        m["vs_lru"] = m["tokens_per_s"] / lru["tokens_per_s"] if lru else None
        m["hit_points_over_lru"] = 100 * (m["hit_rate"] - lru["hit_rate"]) if lru else None

    # -- simulator calibrated on the all-resident run, checked against every emulated policy
    rm = policies.get("all-resident", ref.metrics)
    decode_step = (rm["total_s"] - rm["ttft_s"]) / max(1, rm["steps"])
    union = float(np.mean([len({int(e) for e in oracle.experts[oracle.phase == DECODE][:, layer].ravel()})
                           for layer in range(oracle.num_layers)]))
    union = min(union, preset.num_experts)
    cost = CostModel.fit(f"{args.preset}@{args.link} (fitted)", step_s=decode_step,
                         tokens_per_step=args.batch, num_layers=engine.num_layers,
                         experts_per_layer=union, transfer_s=engine.seconds_per_byte * engine.layout.nbytes,
                         expert_bytes=engine.layout.nbytes, prefill_s=rm["ttft_s"] / args.groups,
                         prefill_tokens=args.batch * args.prompt_len)
    def simulate_all(cost: CostModel) -> dict[str, object]:
        out = {}
        for name in policies:
            kw = policy_kwargs(name, ckpt, oracle, popularity)
            if "checkpoint_dir" in kw:
                kw = {"source": PredictorSource(predictor)}
            policy = make_policy(name, **kw)
            cap = (engine.num_layers * preset.num_experts if getattr(policy, "needs_full_budget", False)
                   else capacity)
            out[name] = simulate(policy, oracle, cost, capacity=cap, batch=args.batch, groups=args.groups)
        return out

    # two-point calibration: all-resident fixes compute, on-demand the host cost of issuing a copy;
    # every other policy is a prediction the emulated run checks
    sims = simulate_all(cost)
    if "on-demand" in policies:
        od, so = policies["on-demand"], sims["on-demand"]
        loads = max(1, so.experts_loaded)
        issue = max(0.0, (od["total_s"] - so.wall_s) / loads)
        cost = CostModel(**{**cost.__dict__, "copy_issue_s": issue})
        sims = simulate_all(cost)
    calibration = [dict(policy=name, emulated_tokens_per_s=m["tokens_per_s"],
                        simulated_tokens_per_s=sims[name].tokens_per_s,
                        error=sims[name].tokens_per_s / m["tokens_per_s"] - 1,
                        fitted_on=name in ("all-resident", "on-demand"),
                        emulated_hit_rate=m["hit_rate"], simulated_hit_rate=sims[name].hit_rate)
                   for name, m in policies.items()]
    full = []
    if not args.skip_full:
        recall = pm["topk_recall"]
        for name, budget, src in [("mixtral-8x7b", args.budget, "mapped"),
                                  ("switch-base-128", 16, "synthetic"),
                                  ("qwen1.5-moe-a2.7b", 16, "synthetic")]:
            cfg = SimConfig(preset=name, policies=[p for p in POLICIES if p != "pregated"],
                            budget=budget, batch=args.batch, groups=args.groups, profile="a40-pcie4",
                            recall=recall, gen_len=args.new_tokens, prompt_len=16)
            trace = None
            if src == "mapped":
                from expertflow_runtime.simulator_workload import map_trace

                trace = map_trace(oracle, from_name(name))
            log(f"simulating {name}")
            full.append(run_simulation(cfg, trace=trace))
    doc = {"config": dict(threads=args.threads, preset=args.preset, budget=args.budget, batch=args.batch,
                          groups=args.groups, link=args.link, prompt_len=args.prompt_len,
                          new_tokens=args.new_tokens, capacity=capacity, checkpoint=str(ckpt),
                          emulated_copy_s=engine.seconds_per_byte * engine.layout.nbytes),
           "predictor": dict(heldout=pm, size_mb=predictor.size_bytes() / 1e6,
                             heldout_source=str(held_path) if held_path.is_file() else "stdlib held-out chunks"),
           "results": results, "calibration": calibration,
           "calibration_cost_model": cost.__dict__, "full_size": full}
    print(json.dumps(doc, default=float))


if __name__ == "__main__":
    main()
