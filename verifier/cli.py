"""`claims` sub-commands (mounted by the command line as ``sovereign claims ...``).

    claims extract FILE|- [--json]
    claims check "CLAIM" --evidence FILE|- [--json]
    claims check --claims FILE|- --evidence FILE|- [--json]

``check`` judges the claims against the evidence as an independent source (the claims come from
the user, not from it): SUPPORTED, CONTRADICTED or UNVERIFIED. With ``--claims`` every claim of
the file (one a line, or JSON lines with a "text" field) is checked in one process, the model
loaded once and the evidence cut into passages once.

Exit status: 0 done; 2 bad input (one line on stderr: what and how to fix it); 1 any other
failure. ``--json`` prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

import typer

from verifier.errors import BadInput, VerifierError
from verifier.settings import VerifierSettings


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    path = Path(source)
    if not path.is_file():
        raise BadInput(f"no such file: {source!r}; give a readable text file or - for stdin")
    return path.read_bytes()


def parse_claims(raw: bytes, source: str) -> list[str]:
    """Claims of a --claims file: one a line, or JSON lines with a "text" field; blank lines skipped."""
    from verifier.sentences import ensure_text

    text = ensure_text(raw)
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise BadInput(f"{source} line {n} is not valid JSON ({exc.msg}); give one claim a line "
                               'or JSON lines with a "text" field') from None
            if not isinstance(item.get("text"), str) or not item["text"].strip():
                raise BadInput(f'{source} line {n} has no "text" string; give each JSON line a "text" field')
            line = item["text"].strip()
        out.append(line)
    if not out:
        raise BadInput(f"{source} holds no claims; give one claim a line or JSON lines with a \"text\" field")
    return out


def _claims_given(claim: str | None, claims_file: str | None, evidence: str) -> list[str]:
    if (claim is None) == (claims_file is None):
        raise BadInput("give either one CLAIM or --claims FILE, not both and not neither")
    if claims_file is None:
        return [claim]
    if claims_file == "-" and evidence == "-":
        raise BadInput("--claims and --evidence cannot both read stdin; give one of them as a file")
    return parse_claims(_read(claims_file), "stdin" if claims_file == "-" else claims_file)


_CHECKERS: dict[str, object] = {}


def _checker(settings: VerifierSettings):
    """One checker per settings in this process: the models load once, however many commands run."""
    key = settings.model_dump_json()
    if key not in _CHECKERS:
        _CHECKERS[key] = settings.make_checker()
    return _CHECKERS[key]


def _fail(exc: Exception) -> None:
    code = 2 if isinstance(exc, BadInput) else 1
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
            from verifier.extract import extract_claims

            claims = extract_claims(_read(file))
        except (VerifierError, BadInput, OSError) as exc:
            _fail(exc)
            return
        if as_json:
            typer.echo(json.dumps({"count": len(claims), "claims": [c.model_dump() for c in claims]}))
            return
        if not claims:
            typer.echo("no claims found")
        for c in claims:
            dumped = c.model_dump(exclude={"text", "kind", "start", "end"})
            fields = {k: v for k, v in dumped.items() if v not in (None, {})}
            typer.echo(f"[{c.kind}] {c.text}\n    {fields}")

    @app.command("check")
    def check_cmd(claim: str | None = typer.Argument(None, help="the claim sentence (or give --claims)"),
                  evidence: str = typer.Option(..., "--evidence", help="evidence text file, or - for stdin"),
                  claims_file: str | None = typer.Option(None, "--claims", help=(
                      "file of claims, one a line or JSON lines with a \"text\" field; - for stdin")),
                  as_json: bool = typer.Option(False, "--json", help="print one JSON document")) -> None:
        """Check claims against the evidence text: SUPPORTED, CONTRADICTED or UNVERIFIED, and why."""
        try:
            from verifier.evidence import check_claims_against_text
            claims = _claims_given(claim, claims_file, evidence)
            text = _read(evidence)
            checker = _checker(get_settings())
            verdicts = check_claims_against_text(checker, claims, text,
                                                 paper_id=Path(evidence).name if evidence != "-" else "stdin")
        except (VerifierError, BadInput, OSError) as exc:
            _fail(exc)
            return
        except Exception as exc:  # boundary: an unexpected failure is exit 1 with one line, not a trace
            _fail(exc)
            return
        results = [{"claim": c, **v.model_dump(exclude={"attribution", "attribution_reasons"})}
                   for c, v in zip(claims, verdicts)]
        if as_json:
            typer.echo(json.dumps(results[0] if claims_file is None else {"count": len(results), "results": results}))
            return
        for c, v in zip(claims, verdicts):
            if claims_file is not None:
                typer.echo(c)
            typer.echo(f"{v.verdict} (confidence {v.confidence:.2f})")
            for r in v.reasons:
                typer.echo(f"  - {r}")
            if v.evidence:
                typer.echo(f"  evidence: {v.evidence[0].text}")

    return app


app = build_app()
