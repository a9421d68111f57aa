"""Importing arXiv snapshot files, and adding the person's own papers (PDFs, text sources), from a
page, with a progress bar and a summary of what came in: the same functions, and the same
one-line results, as `sovereign corpus import` and `sovereign corpus add`.

Shared by the Ask page (its "--corpus" option) and the Corpus page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from kernel.retrieval.corpus import ImportReport, MissingCorpusFile, import_snapshot
from kernel.retrieval.fulltext import FulltextStore
from kernel.retrieval.local_papers import AddReport, NothingReadable, add_papers
from ui import backend


def import_files(paths: Sequence[Path]) -> ImportReport:
    """Import `paths` into the database, showing progress; MissingCorpusFile if one is absent
    (the others are imported first)."""
    bar = st.progress(0.0, text="importing…")

    def progress(done: int, total: int, name: str) -> None:
        bar.progress(min(done / total, 1.0) if total else 1.0, text=f"importing {name}")

    try:
        report = import_snapshot(backend.engine(), list(paths), progress=progress)
    except MissingCorpusFile as exc:
        bar.empty()
        show_report(exc.report)
        raise
    bar.empty()
    show_report(report)
    return report


def show_report(report: ImportReport) -> None:
    st.success(
        f"Imported {report.imported} new papers, updated {report.updated}, "
        f"skipped {report.malformed} malformed lines (read {report.read})."
    )
    for f in report.files:
        if f.malformed_lines:
            with st.expander(f"{Path(f.path).name}: {f.malformed} malformed lines"):
                st.table([{"line": n, "why": why} for n, why in f.malformed_lines])


def save_uploads(uploads, home: Path) -> list[Path]:
    """Keep uploaded papers in the data home, one folder per content hash, under their own
    names (an arXiv id in the name still matches; two files of one name never collide)."""
    import hashlib

    saved = []
    for up in uploads:
        data = up.getvalue()
        dest = home / "papers" / hashlib.sha256(data).hexdigest()[:12] / Path(up.name).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        saved.append(dest)
    return saved


def add_paper_files(paths: Sequence[Path], cache_dir: Path) -> AddReport:
    """Add the person's own papers (`sovereign corpus add`), showing progress and one line per
    file; MissingPaperPath / NothingReadable as the command raises them."""
    bar = st.progress(0.0, text="adding papers…")

    def progress(done: int, total: int, name: str) -> None:
        bar.progress(min(done / total, 1.0) if total else 1.0, text=f"adding {name}")

    try:
        report = add_papers(backend.engine(), FulltextStore(cache_dir), list(paths), progress=progress)
    except NothingReadable as exc:
        bar.empty()
        show_added(exc.report)
        raise
    bar.empty()
    show_added(report)
    return report


def show_added(report: AddReport) -> None:
    (st.success if report.paper_ids else st.error)(report.summary() + ".")
    for f in report.files:
        if f.status == "skipped":
            st.warning(f.line())
    done = [f for f in report.files if f.status != "skipped"]
    if done:
        with st.expander(f"{len(done)} papers now stored from these files", expanded=len(done) <= 5):
            for f in done:
                st.text(f.line())
