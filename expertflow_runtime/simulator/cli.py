"""`sovereign runtime train-predictor` and `sovereign runtime simulate` (typer commands).

The runtime's CLI registers these two functions on its `runtime` app. Exit status: 0 done, 2 bad
input (one line on stderr), 1 a failure the user did not cause. `--json` prints one document.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from expertflow_runtime.errors import BadInput

app = typer.Typer(help="ExpertFlow: routing-path predictor training and the trace simulator.")

SIM_POLICIES = ("all-resident", "on-demand", "static", "lru", "lru-global", "lfu", "lfru",
                "se-moe", "belady", "expertflow", "expertflow-no-scheduler",
                "expertflow-scheduler-only", "expertflow-oracle")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


@app.command("train-predictor")
def train_predictor_cmd(
    preset: str = typer.Option("mixtral-tiny", help="tiny preset whose routes to learn"),
    checkpoint: Path = typer.Option(None, help="model checkpoint dir (from `runtime train`); the "
                                    "predictor is saved there as predictor.pt"),
    trace: list[Path] = typer.Option(None, help="routing traces (.npz) to train on instead of "
                                     "recording them from local text"),
    seconds: float = typer.Option(120.0, help="training time limit"),
    window: int = typer.Option(32, help="context tokens the predictor reads"),
    chunks: int = typer.Option(1500, help="64-byte text chunks whose routes are recorded for training"),
    threads: int = typer.Option(1, help="torch intra-op threads (small ops: 1 is fastest on a shared CPU)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Train the routing-path predictor with multi-label BCE; report held-out recall."""
    import torch

    from expertflow_runtime.predictor.training import fit_from_checkpoint

    torch.set_num_threads(max(1, threads))
    try:
        report = fit_from_checkpoint(preset, checkpoint, traces=trace or None, seconds=seconds,
                                     window=window, train_chunks=chunks)
    except BadInput as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report))
    else:
        m = report["heldout"]
        typer.echo(f"predictor saved to {report['path']} ({report['size_mb']:.2f} MB)")
        typer.echo(f"held-out: top-k recall {m['topk_recall']:.3f}, batch-union recall "
                   f"{m['union_recall']:.3f} / precision {m['union_precision']:.3f} at top-n="
                   f"{m['top_n']}, batch {m['batch_size']} ({m['tokens']} tokens)")


@app.command("simulate")
def simulate_cmd(
    preset: str = typer.Option("mixtral-8x7b", help="model shape to simulate"),
    policies: str = typer.Option(",".join(SIM_POLICIES), help="comma-separated policy names"),
    budget: int = typer.Option(2, help="expert slots per MoE layer (shared globally by expertflow)"),
    batch: int = typer.Option(16, help="sequences per micro-batch"),
    groups: int = typer.Option(2, help="micro-batches decoded in rounds (the scheduler merges them)"),
    profile: str = typer.Option("a40-pcie4", help="hardware profile"),
    trace: Path = typer.Option(None, help="routing trace (.npz); tiny traces are tiled onto the "
                               "preset's layers when E and top-k match"),
    zipf: float = typer.Option(1.0, help="synthetic trace: Zipf exponent of expert popularity"),
    stickiness: float = typer.Option(0.3, help="synthetic trace: P(token repeats previous experts)"),
    prompt_len: int = typer.Option(16, help="synthetic trace: prompt tokens"),
    gen_len: int = typer.Option(16, help="synthetic trace: generated tokens"),
    routes: Path = typer.Option(None, help="recorded real routes (a *_routing.jsonl file or a "
                                "directory of them, e.g. ../shared/data/routing/mixtral-8x7b) as "
                                "the workload, cut into batch x groups windows"),
    recall: float = typer.Option(None, help="per-token recall of the simulated predictor "
                                 "(default: the one measured for this preset's trained predictor)"),
    layers: int = typer.Option(None, help="cut the model to its first N blocks (compare with "
                               "`runtime bench --layers`)"),
    policy_time: str = typer.Option("all", help="policy time charged: all | overheads | none"),
    seed: int = typer.Option(0),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Trace-driven simulation of every policy on a full-size shape and a hardware profile."""
    from expertflow_runtime.simulator.run import SimConfig, run_simulation

    cfg = SimConfig(preset=preset, policies=[p for p in policies.split(",") if p], budget=budget,
                    batch=batch, groups=groups, profile=profile,
                    trace=str(trace) if trace else None, routes=str(routes) if routes else None,
                    policy_time=policy_time, zipf=zipf, stickiness=stickiness,
                    prompt_len=prompt_len, gen_len=gen_len, recall=recall, seed=seed,
                    layers=layers)
    if policy_time not in ("all", "overheads", "none"):
        _fail(f"error: policy-time {policy_time!r}; valid: all, overheads, none")
    try:
        doc = run_simulation(cfg)
    except BadInput as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(doc))
        return
    typer.echo(f"simulated {preset} on {profile}: budget {budget}/layer, batch {batch} x "
               f"{groups} groups, trace: {doc['config']['trace_source']}; predictor recall "
               f"{doc['config']['recall']:.3f} ({doc['config']['recall_source']})")
    cols = ("policy", "tokens_per_s", "vs_all_resident", "hit_rate", "on_time_hit_rate",
            "stall_s", "experts_loaded", "peak_device_bytes", "planning_s_per_step")
    typer.echo("  ".join(f"{c:>14}" for c in cols))
    for r in doc["results"]:
        typer.echo("  ".join(f"{r[c]:>14.4g}" if isinstance(r[c], float) else f"{r[c]!s:>14}"
                             for c in cols))


def main() -> None:  # pragma: no cover - convenience entry point
    app(sys.argv[1:])
