"""`sovereign corpus add` and `ask --papers`: the researcher's own PDFs and text sources become
papers read in full, through the real command on a tmp SOVEREIGN_HOME."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from kernel.retrieval.fulltext import FulltextStore
from kernel.settings import Settings
from kernel.storage.models import Paper, Passage, Run, RunPaper

from .paper_pdfs import TITLE, image_only_pdf, paper_pdf, truncated_pdf

EXPERTFLOW = {
    "id": "2410.17954", "authors": "Xin He, Shunkang Zhang, Yuxin Wang",
    "title": "ExpertFlow: Optimized Expert Activation and Token Allocation for Efficient "
             "Mixture-of-Experts Inference",
    "abstract": "Sparse Mixture of Experts (MoE) models offer strong performance. ExpertFlow "
                "predicts routing paths and caches experts.",
    "categories": "cs.LG", "versions": [{"version": "v1", "created": "Wed, 23 Oct 2024"}],
}
OTHERS = [
    {"id": f"2401.0000{i}", "authors": f"Author {i}", "title": title, "abstract": abstract,
     "categories": "cs.DC", "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024"}]}
    for i, (title, abstract) in enumerate([
        ("An LRU expert cache for offloaded MoE inference",
         "We keep recently used experts in GPU memory with an LRU expert cache for MoE inference."),
        ("Prefetching experts for MoE inference on consumer GPUs",
         "Expert prefetching hides the host link latency of offloaded Mixture-of-Experts models."),
        ("Expert caching policies compared for Mixtral offloading",
         "We compare expert caching policies for MoE inference with offloaded experts."),
    ], start=1)
]
SOIL = """# Soil Moisture Sensing with Capacitive Probes

## Abstract

We calibrate capacitive soil moisture probes against gravimetric samples in three soils.

## Method

