"""PDFs of short papers of our own, written with fpdf2, for the tests of `corpus add`: a good one
(title, abstract, an evaluation naming its hardware and settings, a results table), an encrypted
one, an image-only one (a scan without a text layer) and a truncated one."""

from __future__ import annotations

from pathlib import Path

import pytest

TITLE = "CacheFlow: Predictive Expert Caching for Offloaded MoE Inference"
ABSTRACT = (
    "We present CacheFlow, a predictive expert cache for Mixture-of-Experts inference with "
    "offloaded experts. CacheFlow predicts the experts of the next layers from the routing path "
    "and prefetches them over the host link. On Mixtral-8x7B it reaches 2.1x the decoding "
    "throughput of an LRU expert cache at the same GPU memory budget."
)
EVALUATION = (
    "We evaluate on one NVIDIA A100 80GB GPU connected to the host over PCIe 4.0 x16. The expert "
    "cache holds 16 experts per layer (about 22 GB), and requests are served at batch size 8 "
    "with 128 generated tokens each. Table 1 lists decoding throughput and expert hit rate."
)
RESULTS = [("Policy", "Throughput (tok/s)", "Hit rate (%)"),
           ("LRU cache", "4.3", "61.2"),
           ("CacheFlow", "9.0", "88.5")]


def fpdf():
    pytest.importorskip("fpdf", reason="fpdf2 writes the test PDFs: pip install -e '.[dev]'")
    from fpdf import FPDF

    return FPDF()


def _para(pdf, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def paper_pdf(path: Path, *, title: str = TITLE, abstract: str = ABSTRACT, evaluation: str = EVALUATION,
              first_line: str | None = None, metadata: dict[str, str] | None = None,
              password: str | None = None) -> Path:
    """A two-section paper with a results table; `password` encrypts it (a user password)."""
    pdf = fpdf()
    pdf.set_title(title)
    pdf.set_author("Ada Lovelace, Alan Turing")
    for key, value in (metadata or {}).items():
        getattr(pdf, f"set_{key}")(value)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    if first_line:
        _para(pdf, 5, first_line)
    pdf.set_font("Helvetica", "B", 14)
    _para(pdf, 7, title)
    pdf.set_font("Helvetica", size=10)
    _para(pdf, 5, "Ada Lovelace, Alan Turing")
    pdf.ln(3)
    for heading, body in (("Abstract", abstract),
                          ("1 Introduction", "Experts that do not fit in GPU memory are offloaded to "
                                             "the host and fetched on demand, which stalls decoding."),
                          ("2 Evaluation", evaluation)):
        pdf.set_font("Helvetica", "B", 11)
        _para(pdf, 6, heading)
        pdf.set_font("Helvetica", size=10)
        _para(pdf, 5, body)
        pdf.ln(2)
    with pdf.table() as table:
        for cells in RESULTS:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    _para(pdf, 5, "Table 1: Decoding throughput and expert hit rate on Mixtral-8x7B.")
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    pdf.output(str(path))
    return path


def image_only_pdf(path: Path) -> Path:
    """A scanned page: one image, no text layer."""
    from PIL import Image

    pdf = fpdf()
    pdf.add_page()
    pdf.image(Image.new("L", (400, 560), 235), x=10, y=10, w=190)
    pdf.output(str(path))
    return path


def truncated_pdf(path: Path, source: Path) -> Path:
    """The first half of the bytes of `source` (a download cut off)."""
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path
