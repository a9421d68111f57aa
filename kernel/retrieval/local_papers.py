"""`add_papers`: the researcher's own files (PDFs, folders of them, .txt/.md/.tex sources) become
papers whose full text the read stage finds, offline too.

For each file, in order:

1. its sha256 is looked up in `Paper.file_sha256`: found -> "already present", nothing written;
2. it is read (`documents.read_document`); a file that cannot be read is skipped with one line
   naming the problem and what to do, and the others go on;
3. its paper id is the arXiv id that the file name, the PDF metadata or the first page gives
   (in that order), else ``local:<first 12 hex of the sha256>``;
4. an existing record with that id is merged: its title, authors and abstract stay, the file's
   text and hash are added ("merged"); otherwise a new paper is made from the file: title from
   the PDF metadata or the first line, abstract from an "Abstract" section, else the opening
   lines ("added");
5. the text goes into the full-text cache (`FulltextStore.store`) before the row is committed,
   one file per transaction, so an interrupted add loses nothing already added and a re-run
   finishes the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from kernel.errors import BadInput
from kernel.retrieval.arxiv_ids import pdf_url
from kernel.retrieval.documents import SUFFIXES, Document, UnreadableFile, read_bytes, read_document
from kernel.retrieval.fulltext import FulltextStore
from kernel.retrieval.index import ensure_index
from kernel.storage.db import retry_locked, session_scope, transact
from kernel.storage.models import Paper

AddProgress = Callable[[int, int, str], None]  # (files done, files total, file name)
STATUSES = ("added", "merged", "present", "skipped")
OPENING_CHARS = 1200  # the stand-in abstract of a file without an "Abstract" section


class MissingPaperPath(BadInput):
    """A path given to `corpus add` / `--papers` that does not exist; nothing was added."""


class NothingReadable(BadInput):
    """No file could be read at all; `report` says why for each."""

    def __init__(self, message: str, report: "AddReport"):
        super().__init__(message)
        self.report = report


@dataclass
class FileOutcome:
    path: str
    status: str  # added | merged | present | skipped
    paper_id: str | None = None
    title: str = ""
    detail: str = ""  # why it was skipped, or where its arXiv id came from

    def line(self) -> str:
        """One line for the person who added the file."""
        title = f" “{self.title[:80]}”" if self.title else ""
        if self.status == "skipped":
            return f"skipped {self.path}: {self.detail}"
        if self.status == "present":
            return f"already present {self.path}: {self.paper_id}{title}"
        if self.status == "merged":
            return f"merged {self.path} with the arXiv record {self.paper_id}{title} ({self.detail})"
        return f"added {self.path}: {self.paper_id}{title}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class AddReport:
    files: list[FileOutcome] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files of other types found in folders

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def paper_ids(self) -> list[str]:
        """The papers these files are now, in the order given, each once."""
        return list(dict.fromkeys(f.paper_id for f in self.files if f.paper_id and f.status != "skipped"))

    def summary(self) -> str:
        s = (f"{self.count('added')} added, {self.count('merged')} merged with an arXiv record, "
             f"{self.count('present')} already present, {self.count('skipped')} skipped")
        if self.ignored:
            kinds = sorted({Path(p).suffix.lower() or "(no extension)" for p in self.ignored})
            s += f"; {len(self.ignored)} files of other types ignored ({', '.join(kinds[:6])})"
        return s

    def to_dict(self) -> dict[str, Any]:
        return {**{s: self.count(s) for s in STATUSES}, "ignored": self.ignored,
                "paper_ids": self.paper_ids, "files": [asdict(f) for f in self.files]}


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def collect(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """(files to add, files of other types inside the folders). A file named explicitly is
    always tried (an unsupported one is then skipped with the reason); folders are walked
    recursively, hidden entries left out. Raises MissingPaperPath before anything is added."""
    given = [Path(p).expanduser() for p in paths]
    missing = [str(p) for p in given if not p.exists()]
    if missing:
        raise MissingPaperPath(
            f"not found: {', '.join(missing)}; give existing PDF files, text sources "
            f"({', '.join(SUFFIXES[1:])}) or folders of them (nothing was added)"
        )
    files: dict[Path, None] = {}
    ignored: dict[Path, None] = {}
    for p in given:
        if not p.is_dir():
            files.setdefault(p, None)
            continue
        for f in sorted(p.rglob("*")):
            if not f.is_file() or _hidden(f, p):
                continue
            (files if f.suffix.lower() in SUFFIXES else ignored).setdefault(f, None)
    return list(files), [f for f in ignored if f not in files]


def _opening(text: str, title: str) -> str:
    """A stand-in abstract: the first lines after the title, cut at a sentence end."""
    body = text[len(title):] if text.startswith(title) else text
    body = " ".join(body[: OPENING_CHARS * 2].split())[:OPENING_CHARS]
    cut = max(body.rfind(". "), body.rfind(".\n"))
    return body[: cut + 1] if cut > OPENING_CHARS // 3 else body


def _ensure_hash_index(engine: Engine) -> None:
    # create_all makes it for new databases; one migrated by create_schema lacks it.
    def make() -> None:
        with engine.begin() as conn:
            conn.execute(sql("CREATE INDEX IF NOT EXISTS ix_paper_file_sha256 ON paper (file_sha256)"))

    retry_locked(make)


def _store(engine: Engine, store: FulltextStore, path: Path, shown: str, sha: str,
           doc: Document) -> FileOutcome:
    pid = doc.arxiv_id or f"local:{sha[:12]}"
    source = f"file:{path.name}"

    def write(s: Session) -> FileOutcome:
        paper = s.get(Paper, pid)
        if paper is not None and doc.arxiv_id:
            detail = f"arXiv id from the {doc.id_from}"
            if paper.file_sha256 and paper.source.startswith("file:"):
                detail += f"; its text replaces the one from {paper.source[5:]}"
            paper.abstract = paper.abstract or doc.abstract or _opening(doc.text, doc.title)
            outcome = FileOutcome(shown, "merged", pid, paper.title, detail)
        else:  # a new paper (a local id is its file's hash, so it is new here too)
            paper = paper or Paper(id=pid, title=doc.title)
            paper.title = doc.title
            paper.authors = doc.authors
            paper.abstract = doc.abstract or _opening(doc.text, doc.title)
            paper.version = doc.version
            paper.pdf_url = pdf_url(pid) if doc.arxiv_id else None
            detail = f"arXiv id from the {doc.id_from}; no metadata record yet" if doc.arxiv_id else ""
            outcome = FileOutcome(shown, "added", pid, doc.title, detail)
        paper.file_sha256 = sha
        paper.source = source
        store.store(pid, doc.text)  # before the commit: a committed row always has its text
        s.add(paper)
        return outcome

    return transact(engine, write)


def add_file(engine: Engine, store: FulltextStore, path: Path, shown: str | None = None,
             *, retry: bool = True) -> FileOutcome:
    """Add one file (see the module docstring); never raises for a bad file."""
    shown = shown or str(path)
    try:
        data = read_bytes(path)
    except UnreadableFile as exc:
        return FileOutcome(shown, "skipped", detail=str(exc))
    sha = hashlib.sha256(data).hexdigest()
    with session_scope(engine) as s:
        known = s.exec(select(Paper.id, Paper.title).where(Paper.file_sha256 == sha)).first()
    if known is not None:
        return FileOutcome(shown, "present", known[0], known[1])
    try:
        doc = read_document(path, data)
    except UnreadableFile as exc:
        return FileOutcome(shown, "skipped", detail=str(exc))
    try:
        return _store(engine, store, path, shown, sha, doc)
    except IntegrityError:  # another process added the same paper meanwhile: it is there now
        if not retry:
            raise
        return add_file(engine, store, path, shown, retry=False)


def _shown(path: Path, roots: Sequence[Path]) -> str:
    """The path as the person gave it: relative to the folder it was found in."""
    for root in roots:
        if root.is_dir() and path.is_relative_to(root):
            return str(root / path.relative_to(root))
    return str(path)


def add_papers(engine: Engine, store: FulltextStore, paths: Iterable[str | Path],
               progress: AddProgress | None = None) -> AddReport:
    """Add every file under `paths`; raises MissingPaperPath (nothing added) when a path does
    not exist and NothingReadable (with the report) when not one file could be read."""
    roots = [Path(p).expanduser() for p in paths]
    files, ignored = collect(roots)
    report = AddReport(ignored=[str(p) for p in ignored])
    if not files:
        raise NothingReadable(
            f"no PDF or text source ({', '.join(SUFFIXES)}) in {', '.join(map(str, roots))}"
            + (f" ({len(ignored)} files of other types)" if ignored else "")
            + "; point at the folder that holds your papers", report)
    ensure_index(engine)
    _ensure_hash_index(engine)
    for i, path in enumerate(files, start=1):
        report.files.append(add_file(engine, store, path, _shown(path, roots)))
        if progress:
            progress(i, len(files), path.name)
    if not report.paper_ids:
        n = report.count("skipped")
        raise NothingReadable(
            f"none of the {n} files could be read (see the lines above); fix them as they say "
            "and add them again", report)
    return report

