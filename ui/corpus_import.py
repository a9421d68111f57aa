"""Importing arXiv snapshot files from a page, with a progress bar and a summary of what came in.

Shared by the Ask page (its "--corpus" option) and the Corpus page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from kernel.retrieval.corpus import ImportReport, MissingCorpusFile, import_snapshot
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
