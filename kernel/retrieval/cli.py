"""`sovereign corpus ...`: import arXiv metadata snapshots, add your own papers (PDFs, text
sources), and search everything stored.

Exit status: 0 done, 2 bad input (one line on stderr), 1 any other failure. `--json` prints one
JSON document on stdout and nothing else there; progress goes to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from kernel.errors import USER_ERRORS, BadInput, SovereignError

app = typer.Typer(no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)


def _fail(exc: SovereignError | BadInput) -> typer.Exit:
    err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(exc.exit_code)


def _engine():
    from kernel.settings import Settings
    from kernel.storage.db import make_engine

    settings = Settings()
    settings.ensure_home()
    return settings, make_engine(settings.db_url)


def _print_report(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict()))
        return
    table = Table("file", "read", "new", "updated", "malformed")
    for f in report.files:
        table.add_row(f.path, *(str(x) for x in (f.read, f.imported, f.updated, f.malformed)))
    out.print(table)
    for f in report.files:
        for lineno, why in f.malformed_lines:
            err.print(f"{f.path}:{lineno}: skipped malformed line: {why}", markup=False)
        if f.malformed > len(f.malformed_lines):
            err.print(f"{f.path}: {f.malformed - len(f.malformed_lines)} more malformed lines")


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="snapshot files (JSON lines)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Import arXiv metadata (Kaggle `arxiv-metadata-oai-snapshot` JSON lines); idempotent."""
    from kernel.retrieval.corpus import MissingCorpusFile, import_snapshot

    try:
        _, engine = _engine()
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task("importing", total=None)

            def progress(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=name)

            report = import_snapshot(engine, files, progress=progress)
    except MissingCorpusFile as exc:
        _print_report(exc.report, as_json)
        raise _fail(exc) from None
    except USER_ERRORS as exc:
        raise _fail(exc) from None
    _print_report(report, as_json)


@app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(
        help="PDF files, .txt/.md/.tex sources, or folders of them (searched recursively)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Add your own papers (PDFs, text sources, folders of them), read in full by later runs.

    Each file becomes a paper whose full text later runs read, offline too. A file named like
    an arXiv id (2410.17954v2.pdf), or whose PDF metadata or first page gives one, is merged
    with that arXiv record. Adding a file again changes nothing. A file that cannot be read
    (encrypted, scanned, damaged) is skipped with one line saying what to do; exit status 2
    only when no file at all could be read or a path does not exist."""
    from kernel.retrieval.fulltext import FulltextStore
    from kernel.retrieval.local_papers import NothingReadable, add_papers

    try:
        settings, engine = _engine()
        store = FulltextStore(settings.cache_dir)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True,
                      disable=as_json or not err.is_terminal) as bar:
            task = bar.add_task("adding", total=None)

            def progress(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=name[:40])

            report = add_papers(engine, store, paths, progress=progress)
    except NothingReadable as exc:
        _print_added(exc.report, as_json)
        raise _fail(exc) from None
    except USER_ERRORS as exc:
        raise _fail(exc) from None
    _print_added(report, as_json)


def _print_added(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict()))
        return
    for f in report.files:
        # Skipped files on stderr (what to fix), the rest on stdout (what came in).
        (err if f.status == "skipped" else out).print(f.line(), markup=False, highlight=False,
                                                      soft_wrap=True)
    out.print(report.summary(), markup=False, highlight=False, soft_wrap=True)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="a question or keywords")],
    k: Annotated[int, typer.Option("-k", min=1, max=200, help="results to show")] = 10,
    lexical: Annotated[bool, typer.Option("--lexical", help="skip the dense rerank")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print results as JSON")] = False,
) -> None:
    """Search every stored paper (imported corpora and the arXiv cache), hybrid-ranked."""
    from sqlmodel import Session, col, select

    from kernel.errors import NoSourcesError
    from kernel.retrieval import has_local_papers
    from kernel.retrieval.embedders import make_embedder
    from kernel.retrieval.fusion import hybrid_rank
    from kernel.retrieval.planning import plan_queries, system_names
    from kernel.retrieval.vector_cache import VectorCache
    from kernel.storage.models import Paper

    try:
        settings, engine = _engine()
        if not has_local_papers(engine):
            raise NoSourcesError(
                "nothing to search: no papers are stored yet; run `sovereign corpus import FILE` "
                "(arXiv metadata snapshot JSON lines) or ask a question online first"
            )
        plan = plan_queries(query, settings.retrieval.queries)
        embedder = None if lexical else make_embedder(settings.retrieval)
        cache = VectorCache(settings.cache_dir / "embeddings.sqlite")
        ranked = hybrid_rank(engine, query, plan.queries, names=system_names(plan.key_terms),
                             embedder=embedder, cache=cache, keep=k)
    except USER_ERRORS as exc:
        raise _fail(exc) from None
    with Session(engine) as s:
        ids = [r.paper_id for r in ranked]
        papers = {p.id: p for p in s.exec(select(Paper).where(col(Paper.id).in_(ids))).all()}
    rows = [
        {"rank": i, "id": r.paper_id, "score": round(r.score, 4), "title": papers[r.paper_id].title,
         "query": r.query, "source": papers[r.paper_id].source}
        for i, r in enumerate(ranked, start=1)
    ]
    if as_json:
        print(json.dumps({"query": query, "queries": plan.queries, "results": rows}))
        return
    table = Table("#", "id", "score", "title")
    for row in rows:
        table.add_row(str(row["rank"]), row["id"], f"{row['score']:.3f}", row["title"])
    out.print(table)
