"""The runtime's command group: ``sovereign runtime bench | train | train-predictor | simulate``
(the last two live in simulator/cli.py).

Exit status: 0 done, 2 bad input (one line on stderr naming the bad value and the valid ones),
1 a failure the user did not cause. ``--json`` prints exactly one JSON document on stdout.
Run standalone with ``python -m expertflow_runtime.cli ...``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from expertflow_runtime.errors import BadInput

app = typer.Typer(help="The ExpertFlow MoE offloading runtime.", no_args_is_help=True,
                  add_completion=False)


# SystemExit rather than typer.Exit: click run with standalone_mode=False (as a parent CLI may)
# turns typer.Exit into a return value, and the exit status would be lost.
def _bad_input(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise SystemExit(2)


def _failure(exc: Exception) -> None:
    typer.echo(f"failed: {type(exc).__name__}: {exc}", err=True)
    raise SystemExit(1)


@app.command("bench")
def bench_cmd(
    preset: str = typer.Option(..., help="model preset, e.g. mixtral-tiny"),
    policies: str = typer.Option("all-resident,on-demand,static,lru,lru-global,lfu,lfru,se-moe,"
                                 "pregated", help="comma-separated policy names (also: belady, "
                                 "expertflow, expertflow-oracle, ...)"),
    budget: str = typer.Option("2", help="experts per layer, or total like '4GiB'"),
    batch: int = typer.Option(16, help="sequences decoded together"),
    link: str = typer.Option("emulated:a40-pcie4", help="none | cuda | emulated:<profile>"),
    prompt_len: int = typer.Option(64, help="prompt tokens per sequence"),
    new_tokens: int = typer.Option(32, help="tokens generated per sequence"),
    checkpoint: Path = typer.Option(None, help="local checkpoint directory (HF layout)"),
    weights: str = typer.Option("auto", help="auto (trained if present, else random) | trained "
                                "| random"),
    layers: int = typer.Option(None, help="cut the model to this many blocks (full-size stacks)"),
    seed: int = typer.Option(0),
    trace_out: Path = typer.Option(None, help="save the reference run's routing trace (.npz)"),
    threads: int = typer.Option(None, help="CPU threads (default: 1 for tiny presets)"),
    repeats: int = typer.Option(3, help="runs per policy, interleaved across policies; the "
                                "median run is reported (use >= 5 for a verdict)"),
    groups: int = typer.Option(None, help="micro-batches of --batch sequences decoded in rounds "
                               "(default: 2 for decoder-only presets, 1 for encoder-decoder)"),
    routes: Path = typer.Option(None, help="recorded real routes (a *_routing.jsonl file or a "
                                "folder of them) imposed on the routers, e.g. "
                                "../shared/data/routing/mixtral-8x7b with --preset mixtral-8x7b"),
    recall: float = typer.Option(None, help="expertflow's predictor stood in for by the recorded "
                                 "routes at this per-expert recall (for models without a trained "
                                 "predictor)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Run the policies on one model, budget, batch and link; print a table or JSON."""
    from expertflow_runtime.bench import bench, format_table

    names = [p.strip() for p in policies.split(",") if p.strip()]
    log = None if as_json else (lambda m: typer.echo(m, err=True))
    try:
        doc = bench(preset, names, budget=budget, batch=batch, link=link, prompt_len=prompt_len,
                    new_tokens=new_tokens, checkpoint=checkpoint, weights=weights, layers=layers,
                    seed=seed, trace_out=trace_out, threads=threads, repeats=repeats,
                    groups=groups, routes=routes, recall=recall, log=log)
    except BadInput as exc:
        _bad_input(exc)
    except (RuntimeError, OSError) as exc:
        _failure(exc)
    typer.echo(json.dumps(doc) if as_json else format_table(doc))


@app.command("train")
def train_cmd(
    preset: str = typer.Option("mixtral-tiny", help="tiny preset to train"),
    max_seconds: float = typer.Option(180.0, help="stop after this many seconds"),
    steps: int = typer.Option(0, help="stop after this many steps (0: time only)"),
    batch: int = typer.Option(16),
    seq_len: int = typer.Option(64),
    lr: float = typer.Option(3e-3),
    out: Path = typer.Option(None, help="output dir (default $SOVEREIGN_HOME/runtime/<preset>)"),
    trace_sequences: int = typer.Option(64, help="sequences per recorded routing trace"),
    threads: int = typer.Option(None, help="CPU threads (default: 1 for tiny presets)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Train a tiny preset on the standard library's sources so that routing is learned."""
    from dataclasses import asdict

    from expertflow_runtime.presets import from_name
    from expertflow_runtime.training import train

    log = None if as_json else (lambda m: typer.echo(m, err=True))
    try:
        report = train(from_name(preset), max_seconds=max_seconds, steps=steps, batch=batch,
                       seq_len=seq_len, lr=lr, out_dir=out, trace_sequences=trace_sequences,
                       threads=threads, log=log)
    except BadInput as exc:
        _bad_input(exc)
    except (RuntimeError, OSError) as exc:
        _failure(exc)
    if as_json:
        typer.echo(json.dumps(asdict(report)))
    else:
        typer.echo(f"trained {report.preset}: {report.steps} steps in {report.seconds:.0f}s, "
                   f"loss {report.train_loss:.3f} (held-out {report.heldout_loss:.3f}); "
                   f"saved to {report.out_dir}")


def _register_extensions() -> None:
    """Mount train-predictor and simulate, which live beside the predictor and simulator."""
    from expertflow_runtime.simulator import cli as simulate_cli

    for cmd in simulate_cli.app.registered_commands:
        app.registered_commands.append(cmd)


_register_extensions()


def main() -> None:
    app(prog_name="sovereign runtime")


if __name__ == "__main__":
    sys.exit(main())
