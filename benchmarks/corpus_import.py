"""`corpus add` throughput: N generated PDFs into a fresh data home; prints one JSON document.

The script writes N papers (default 200) with fpdf2 into a temporary folder: each has a title,
authors, an abstract, numbered sections of seeded-random prose over an MoE-inference vocabulary
(default 8 pages) and a results table; every tenth file is named by an arXiv id whose
metadata record is imported first, so the merge path is timed too. It then adds the folder
with `kernel.retrieval.local_papers.add_papers` — the function behind `sovereign corpus add`
and the app's upload — into a fresh SQLite database, and adds it again (every file "already
present": the sha256 lookups alone).

    .venv/bin/python benchmarks/corpus_import.py [--files 200] [--pages 8] [--seed 0]

Needs fpdf2 (the `dev` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("expert experts cache caching offloading routing predictor token tokens batch GPU host "
         "memory bandwidth latency throughput decoding prefetch policy layer layers model Mixtral "
         "sparse gate gating eviction hit rate miss PCIe transfer kernel scheduler inference "
         "the a of to and in with for on we our is are by that this from each").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 22))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, n: int) -> str:
    return " ".join(sentence(rng) for _ in range(n))


def write_pdf(path: Path, rng: random.Random, i: int, pages: int) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    title = f"Paper {i}: " + " ".join(rng.choice(WORDS) for _ in range(6)).title()
    pdf.set_title(title)
    pdf.set_author(f"Author {i}, Second Author")
    pdf.add_page()

    def para(height: float, text: str, style: str = "", size: int = 10) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    para(7, title, "B", 14)
    para(5, f"Author {i}, Second Author")
    para(6, "Abstract", "B", 11)
    para(5, paragraph(rng, 6))
    section = 0
    while pdf.page_no() < pages:
        section += 1
        para(6, f"{section} " + " ".join(rng.choice(WORDS) for _ in range(2)).title(), "B", 11)
        for _ in range(3):
            para(5, paragraph(rng, 8))
    para(6, f"{section + 1} Evaluation", "B", 11)
    para(5, f"We use one NVIDIA A100 GPU over PCIe 4.0 x16, a cache of {rng.randint(4, 32)} experts "
            f"per layer and batch size {rng.choice((1, 4, 8, 16))}.")
    with pdf.table() as table:
        for cells in (("Policy", "Throughput (tok/s)"), ("LRU", f"{rng.uniform(2, 6):.1f}"),
                      ("Predictive", f"{rng.uniform(6, 12):.1f}")):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.output(str(path))


def generate(folder: Path, files: int, pages: int, seed: int) -> list[dict]:
    """Writes the PDFs; the metadata records of the arXiv-named ones."""
    rng = random.Random(seed)
    records = []
    for i in range(files):
        if i % 10 == 0:
            pid = f"2501.{i:05d}"
            name = f"{pid}v1.pdf"
            records.append({"id": pid, "title": f"Recorded paper {i}", "authors": "Someone Else",
                            "abstract": "A metadata record imported before the file is added.",
                            "categories": "cs.DC",
                            "versions": [{"version": "v1", "created": "Mon, 6 Jan 2025"}]})
        else:
            name = f"paper-{i:04d}.pdf"
        write_pdf(folder / name, rng, i, pages)
    return records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--pages", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["SOVEREIGN_HOME"] = str(tmp_path / "home")
        from kernel.retrieval.corpus import import_snapshot
        from kernel.retrieval.fulltext import FulltextStore
        from kernel.retrieval.local_papers import add_papers
        from kernel.settings import Settings
        from kernel.storage.db import make_engine

        folder = tmp_path / "papers"
        folder.mkdir()
        t0 = time.perf_counter()
        records = generate(folder, args.files, args.pages, args.seed)
        gen_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.iterdir())

        settings = Settings()
        settings.ensure_home()
        engine = make_engine(settings.db_url)
        snap = tmp_path / "records.jsonl"
        snap.write_text("".join(json.dumps(r) + "\n" for r in records))
        import_snapshot(engine, [snap])
        store = FulltextStore(settings.cache_dir)

        t0 = time.perf_counter()
        report = add_papers(engine, store, [folder])
        add_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = add_papers(engine, store, [folder])
        again_s = time.perf_counter() - t0
        chars = sum(len(store.cached(pid) or "") for pid in report.paper_ids)

    doc = {
        "files": args.files,
        "pages_per_file": args.pages,
        "megabytes": round(size / 1e6, 2),
        "seconds": round(add_s, 2),
        "files_per_s": round(args.files / add_s, 2),
        "pages_per_s": round(args.files * args.pages / add_s, 1),
        "text_chars": chars,
        "added": report.count("added"),
        "merged": report.count("merged"),
        "skipped": report.count("skipped"),
        "again_seconds": round(again_s, 3),
        "again_present": again.count("present"),
        "generate_seconds": round(gen_s, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        "command": "benchmarks/corpus_import.py " + " ".join(sys.argv[1:]),
    }
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
