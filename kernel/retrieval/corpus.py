"""`import_snapshot`: stream arXiv snapshot files (JSON lines) into the `paper` table.

Streams line by line (the real dump is 2.7M records, ~4 GB); upserts in batches with one
`executemany` per batch; the lexical index follows through triggers (see `index.py`).
Idempotent: importing a file twice leaves the same rows (the second pass counts as updates).
A malformed line is counted with its line number and the import goes on; a missing file is
reported, the other files still import, and `MissingCorpusFile` is raised at the end.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from kernel.errors import BadInput
from kernel.retrieval.index import ensure_index
from kernel.retrieval.snapshot import MalformedRecord, paper_fields
from kernel.storage.db import retry_locked
from kernel.storage.models import Paper

BATCH = 2000
MAX_LISTED_MALFORMED = 50  # per file; the count is always complete
ImportProgress = Callable[[int, int, str], None]  # (bytes done, bytes total, file name)


class MissingCorpusFile(BadInput):
    """A corpus file that does not exist; `report` holds what the other files gave."""

    def __init__(self, message: str, report: "ImportReport"):
        super().__init__(message)
        self.report = report


@dataclass
class FileReport:
    path: str
    read: int = 0  # non-blank lines
    imported: int = 0  # papers new to the database
    updated: int = 0  # papers already there, rewritten
    malformed: int = 0
    malformed_lines: list[tuple[int, str]] = field(default_factory=list)  # (line no, why)
    error: str | None = None


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files)

    @property
    def updated(self) -> int:
        return sum(f.updated for f in self.files)

    @property
    def malformed(self) -> int:
        return sum(f.malformed for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        totals = {k: getattr(self, k) for k in ("read", "imported", "updated", "malformed")}
        return {**totals, "files": [asdict(f) for f in self.files]}


def _upsert_statement(engine: Engine):
    table = Paper.__table__
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    # file_sha256 belongs to `sovereign corpus add`: a metadata record never clears it.
    cols = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in ("id", "file_sha256")}
    return stmt.on_conflict_do_update(index_elements=["id"], set_=cols)


_COLUMNS = ("id", "version", "title", "authors", "abstract", "categories", "published",
            "updated", "pdf_url", "source")
_SQLITE_UPSERT = (
    f"INSERT INTO paper ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in _COLUMNS if c != "id")
)


def _sqlite_value(col: str, value: Any) -> Any:
    # Stored the way SQLAlchemy stores them (JSON text; "YYYY-MM-DD HH:MM:SS.ffffff"), so the
    # ORM reads rows written here; the raw driver call skips ~40% of the per-row overhead.
    if col in ("authors", "categories"):
        return json.dumps(value)
    if col in ("published", "updated") and value is not None:
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _write_batch(engine: Engine, stmt, rows: dict[str, dict[str, Any]], rep: FileReport) -> None:
    ids = list(rows)

    def write() -> int:
        with engine.begin() as conn:
            existing = 0
            for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
                chunk = ids[i : i + 500]
                existing += len(conn.execute(select(Paper.id).where(Paper.id.in_(chunk))).all())
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql(
                    _SQLITE_UPSERT,
                    [tuple(_sqlite_value(c, r[c]) for c in _COLUMNS) for r in rows.values()],
                )
            else:
                conn.execute(stmt, list(rows.values()))
            return existing

    existing = retry_locked(write)
    rep.updated += existing
    rep.imported += len(ids) - existing


class _BatchWriter:
    """Writes batches on a second thread while the caller parses the next one: sqlite3 and
    psycopg release the GIL while the database works, so parsing and indexing overlap on two
    cores. At most `depth` batches wait; a write error is raised in the caller's thread."""

    def __init__(self, engine: Engine, stmt, depth: int = 2):
        self._engine, self._stmt = engine, stmt
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="corpus-writer", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    _write_batch(self._engine, self._stmt, *item)
                except BaseException as exc:  # re-raised in the caller's thread
                    self._error = exc

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, rows: dict[str, dict[str, Any]], rep: FileReport) -> None:
        self._check()
        self._queue.put((rows, rep))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._check()


def upsert_papers(engine: Engine, rows: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Upsert `Paper` column dicts by id; returns (new, updated). Used by the arXiv cache too."""
    ensure_index(engine)
    by_id = {r["id"]: r for r in rows}
    rep = FileReport(path="")
    if by_id:
        _write_batch(engine, _upsert_statement(engine), by_id, rep)
    return rep.imported, rep.updated


def import_snapshot(
    engine: Engine, paths: Iterable[str | Path], progress: ImportProgress | None = None
) -> ImportReport:
    """Import snapshot files; see the module docstring for the guarantees."""
    ensure_index(engine)
    stmt = _upsert_statement(engine)
    paths = [Path(p) for p in paths]
    total = sum(p.stat().st_size for p in paths if p.is_file())
    report = ImportReport()
    writer = _BatchWriter(engine, stmt)
    try:
        _import_files(paths, writer, report, total, progress)
    finally:
        writer.close()
    missing = [f.path for f in report.files if f.error]
    if missing:
        raise MissingCorpusFile(
            f"corpus file not found: {', '.join(missing)} (the other files were imported)",
            report,
        )
    return report


def _import_files(paths, writer: _BatchWriter, report: ImportReport, total: int,
                  progress: ImportProgress | None) -> None:
    done = 0
    for path in paths:
        rep = FileReport(path=str(path))
        report.files.append(rep)
        if not path.is_file():
            rep.error = f"file not found: {path}"
            continue
        source = f"corpus:{path.name}"
        batch: dict[str, dict[str, Any]] = {}
        with path.open("rb") as fh:
            for lineno, line in enumerate(fh, start=1):
                done += len(line)
                if not line.strip():
                    continue
                rep.read += 1
                try:
                    fields = paper_fields(json.loads(line), source)
                except (ValueError, MalformedRecord) as exc:  # JSONDecodeError is a ValueError
                    rep.malformed += 1
                    if len(rep.malformed_lines) < MAX_LISTED_MALFORMED:
                        rep.malformed_lines.append((lineno, str(exc).splitlines()[0][:200]))
                    continue
                batch[fields["id"]] = fields
                if len(batch) >= BATCH:
                    writer.submit(batch, rep)
                    batch = {}
                    if progress:
                        progress(done, total, path.name)
        if batch:
            writer.submit(batch, rep)
        if progress:
            progress(done, total, path.name)
