"""`sovereign checks run|rerun` and `sovereign worker` (mounted by kernel.cli).

`--json` prints one JSON document on stdout and nothing else; progress goes to stderr.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from kernel.errors import BadInput

app = typer.Typer(help="Empirical checks: performance claims re-measured by the runtime.",
                  no_args_is_help=True, add_completion=False)
err = Console(stderr=True)
BACKEND_HELP = "cpu | simulated | cuda (default: settings)"


def _settings(backend: str | None = None):
    from kernel.settings import Settings

    settings = Settings()
    if backend is not None:
        from verifier.empirical import BACKENDS

        if backend not in BACKENDS:
            raise BadInput(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
        settings.empirical.backend = backend
    settings.ensure_home()
    return settings


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}{unit}" if unit in ("×", "%") else f"{v:.2f} {unit}"


def _print_scales(out: Console, r) -> None:
    """Both scales side by side: what ran, its verdict, the median and interval of the repeats."""
    table = Table("scale", "ran", "verdict", "median", "interval", "repeats")
    for s in r.scales:
        m, sc = s.measured or {}, s.scale or {}
        ran = f"{sc.get('preset', '-')} ({sc.get('link', '-')})" if sc else "not run"
        mark = " (verdict)" if s.name == r.rests_on else ""
        unit = m.get("unit", "")
        table.add_row(s.name + mark, ran, s.verdict, _fmt(m.get("median"), unit),
                      f"{_fmt(m.get('low'), unit)} – {_fmt(m.get('high'), unit)} ({m['coverage']:.1%})" if m else "-",
                      str(m.get("n", "-")))
    out.print(table)
    for s in r.scales:
        if not s.scale:
            out.print(f"{s.name} scale not run: {s.reason}")
    if r.agree is not None:
        out.print("the two scales " + ("agree" if r.agree else "disagree"))


def _result_doc(claim, result) -> dict[str, Any]:
    doc = result.model_dump(mode="json", exclude={"spec"})
    doc["claim"] = claim.model_dump(mode="json", exclude={"start", "end"}) if claim else None
    doc["spec"] = result.spec.model_dump(mode="json", exclude={"claim_text"}) if result.spec else None
    return doc


@app.command("run")
def run_cmd(
    claim: Annotated[str, typer.Argument(help="the claim sentence, e.g. 'ExpertFlow achieves 1.99× higher "
                                              "throughput than Cache-MoE on Mixtral-8×7B'")],
    backend: Annotated[Optional[str], typer.Option("--backend", help=BACKEND_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Empirical verdict for one claim: claimed and measured side by side."""
    from kernel.empirical.checks import measure_claims_in
    from verifier.empirical import BackendUnavailable

    if not claim.strip():
        raise BadInput("the claim is empty; give a sentence with a number, e.g. "
                       "'ExpertFlow achieves 1.99× higher throughput than Cache-MoE on Mixtral-8×7B'")
    settings = _settings(backend)
    err.print(f"checking on the {settings.empirical.backend} backend (first use trains a tiny model)")
    try:
        results = measure_claims_in(settings, claim)
    except BackendUnavailable as exc:
        raise BadInput(str(exc)) from None
    docs = [_result_doc(c, r) for c, r in results]
    if as_json:
        _print_json({"text": claim, "backend": settings.empirical.backend, "verdict": docs[0]["verdict"],
                     "results": docs})
        return
    out = Console()
    for c, r in results:
        out.print(f"[bold]{r.verdict}[/] — {r.reason}")
        if r.scales:
            _print_scales(out, r)
        if r.comparisons:
            table = Table("", "claimed", "measured")
            for p in r.comparisons:
                table.add_row(p.label, _fmt(p.claimed, p.unit), _fmt(p.measured, p.unit))
            out.print(table)
        for cav in r.caveats:
            out.print(f"  · {cav}")


@app.command("rerun")
def rerun_cmd(
    run: Annotated[str, typer.Argument(help="run id")],
    cluster: Annotated[Optional[str], typer.Option("--cluster", help="'ray': run the checks as Ray GPU tasks")] = None,
    backend: Annotated[Optional[str], typer.Option("--backend", help=BACKEND_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Re-run a run's empirical checks (e.g. on a GPU node) and store the results back."""
    from kernel.empirical.checks import rerun_checks

    settings = _settings(backend)
    rows = rerun_checks(settings, run, cluster=cluster,
                        progress=lambda stage, msg: err.print(f"[bold cyan]{stage:>10}[/] {msg}"))
    keys = {"id", "claim_id", "status", "verdict", "backend", "node", "attempts", "reason", "error",
            "claimed", "measurements", "caveats", "started_at", "finished_at"}
    if as_json:
        _print_json({"run_id": run, "checks": [r.model_dump(mode="json", include=keys) for r in rows]})
        return
    table = Table("check", "claim", "status", "verdict", "measured", "node", "attempts")
    for r in rows:
        measured = r.measurements.get("measured") if r.measurements else None
        table.add_row(str(r.id), str(r.claim_id), r.status, r.verdict or "-",
                      "-" if measured is None else f"{measured:g}", r.node or "-", str(r.attempts))
    Console().print(table)


def worker(
    address: Annotated[Optional[str], typer.Option("--address", help="join the Ray cluster at HOST:PORT")] = None,
    head: Annotated[bool, typer.Option("--head", help="start a new cluster with this node as head")] = False,
    num_gpus: Annotated[Optional[float],
                        typer.Option("--num-gpus", help="GPUs this node offers (default: detected)")] = None,
    num_cpus: Annotated[Optional[int],
                        typer.Option("--num-cpus", help="CPUs this node offers (default: detected)")] = None,
) -> None:
    """Serve empirical checks on this (GPU) node: start or join a Ray cluster, in the foreground."""
    from kernel.empirical.worker import serve

    raise typer.Exit(serve(address=address, head=head, num_gpus=num_gpus, num_cpus=num_cpus))
