"""`claims` sub-commands (mounted by the lead as ``sovereign claims ...``).

    claims extract FILE|- [--json]
    claims check "CLAIM" --evidence FILE|- [--json]

Exit status: 0 done; 2 bad input (one line on stderr: what and how to fix it); 1 any other
failure. ``--json`` prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

import typer

from verifier.errors import BadInputError, VerifierError
from verifier.extract import extract_claims
from verifier.settings import VerifierSettings


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    path = Path(source)
    if not path.is_file():
        raise BadInputError(f"no such file: {source!r}; give a readable text file or - for stdin")
    return path.read_bytes()


def _fail(exc: Exception) -> None:
    code = 2 if isinstance(exc, BadInputError) else 1
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def build_app(get_settings: Callable[[], VerifierSettings] = VerifierSettings) -> typer.Typer:
    """The sub-app; ``get_settings`` supplies the verifier section of the root settings."""
    app = typer.Typer(name="claims", help="Extract claims from a text and check a claim against evidence.",
                      no_args_is_help=True, add_completion=False)

    @app.command("extract")
    def extract_cmd(file: str = typer.Argument(..., help="text file, or - for stdin"),
                    as_json: bool = typer.Option(False, "--json", help="print one JSON document")) -> None:
        """Print the claims found in FILE with their structured fields."""
        try:
            claims = extract_claims(_read(file))
        except (VerifierError, OSError) as exc:
            _fail(exc)
            return
        if as_json:
            typer.echo(json.dumps({"count": len(claims), "claims": [c.model_dump() for c in claims]}))
            return
        if not claims:
            typer.echo("no claims found")
        for c in claims:
            fields = {k: v for k, v in c.model_dump(exclude={"text", "kind", "start", "end"}).items() if v not in (None, {})}
            typer.echo(f"[{c.kind}] {c.text}\n    {fields}")

    @app.command("check")
    def check_cmd(claim: str = typer.Argument(..., help="the claim sentence"),
                  evidence: str = typer.Option(..., "--evidence", help="evidence text file, or - for stdin"),
                  as_json: bool = typer.Option(False, "--json", help="print one JSON document")) -> None:
        """Check CLAIM against the evidence text: SUPPORTED, CONTRADICTED or UNVERIFIED, and why."""
        try:
            from verifier.evidence import check_against_text
            text = _read(evidence)
            settings = get_settings()
            checker = settings.make_checker()
            verdict = check_against_text(checker, claim, text,
                                         paper_id=Path(evidence).name if evidence != "-" else "stdin")
        except (VerifierError, OSError) as exc:
            _fail(exc)
            return
        except Exception as exc:  # boundary: an unexpected failure is exit 1 with one line, not a trace
            _fail(exc)
            return
        if as_json:
            typer.echo(json.dumps({"claim": claim, **verdict.model_dump()}))
            return
        typer.echo(f"{verdict.verdict} (confidence {verdict.confidence:.2f})")
        for r in verdict.reasons:
            typer.echo(f"  - {r}")
        if verdict.evidence:
            typer.echo(f"  evidence: {verdict.evidence[0].text}")

    return app


app = build_app()