Probes were buried at 10 cm and read every hour for 30 days.
"""


@pytest.fixture
def home(sovereign_home) -> Path:
    return sovereign_home


def cli(*args: str):
    from kernel.retrieval.cli import app

    return CliRunner().invoke(app, list(args))


def engine():
    from kernel.storage.db import make_engine

    return make_engine(Settings().db_url)


def papers() -> dict[str, Paper]:
    with Session(engine()) as s:
        return {p.id: p for p in s.exec(select(Paper)).all()}


def cached(paper_id: str) -> str | None:
    return FulltextStore(Settings().cache_dir).cached(paper_id)


def snapshot(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_pdf_becomes_a_paper_with_its_text_and_a_second_add_changes_nothing(home, tmp_path):
    pdf = paper_pdf(tmp_path / "cacheflow.pdf")
    res = cli("add", str(pdf))
    assert res.exit_code == 0, res.output
    pid = f"local:{sha(pdf)[:12]}"
    assert f"added {pdf}: {pid}" in res.output
    paper = papers()[pid]
    assert paper.title == TITLE
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.abstract.startswith("We present CacheFlow") and paper.abstract.endswith("memory budget.")
    assert (paper.source, paper.file_sha256, paper.pdf_url) == ("file:cacheflow.pdf", sha(pdf), None)
    text = " ".join(cached(pid).split())  # PDF lines wrap anywhere
    for fact in ("NVIDIA A100 80GB", "PCIe 4.0 x16", "16 experts per layer", "batch size 8",
                 "CacheFlow 9.0 88.5"):
        assert fact in text
    before = papers()[pid].model_dump()

    again = cli("add", str(pdf), "--json")
    assert again.exit_code == 0, again.output
    doc = json.loads(again.stdout)
    assert (doc["added"], doc["present"], doc["paper_ids"]) == (0, 1, [pid])
    assert len(papers()) == 1 and papers()[pid].model_dump() == before
    # The paper is searchable like any other.
    found = cli("search", "predictive expert caching offloaded", "--lexical", "--json")
    assert pid in [r["id"] for r in json.loads(found.stdout)["results"]]


def test_an_arxiv_id_in_the_file_name_merges_with_the_metadata_record(home, tmp_path):
    assert cli("import", str(snapshot(tmp_path / "meta.jsonl", [EXPERTFLOW]))).exit_code == 0
    pdf = paper_pdf(tmp_path / "2410.17954v2.pdf")
    res = cli("add", str(pdf))
    assert res.exit_code == 0, res.output
    assert "merged" in res.output and "2410.17954" in res.output and "file name" in res.output
    paper = papers()["2410.17954"]
    assert paper.title == EXPERTFLOW["title"]  # the record's metadata stays
    assert paper.authors == ["Xin He", "Shunkang Zhang", "Yuxin Wang"]
    assert paper.abstract.startswith("Sparse Mixture of Experts")
    assert (paper.source, paper.file_sha256) == ("file:2410.17954v2.pdf", sha(pdf))
    assert "NVIDIA A100 80GB" in cached("2410.17954")
    assert len(papers()) == 1
    # Importing the metadata again keeps the file's hash: the file is still "already present".
    assert cli("import", str(tmp_path / "meta.jsonl")).exit_code == 0
    assert papers()["2410.17954"].file_sha256 == sha(pdf)
    assert "already present" in cli("add", str(pdf)).output


@pytest.mark.parametrize("where, kwargs", [
    ("PDF metadata", {"metadata": {"subject": "arXiv:2502.01234v1 [cs.DC]"}}),
    ("first page", {"first_line": "arXiv:2502.01234v1 [cs.DC] 3 Feb 2025"}),
])
def test_an_arxiv_id_from_the_pdf_metadata_or_first_page(home, tmp_path, where, kwargs):
    pdf = paper_pdf(tmp_path / "cacheflow.pdf", **kwargs)
    res = cli("add", str(pdf))
    assert res.exit_code == 0, res.output
    assert f"arXiv id from the {where}" in res.output
    paper = papers()["2502.01234"]
    assert paper.title == TITLE and paper.version == "v1"
    assert paper.pdf_url == "https://arxiv.org/pdf/2502.01234"


def test_a_folder_with_bad_files_names_each_in_one_line_and_imports_the_rest(home, tmp_path):
    folder = tmp_path / "papers"
    (folder / "drafts").mkdir(parents=True)
    good = paper_pdf(folder / "cacheflow.pdf")
    (folder / "drafts" / "soil.md").write_text(SOIL)
    bad = {
        "locked.pdf": (paper_pdf(folder / "locked.pdf", password="s3cret"), "encrypted PDF",
                       "decrypt it first"),
        "scan.pdf": (image_only_pdf(folder / "scan.pdf"), "no text layer", "run OCR first"),
        "half.pdf": (truncated_pdf(folder / "half.pdf", good), "damaged or truncated PDF",
                     "download or export it again"),
        "notes.pdf": (folder / "notes.pdf", "not a PDF", "rename it"),
    }
    (folder / "notes.pdf").write_text("meeting notes, not a PDF at all")
    (folder / "figure.png").write_bytes(b"\x89PNG\r\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    res = cli("add", str(folder))
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    for name, (_, problem, advice) in bad.items():
        mine = [line for line in lines if name in line]
        assert len(mine) == 1 and problem in mine[0] and advice in mine[0], (name, mine)
        assert mine[0].startswith("skipped ")
    assert ("2 added, 0 merged with an arXiv record, 0 already present, 4 skipped; "
            "1 files of other types ignored (.png)") in res.output
    stored = papers()
    assert {p.source for p in stored.values()} == {"file:cacheflow.pdf", "file:soil.md"}
    soil = next(p for p in stored.values() if p.source == "file:soil.md")
    assert soil.title == "Soil Moisture Sensing with Capacitive Probes"
    assert soil.abstract.startswith("We calibrate capacitive soil moisture probes")
    assert "1 Method" in cached(soil.id)  # a heading the passage splitter finds


@pytest.mark.skipif(os.name != "posix", reason="file modes and UNIX sockets are POSIX")
def test_an_unreadable_file_is_skipped_with_its_reason(home, tmp_path):
    import socket

    good = paper_pdf(tmp_path / "cacheflow.pdf")
    locked = tmp_path / "private.pdf"
    if os.geteuid() != 0:
        paper_pdf(locked, title="Another paper about expert caches").chmod(0)
        holder = None
    else:  # root reads any file whatever its mode; a socket under a .pdf name cannot be read
        holder = socket.socket(socket.AF_UNIX)
        holder.bind(str(locked))
    try:
        res = cli("add", str(good), str(locked))
    finally:
        if holder is not None:
            holder.close()
        else:
            locked.chmod(0o600)
    assert res.exit_code == 0, res.output
    mine = [line for line in res.output.splitlines() if "private.pdf" in line]
    assert len(mine) == 1 and "cannot be read" in mine[0] and "permissions" in mine[0], mine
    assert "1 added" in res.output and "1 skipped" in res.output


def test_nothing_readable_or_a_missing_path_exits_2_and_stores_nothing(home, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    good = paper_pdf(tmp_path / "good.pdf")
    image_only_pdf(folder / "scan.pdf")
    truncated_pdf(folder / "half.pdf", good)
    paper_pdf(folder / "locked.pdf", password="pw")
    res = cli("add", str(folder))
    assert res.exit_code == 2
    assert sum(line.startswith("skipped ") for line in res.output.splitlines()) == 3
    assert "none of the 3 files could be read" in res.output
    missing = cli("add", str(good), str(tmp_path / "absent"))
    assert missing.exit_code == 2
    assert [line for line in missing.output.splitlines() if line.startswith("error:")] == [
        f"error: not found: {tmp_path / 'absent'}; give existing PDF files, text sources "
        "(.txt, .md, .markdown, .tex) or folders of them (nothing was added)"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("add", str(empty)).exit_code == 2
    assert papers() == {}


def test_a_latex_source_gives_title_authors_abstract_and_numbered_sections(home, tmp_path):
    tex = tmp_path / "cacheflow.tex"
    tex.write_text(r"""\documentclass{article}
