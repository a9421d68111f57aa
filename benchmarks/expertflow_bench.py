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
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from expertflow_runtime.corpus import prompts as corpus_prompts  # noqa: E402
from expertflow_runtime.engine import Engine  # noqa: E402
from expertflow_runtime.expertflow_engine import generate_grouped  # noqa: E402
from expertflow_runtime.expertflow_sources import PredictorSource, TraceSource  # noqa: E402
from expertflow_runtime.forwards import time_regroup  # noqa: E402
from expertflow_runtime.policies import make_policy  # noqa: E402
from expertflow_runtime.predictor.model import PREDICTOR_FILE, evaluate_predictor, load_predictor  # noqa: E402
from expertflow_runtime.predictor.training import fit_from_checkpoint, record_routes, stdlib_chunks  # noqa: E402
from expertflow_runtime.presets import from_name  # noqa: E402
from expertflow_runtime.simulator.core import simulate  # noqa: E402
from expertflow_runtime.simulator.cost import CostModel, fit_compute_scale, fit_host_costs  # noqa: E402
from expertflow_runtime.simulator.run import SimConfig, run_simulation  # noqa: E402
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


CALIBRATION_POLICIES = ("all-resident", "on-demand", "se-moe")


def calibrate(cost: CostModel, sim_one, emulated: dict[str, dict], regroup_s: float = 0.0
              ) -> tuple[CostModel, list[dict]]:
    """The simulator against every emulated run. ``cost`` has the compute fitted on
    all-resident (its terms, then their scale so that all-resident's simulated time is the
    measured one); the emulated times are paired with all-resident's round by round (below);
    the host time per copy issued and per blocking wait are fitted on on-demand and se-moe
    (``fit_host_costs``), a regroup costs ``regroup_s`` (timed apart); every other
    policy is a prediction the emulated run checks. ``sim_one(cost, name)`` -> SimResult."""
    # each policy's emulated time, paired with all-resident's of the same round: the median
    # over rounds of the ratio, times all-resident's median time (a machine whose speed drifts
    # between rounds moves a ratio less than a time)
    base = emulated["all-resident"]["total_s_rounds"]
    paired = {n: statistics.median(t / b for t, b in zip(m["total_s_rounds"], base))
              * statistics.median(base) for n, m in emulated.items()}
    tokens = {n: m["tokens_per_s"] * m["total_s"] for n, m in emulated.items()}

    # compared as the time the simulated rate takes for the emulated run's tokens (a recorded
    # trace may hold one token fewer than the run generated: the last one is never fed)
    def seconds(name: str, sim) -> float:
        return tokens[name] / sim.tokens_per_s

    cost = replace(cost, regroup_s=regroup_s, copy_issue_s=0.0, wait_resume_s=0.0)
    cost = fit_compute_scale(cost, lambda c: seconds("all-resident", sim_one(c, "all-resident")),
                             paired["all-resident"])
    if "on-demand" in emulated:
        cost = fit_host_costs(cost, lambda c, name: seconds(name, sim_one(c, name)), paired,
                              prefetching="se-moe" if "se-moe" in emulated else None).cost
    rows = []
    for name, m in emulated.items():
        sim = sim_one(cost, name)
        emulated_tps = tokens[name] / paired[name]
        rows.append(dict(
            policy=name, emulated_tokens_per_s=emulated_tps,
            emulated_median_run_tokens_per_s=m["tokens_per_s"],
            simulated_tokens_per_s=sim.tokens_per_s,
            error=sim.tokens_per_s / emulated_tps - 1,
            fitted_on=name in CALIBRATION_POLICIES,
            emulated_hit_rate=m["hit_rate"], simulated_hit_rate=sim.hit_rate,
            emulated_total_s=m["total_s"], simulated_wall_s=sim.wall_s,
            emulated_stall_s=m["stall_s"], simulated_stall_s=sim.stall_s,
            copies=m["experts_loaded"], prefetches=m.get("prefetches"),
            simulated_copies=sim.experts_loaded, simulated_prefetches=sim.prefetches,
            regroups=m.get("regroups", 0), kv_regroup_s=m.get("kv_regroup_s", 0.0)))
    return cost, rows


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

    emulated, all_runs = {}, {name: [] for name in names}
    for _ in range(args.repeats):  # interleaved, as the mixtral-tiny runs
        for name in names:
            kw = policy_kwargs(name, ckpt, trace, popularity)
            all_runs[name].append(engine.generate(prompts, args.new_tokens, capacity=capacity,
                                                  policy=make_policy(name, **kw)))
    for name in names:
        runs = sorted(all_runs[name], key=lambda r: r.metrics.tokens_per_s)
        run = runs[len(runs) // 2]
        emulated[name] = dict(run.metrics.as_dict(), identical_to_all_resident=run.tokens == ref.tokens,
                              total_s_rounds=[r.metrics.total_s for r in all_runs[name]])
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

    def sim_one(cost, name):
        policy = make_policy(name, **policy_kwargs(name, ckpt, trace, popularity))
        cap = engine.num_layers * preset.num_experts if name == "all-resident" else capacity
        return simulate(policy, trace, cost, capacity=cap, batch=args.batch, groups=1)

    cost, rows = calibrate(cost, sim_one, emulated)
    return {"preset": preset_name, "weights": str(ckpt) if ckpt else "random init",
            "cost_model": cost.__dict__, "emulated": list(emulated.values()),
            "calibration": rows, "load_average": os.getloadavg()}


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
        rounds = [r.metrics["total_s"] for r in all_runs[name]]  # in round order
        runs = sorted(all_runs[name], key=lambda r: r.metrics["tokens_per_s"])
        run = runs[len(runs) // 2]  # the median run by throughput
        m = dict(run.metrics)
        m["tokens_per_s_runs"] = [r.metrics["tokens_per_s"] for r in runs]
        m["total_s_rounds"] = rounds
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
    def sim_one(cost: CostModel, name: str):
        kw = policy_kwargs(name, ckpt, oracle, popularity)
        if "checkpoint_dir" in kw:
            kw = {"source": PredictorSource(predictor)}
        policy = make_policy(name, **kw)
        cap = (engine.num_layers * preset.num_experts if getattr(policy, "needs_full_budget", False)
               else capacity)
        return simulate(policy, oracle, cost, capacity=cap, batch=args.batch, groups=args.groups)

    # a regroup permutes every attention layer's KV cache of the pool, timed apart at the mean
    # decode length; the host costs per copy come from calibrate()
    kv_dim = preset.head_dim or preset.hidden // preset.num_heads
    regroup_s = time_regroup(preset.num_layers, args.batch, args.groups, preset.num_kv_heads,
                             kv_dim, args.prompt_len + args.new_tokens // 2, engine.dtype)
    cost, calibration = calibrate(cost, sim_one, policies, regroup_s)
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
                from expertflow_runtime.simulator.workload import map_trace

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
           "calibration_cost_model": cost.__dict__, "calibration_fitted_on": CALIBRATION_POLICIES,
           "load_average": os.getloadavg(), "full_size": full}
    print(json.dumps(doc, default=float))


if __name__ == "__main__":
    main()
