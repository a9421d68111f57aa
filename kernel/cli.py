"""`sovereign`: the command line of DESIGN.md ("The command line").

Exit status: 0 done, 2 bad input (one line on stderr saying what and how to fix it), 1 a failure
the user did not cause. `--json` prints one JSON document on stdout and nothing else there;
progress goes to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from kernel.errors import USER_ERRORS, BadInput, SovereignError

app = typer.Typer(
    help="SOVEREIGN: research-claim verification for MoE inference, with its own ExpertFlow runtime.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)


def _fail(message: str, code: int) -> None:
    """One line on stderr, never wrapped, then exit with `code`."""
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    raise SystemExit(code)


def _service(progress: bool = True):
    from kernel.service import Service

    def show(stage: str, message: str) -> None:
        err.print(f"[bold cyan]{stage:>10}[/] {message}")

    return Service(progress=show if progress else (lambda s, m: None))


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


def _run_summary(svc, run) -> dict[str, Any]:
    path = svc.report_path(run.id)
    return {
        "run_id": run.id,
        "status": run.status,
        "outcome": run.outcome,
        "panel_score": run.panel_score,
        "report": str(path) if path.is_file() else None,
        "error": run.error,
    }


def _finish(svc, run, as_json: bool) -> None:
    summary = _run_summary(svc, run)
    if as_json:
        _print_json(summary)
        return
    score = f" (panel score {run.panel_score:.1f})" if run.panel_score is not None else ""
    typer.echo(f"run {run.id}: {run.status}{score}")
    if summary["report"]:
        typer.echo(f"report: {summary['report']}")
    if run.status == "waiting_owner":
        typer.echo(f"waiting for the owner: sovereign review {run.id} --approve|--reject|--request-changes")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the research question")],
    offline: Annotated[bool, typer.Option("--offline", help="never contact arXiv; use the cache and corpora")] = False,
    corpus: Annotated[
        Optional[list[Path]], typer.Option("--corpus", help="arXiv metadata snapshot (JSON lines) to import first")
    ] = None,
    no_empirical: Annotated[bool, typer.Option("--no-empirical", help="skip re-measuring performance claims")] = False,
    papers: Annotated[
        Optional[list[Path]],
        typer.Option("--papers", help="your own papers (a folder, PDFs, .txt/.md/.tex): added first "
                     "like `corpus add`, always among the run's papers and read in full"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Run the whole pipeline on QUESTION; print the run id and the report path."""
    svc = _service()
    run_id = svc.submit(question, offline=offline or None, corpora=corpus or [], empirical=not no_empirical,
                        papers=papers or [])
    err.print(f"run {run_id} started")
    _finish(svc, svc.run(run_id), as_json)


@app.command()
def runs(
    status: Annotated[Optional[str], typer.Option("--status", help="only runs with this status")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """List runs, newest first."""
    svc = _service(progress=False)
    rows = svc.runs(status)
    if as_json:
        fields = {"id", "question", "status", "outcome", "panel_score", "created_at", "updated_at", "stage"}
        _print_json([r.model_dump(mode="json", include=fields) for r in rows])
        return
    table = Table("run", "status", "score", "outcome", "stage", "created", "question")
    for r in rows:
        table.add_row(
            r.id, r.status, f"{r.panel_score:.1f}" if r.panel_score is not None else "-", r.outcome or "-",
            r.stage or "-", r.created_at.strftime("%Y-%m-%d %H:%M"), r.question[:60],
        )
    Console().print(table)


@app.command()
def show(
    run: Annotated[str, typer.Argument(help="run id")],
    fmt: Annotated[str, typer.Option("--format", help="md | html | json")] = "md",
) -> None:
    """Print a run's report (json: the run with its papers, claims, checks, reviews, decisions)."""
    sys.stdout.write(_service(progress=False).show(run, fmt) + "\n")


@app.command()
def resume(
    run: Annotated[str, typer.Argument(help="run id")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Continue a run from its last checkpoint."""
    svc = _service()
    _finish(svc, svc.resume(run), as_json)


@app.command()
def review(
    run: Annotated[str, typer.Argument(help="run id")],
    approve: Annotated[bool, typer.Option("--approve")] = False,
    reject: Annotated[bool, typer.Option("--reject")] = False,
    request_changes: Annotated[bool, typer.Option("--request-changes")] = False,
    comment: Annotated[str, typer.Option("--comment", help="the owner's comment")] = "",
    owner: Annotated[Optional[str], typer.Option("--owner", help="who decides (default: settings.owner.name)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Record the owner's decision on an escalated run and let the run finish."""
    chosen = [a for a, on in (("approve", approve), ("reject", reject), ("request_changes", request_changes)) if on]
    if len(chosen) != 1:
        raise BadInput("give exactly one of --approve, --reject, --request-changes")
    svc = _service()
    _finish(svc, svc.decide(run, action=chosen[0], owner=owner, comment=comment), as_json)


@app.command()
def ui(
    port: Annotated[int, typer.Option("--port", help="port to serve on")] = 8501,
) -> None:
    """Start the Streamlit app."""
    import subprocess

    app_file = Path(__file__).resolve().parents[1] / "ui" / "app.py"
    if not app_file.is_file():
        raise SovereignError(f"the app is missing at {app_file}; reinstall the package")
    raise typer.Exit(
        subprocess.call(
            [sys.executable, "-m", "streamlit", "run", str(app_file), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--client.toolbarMode", "minimal"]
        )
    )


def _mount() -> None:
    """Sub-commands owned by the packages they drive."""
    from kernel.retrieval.cli import app as corpus_app

    app.add_typer(corpus_app, name="corpus",
                  help="Import arXiv metadata, add your own papers (PDFs, text sources), search them.")
    from kernel.settings import Settings
    from verifier.cli import build_app as claims_app

    app.add_typer(claims_app(lambda: Settings().verifier), name="claims", help="Extract and check claims in a text.")
    from expertflow_runtime.cli import app as runtime_app

    app.add_typer(runtime_app, name="runtime", help="The ExpertFlow MoE offloading runtime.")
    from kernel.empirical.cli import app as checks_app
    from kernel.empirical.cli import worker

    app.add_typer(checks_app, name="checks", help="Re-measure performance claims with the runtime.")
    app.command("worker")(worker)


def main() -> None:
    _mount()
    try:
        # Without standalone mode click returns an Exit's code instead of raising it.
        code = app(standalone_mode=False)
        raise SystemExit(code if isinstance(code, int) else 0)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        raise SystemExit(code or 0)
    except USER_ERRORS as exc:  # bad input exits 2, the kernel's own failures their code
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; continue with `sovereign resume RUN`")
        raise SystemExit(130)
    except Exception as exc:  # boundary: an unexpected failure becomes exit 1 with one line
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            raise SystemExit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
        _fail(f"{type(exc).__name__}: {exc}", 1)


if __name__ == "__main__":
    main()