\title{CacheFlow in \LaTeX{}: Expert Caching}
\author{Ada Lovelace \and Alan Turing}
\begin{document}
\maketitle
\begin{abstract}
We cache experts by predicted demand. % a comment that must not appear
\end{abstract}
\section{Introduction}
Offloading experts saves memory~\cite{moe}.
\section{Evaluation}
We use one NVIDIA A100 GPU over PCIe 4.0 at batch size 8.
\begin{tabular}{lr}
Policy & Throughput \\
CacheFlow & 9.0 \\
\end{tabular}
\end{document}
""")
    assert cli("add", str(tex)).exit_code == 0
    (paper,) = papers().values()
    assert paper.title == "CacheFlow in LaTeX: Expert Caching"
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.abstract == "We cache experts by predicted demand."
    text = cached(paper.id)
    assert "\n1 Introduction\n" in text and "\n2 Evaluation\n" in text
    assert "CacheFlow | 9.0" in text and "comment" not in text and "\\cite" not in text


def test_a_database_without_the_hash_column_is_migrated(tmp_path):
    import sqlite3

    from sqlalchemy import create_engine, inspect

    from kernel.retrieval.local_papers import add_papers
    from kernel.storage.db import create_schema

    path = tmp_path / "old.sqlite"
    old = create_engine(f"sqlite:///{path}")
    create_schema(old)
    with Session(old) as s:
        s.add(Paper(id="2410.17954", title="ExpertFlow"))
        s.commit()
    old.dispose()
    with sqlite3.connect(path) as db:  # the table as an older release made it
        db.execute("DROP INDEX ix_paper_file_sha256")
        db.execute("ALTER TABLE paper DROP COLUMN file_sha256")
    eng = create_engine(f"sqlite:///{path}")
    create_schema(eng)
    assert "file_sha256" in {c["name"] for c in inspect(eng).get_columns("paper")}
    pdf = paper_pdf(tmp_path / "2410.17954.pdf")
    report = add_papers(eng, FulltextStore(tmp_path / "cache"), [pdf])
    assert report.count("merged") == 1
    with Session(eng) as s:
        assert s.get(Paper, "2410.17954").file_sha256 == sha(pdf)


def test_chosen_papers_are_always_among_the_runs_papers(sovereign_home, tmp_path, shared_clients):
    """retrieve ranks the chosen papers with the others and keeps them whatever their rank;
    read then reads them in full from the cached text, offline."""
    from kernel.flow.context import StageContext
    from kernel.flow.nodes.read import read
    from kernel.flow.nodes.retrieve import retrieve
    from kernel.retrieval.corpus import import_snapshot
    from kernel.retrieval.local_papers import add_papers

    settings = Settings(offline=True)
    settings.retrieval.papers_per_run = 2
    settings.ensure_home()
    ctx = StageContext(settings)
    ctx._cache.update(shared_clients)
    rt = SimpleNamespace(context=ctx)
    import_snapshot(ctx.engine, [snapshot(tmp_path / "meta.jsonl", [EXPERTFLOW, *OTHERS])])
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "soil.md").write_text(SOIL)
    chosen = add_papers(ctx.engine, FulltextStore(settings.cache_dir), [folder]).paper_ids
    question = "How does predictive expert caching compare to an LRU expert cache for MoE inference?"
    with Session(ctx.engine) as s:
        run = Run(question=question, settings={"run": {"papers": chosen}})
        s.add(run)
        s.commit()
        run_id = run.id
    state = {"run_id": run_id, "question": question, "offline": True,
             "queries": ["expert caching MoE inference", "LRU expert cache"], "key_terms": []}
    retrieve(state, rt)
    with Session(ctx.engine) as s:
        rows = s.exec(select(RunPaper).where(RunPaper.run_id == run_id).order_by(RunPaper.rank)).all()
    assert len(rows) == 3 and rows[-1].paper_id == chosen[0]  # 2 found + the chosen, ranked last
    assert rows[-1].query == "(your papers: --papers)"
    assert [r.rank for r in rows] == [1, 2, 3]
    out = read(state, rt)
    with Session(ctx.engine) as s:
        full = {p.paper_id for p in s.exec(select(Passage).where(Passage.kind == "fulltext")).all()}
    assert full == set(chosen)
    note = next(n for n in out["notes"] if "abstract only" in n)
    assert chosen[0] not in note and rows[0].paper_id in note


def sovereign(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOVEREIGN_")}
    env["SOVEREIGN_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "kernel.cli", *args], capture_output=True,
                          text=True, env=env, timeout=900)


def test_ask_with_a_missing_papers_folder_exits_2_before_any_run(tmp_path):
    home = tmp_path / "home"
    done = sovereign(home, "ask", "How do expert caches work?", "--offline", "--papers",
                     str(tmp_path / "absent"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: not found: {tmp_path / 'absent'}")
    from kernel.storage.db import make_engine

    with Session(make_engine(f"sqlite:///{home / 'sovereign.sqlite'}")) as s:
        assert s.exec(select(func.count()).select_from(Run)).one() == 0


@pytest.mark.slow
def test_ask_offline_with_papers_reads_them_in_full_and_says_so(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    pdf = paper_pdf(folder / "cacheflow.pdf")
    paper_pdf(folder / "broken.pdf", password="pw")
    home = tmp_path / "home"
    corpus = snapshot(tmp_path / "meta.jsonl", [EXPERTFLOW, *OTHERS])
    added = sovereign(home, "corpus", "add", str(folder))  # the person's folder, added first
    assert added.returncode == 0 and "1 added" in added.stdout and "1 skipped" in added.stdout, added
    done = sovereign(home, "ask", "How does CacheFlow's predictive expert caching compare to an LRU "
                     "expert cache for MoE inference?", "--offline", "--corpus", str(corpus),
                     "--papers", str(folder), "--no-empirical", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "skipped" in done.stderr and "broken.pdf" in done.stderr and "decrypt it first" in done.stderr
    summary = json.loads(done.stdout)
    pid = f"local:{sha(pdf)[:12]}"
    from kernel.storage.db import make_engine

    eng = make_engine(f"sqlite:///{home / 'sovereign.sqlite'}")
    with Session(eng) as s:
        ids = s.exec(select(RunPaper.paper_id).where(RunPaper.run_id == summary["run_id"])).all()
        n_full = s.exec(select(func.count()).select_from(Passage).where(
            Passage.paper_id == pid, Passage.kind == "fulltext")).one()
    assert pid in ids and n_full >= 2
    from kernel.storage.models import Claim, PaperSetupRow

    with Session(eng) as s:  # read by section and table, its setup stored with its passage
        kinds = set(s.exec(select(Passage.section_kind).where(Passage.paper_id == pid)).all())
        table = s.exec(select(Passage).where(Passage.paper_id == pid, Passage.kind == "table")).one()
        rows = s.exec(select(Claim).where(Claim.run_id == summary["run_id"],
                                          Claim.passage_id == table.id)).all()
        setup = s.get(PaperSetupRow, pid)
    assert {"abstract", "introduction", "evaluation"} <= kinds
    assert "CacheFlow" in table.text and "88.5" in table.text
    facts = {(c.system, c.metric, c.value) for c in rows}
    assert {("CacheFlow", "throughput", 9.0), ("CacheFlow", "hit rate", 88.5),
            ("Cache-MoE", "throughput", 4.3)} <= facts
    assert setup is not None and setup.fields["hardware"]["value"] == "A100"
    assert setup.fields["batch_size"]["value"] == 8 and setup.fields["cache_size"]["value"] == 16
    assert "PCIe 4.0" in setup.fields["interconnect"]["value"] and setup.fields["batch_size"]["passage_id"]
    report = Path(summary["report"]).read_text()
    method = report[report.index("## Methodology"):].split("\n## ", 1)[0]
    full = re.search(r"Read in full text: (.*?)\. \[", method)[1]
    assert pid in full and "CacheFlow" in full
    abstract_only = re.search(r"Read from the abstract only: (.*?)\. \[", method)[1]
    assert "2410.17954" in abstract_only and pid not in abstract_only
