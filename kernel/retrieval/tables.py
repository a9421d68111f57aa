"""Tables in a paper's full text: found, cut into header and rows, kept with their caption.

Three renderings are read:

* pypdf's text of a PDF table: one line per row, cells joined by spaces, a header line above
  the rows and a caption line ("Table 3: ...", "TABLE III. ...") just above or below. Rows are
  lines ending in number cells ("Mixtral-8x7B 2/8 1.99×"); a table is only taken when a
  caption is near, so a run of numbered lines in prose is not read as one.
* Tables with "|" between cells: Markdown (a header row, a ``|---|`` rule, rows), and LaTeX
  sources turned to text by ``kernel.retrieval.documents`` (rows a blank line apart).
* LaTeX ``tabular`` environments (``&`` between cells, ``\\`` between rows), with the
  ``\\caption`` of the table around them.

Each table comes back with its character span in the text; the passages of prose skip it and
the table becomes a passage of its own (``verifier.tables.render``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from verifier.aliases import find_mentions
from verifier.tables import SETTING_HEADERS, Table

_CAPTION = re.compile(r"^\s*(?P<label>(?:Table|TABLE|Tab\.)\s*(?:\d+|[IVXL]+|[A-Z]\.?\d+))\s*[:.|—-]?\s*(?P<text>.*)$")
_NUMBER_CELL = re.compile(r"^[<>~≈±]?-?\d[\d,]*(?:\.\d+)?(?:/\d+)?(?:×|x|%|ms|s|GB|MB|K|M|B)?(?:±\d+(?:\.\d+)?)?\*?$|"
                          r"^[-–—]$")
_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LATEX_TABLE = re.compile(r"\\begin\{table\*?\}(?P<body>.*?)\\end\{table\*?\}", re.S)
_LATEX_TABULAR = re.compile(r"\\begin\{tabular\*?\}(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})+"
                            r"(?P<body>.*?)\\end\{tabular\*?\}", re.S)
_LATEX_CAPTION = re.compile(r"\\caption\{(?P<text>(?:[^{}]|\{[^{}]*\})*)\}")
_LATEX_RULES = re.compile(r"\\(?:hline|toprule|midrule|bottomrule|cline\{[^}]*\}|cmidrule(?:\([^)]*\))?\{[^}]*\})")
_LATEX_WRAP = re.compile(r"\\(?:textbf|textit|emph|underline|mathbf|text|textsc|multirow\{[^}]*\}\{[^}]*\}|"
                         r"multicolumn\{[^}]*\}\{[^}]*\})\{((?:[^{}]|\{[^{}]*\})*)\}")
_LATEX_SYMBOLS = {r"\times": "×", r"\%": "%", r"\&": "&", "$": "", "~": " ", r"\,": " ", r"\pm": "±"}
_CAPTION_REACH = 3  # lines between a caption and the table it names


@dataclass
class Found:
    table: Table
    start: int
    end: int


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, newline excluded."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    return out


def _row_cells(line: str) -> tuple[str, list[str]] | None:
    """(label, number cells) of a pypdf table row: text, then one or more number cells."""
    tokens = line.split()
    cells: list[str] = []
    while tokens and _NUMBER_CELL.match(tokens[-1]):
        cells.insert(0, tokens.pop())
    label = " ".join(tokens)
    if not cells or len(label) > 60 or label.endswith((".", ",", ";", ":")):
        return None
    if not label and len(cells) < 2:
        return None
    return label, cells


def _header_cells(header: str, n: int) -> list[str] | None:
    """The header split into a label column and ``n`` value columns, or None when it cannot be.

    Value columns start where a metric, a setting or a system is named ("Policy Throughput
    (tok/s) Hit rate (%)", "Model ExpertFlow (tok/s) Cache-MoE (tok/s)"; a system after
    "over"/"vs" belongs to the column before it); failing that, after each bracketed unit, or
    one word per column."""
    mentions = find_mentions(header)
    systems = [m for m in mentions if m.kind == "system"
               and not re.search(r"\b(?:over|vs\.?|versus|than)\s*$", header[:m.start])]
    # a setting word inside a name is not a column of its own ("Cache hit rate", "Cache-MoE")
    inside = [(m.start, m.end) for m in mentions if m.kind in ("system", "metric")]
    merged = sorted({m.start for m in mentions if m.kind == "metric"} | {m.start for m in systems}
                    | {m.start() for _, p in SETTING_HEADERS for m in p.finditer(header)
                       if not any(a <= m.start() < b for a, b in inside)})
    merged = [a for a in merged if header[:a].count("(") <= header[:a].count(")")]  # not "(tokens/s)"
    if len(merged) == n and merged[0] > 0:
        bounds = merged + [len(header)]
        return [header[:merged[0]].strip()] + [header[a:b].strip() for a, b in zip(bounds, bounds[1:])]
    pieces = [p.strip() for p in re.split(r"(?<=\))\s+", header) if p.strip()]
    if len(pieces) == n and len(pieces[0].split()) >= 2:  # "Model Latency (ms) Memory (GB)"
        first, rest = pieces[0].split(None, 1)
        pieces = [first, rest] + pieces[1:]
    if len(pieces) == n + 1:
        return pieces
    words = header.split()
    if len(words) == n + 1:
        return words
    return None


def _caption_at(lines: list[str], i: int) -> tuple[str, str, int] | None:
    """(label, caption text, last line index) when line ``i`` opens a caption."""
    m = _CAPTION.match(lines[i])
    if m is None:
        return None
    text, j = m["text"].strip(), i
    if not text and i + 1 < len(lines) and _row_cells(lines[i + 1]) is None:  # IEEE: "TABLE III" above its title
        text, j = lines[i + 1].strip(), i + 1
    if not text or text[0].islower():
        return None
    while not text.endswith(".") and j + 1 < len(lines) and j - i < 2 and lines[j + 1].strip() \
            and _row_cells(lines[j + 1]) is None and not _CAPTION.match(lines[j + 1]) \
            and not (j + 2 < len(lines) and _row_cells(lines[j + 2]) is not None):  # a header line
        j += 1
        text += " " + lines[j].strip()
    return " ".join(m["label"].replace("TABLE", "Table").split()), text, j


def pdf_tables(text: str) -> list[Found]:
    """Tables rendered the pypdf way, each anchored on its caption."""
    spans = _lines(text)
    lines = [text[s:e] for s, e in spans]
    rows = [_row_cells(line) for line in lines]
    taken: set[int] = set()
    out: list[Found] = []
    for i in range(len(lines)):
        cap = _caption_at(lines, i)
        if cap is None:
            continue
        label, caption, last = cap
        block = _block_near(rows, lines, i, last, taken)
        if block is None:
            continue
        first, stop = block
        n = Counter(len(rows[k][1]) for k in range(first, stop)).most_common(1)[0][0]  # value columns
        header_at = first - 1
        header = None
        if header_at >= 0 and header_at not in (i, last) and rows[header_at] is None and lines[header_at].strip():
            header = _header_cells(" ".join(lines[header_at].split()), n)
        body, prev = [], ""
        for k in range(first, stop):
            label_cell, cells = rows[k]
            if len(cells) > n:
                label_cell, cells = " ".join([label_cell] + cells[:len(cells) - n]).strip(), cells[len(cells) - n:]
            elif len(cells) < n:
                continue
            label_cell = label_cell or prev  # a row under a multi-row label
            prev = label_cell
            body.append([label_cell] + cells)
        if not body:
            continue
        top = min(i, header_at if header is not None else first)
        bottom = max(last, stop - 1)
        taken.update(range(top, bottom + 1))
        out.append(Found(Table(label, caption, header or [""] * (n + 1), body), spans[top][0], spans[bottom][1]))
    return out


def _block_near(rows, lines, cap_first: int, cap_last: int, taken: set[int]) -> tuple[int, int] | None:
    """[first, stop) of the run of row lines nearest the caption: below it, else above it."""
    def run_from(k: int, step: int) -> tuple[int, int] | None:
        edge = cap_last if step > 0 else cap_first
        while 0 <= k < len(rows) and rows[k] is None and abs(k - edge) <= _CAPTION_REACH:
            k += step
        if not (0 <= k < len(rows)) or rows[k] is None or k in taken:
            return None
        a = b = k
        while a - 1 >= 0 and rows[a - 1] is not None and a - 1 not in taken:
            a -= 1
        while b + 1 < len(rows) and rows[b + 1] is not None and b + 1 not in taken:
            b += 1
        return (a, b + 1) if b + 1 - a >= 2 else None

    return run_from(cap_last + 1, 1) or run_from(cap_first - 1, -1)


def _pipe_row(line: str) -> bool:
    return line.count("|") >= 1 and (line.strip().startswith("|") or " | " in line) and not _RULE.match(line)


def pipe_tables(text: str) -> list[Found]:
    """Tables written with "|" between cells: Markdown (header row, a ``|---|`` rule, rows) and
    LaTeX sources turned to text (``documents``: "System | Latency (ms)", rows a blank line
    apart, the ``\\caption`` a paragraph above). The caption is a "Table N: ..." line next to
    the table; for a table without a Markdown rule (from LaTeX) the paragraph just above it."""
    spans = _lines(text)
    lines = [text[s:e] for s, e in spans]
    out: list[Found] = []
    i, unnumbered = 0, 0
    while i < len(lines):
        if not _pipe_row(lines[i]):
            i += 1
            continue
        block, ruled, j = [i], False, i + 1
        while j < len(lines):
            if _RULE.match(lines[j]) and "|" in lines[j]:
                ruled = True
            elif _pipe_row(lines[j]):
                block.append(j)
            elif lines[j].strip() or not (j + 1 < len(lines) and _pipe_row(lines[j + 1])):
                break
            j += 1
        header = _pipe_cells(lines[block[0]])
        body = [(_pipe_cells(lines[k]) + [""] * len(header))[:len(header)] for k in block[1:]]
        top, bottom = block[0], block[-1]
        if len(header) < 2 or not body or (not ruled and len(block) < 3):
            i = j
            continue
        label, caption = "", ""
        for k in (top - 1, top - 2, bottom + 1, bottom + 2):
            if 0 <= k < len(lines) and (cap := _caption_at(lines, k)) is not None:
                label, caption = cap[0], cap[1]
                top, bottom = min(top, k), max(bottom, cap[2])
                break
        if not label:
            unnumbered += 1
            label = f"Table {unnumbered}" if not ruled else "Table"
            above = top - 1 if top and lines[top - 1].strip() else top - 2
            if not ruled and above >= 0 and 0 < len(lines[above].strip()) <= 300 and not _pipe_row(lines[above]) \
                    and (above == 0 or not lines[above - 1].strip()):
                caption, top = lines[above].strip(), above
        out.append(Found(Table(label, caption, header, body), spans[top][0], spans[bottom][1]))
        i = j
    return out


def _pipe_cells(line: str) -> list[str]:
    return [c.strip().strip("*").strip() for c in line.strip().strip("|").split("|")]


def _latex_plain(cell: str) -> str:
    for _ in range(3):
        cell = _LATEX_WRAP.sub(r"\1", cell)
    for raw, plain in _LATEX_SYMBOLS.items():
        cell = cell.replace(raw, plain)
    return " ".join(cell.replace("{", "").replace("}", "").split())


def latex_tables(text: str) -> list[Found]:
    """``tabular`` environments; the ``table`` float around one gives its caption."""
    out: list[Found] = []
    floats = [(m.start(), m.end(), _LATEX_CAPTION.search(m["body"])) for m in _LATEX_TABLE.finditer(text)]
    for n, m in enumerate(_LATEX_TABULAR.finditer(text), start=1):
        around = next((f for f in floats if f[0] <= m.start() and m.end() <= f[1]), None)
        caption = _latex_plain(around[2]["text"]) if around and around[2] else ""
        body = _LATEX_RULES.sub("", m["body"])
        rows = [[_latex_plain(c) for c in re.split(r"(?<!\\)&", r)] for r in re.split(r"\\\\", body)]
        rows = [r for r in rows if any(r)]
        if len(rows) < 2:
            continue
        start, end = (around[0], around[1]) if around else (m.start(), m.end())
        width = len(rows[0])
        table = Table(f"Table {n}", caption, rows[0], [(r + [""] * width)[:width] for r in rows[1:]])
        out.append(Found(table, start, end))
    return out


def find_tables(text: str) -> list[Found]:
    """Every table of ``text``, in order, none overlapping another."""
    found = sorted(latex_tables(text) + pipe_tables(text) + pdf_tables(text), key=lambda f: (f.start, -f.end))
    out: list[Found] = []
    for f in found:
        if out and f.start < out[-1].end:
            continue
        out.append(f)
    return out
