"""Tables: the text form of a table passage, and the claims its rows state.

A table passage (kind "table") is written by :func:`render` and read back by :func:`parse`::

    Table 3: Speed-up over Cache-MoE at two cache sizes.
    Columns: Model; Cache; Speed-up.
    Table 3 row 1: Model = Mixtral-8x7B; Cache = 2/8; Speed-up = 1.99×.

Each row line keeps its header (without a bracketed unit, which is written on the number:
"Latency = 120.5 ms"), so it reads alone (it is the claim's quoted text) and the sentence
extractor still finds each number with its metric. :func:`table_claims` binds each numeric cell under a
metric column to a claim: metric and unit from the column header, names from the row's name
cells (a model, a system, a GPU, a dataset) or the column's header ("ExpertFlow (tok/s)"),
baseline and what else the caption names from the caption, settings (cache size, batch size)
from setting columns and the caption. A cell whose column names no metric gives no claim:
nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from verifier.aliases import canonical_metric, find_mentions
from verifier.numbers import find_quantities, find_settings
from verifier.types import ExtractedClaim

SEP = "; "  # a clause break for the sentence extractor, so each number keeps its header
_CAPTION_LINE = re.compile(r"^(?P<label>Table\s*[\w.]*?)(?::\s*(?P<caption>.*))?\.?$")
_ROW_LINE = re.compile(r"^(?P<label>Table\s*[\w.]*?) row (?P<n>\d+): (?P<cells>.*?)\.?$")
# Column headers that hold experiment settings rather than results.
SETTING_HEADERS = [
    ("cache_size", re.compile(r"\bcache(?:\s*(?:size|capacity|budget))?\b|\bexperts?\s+(?:per\s+layer|cached|in\s+gpu)|"
                              r"#\s*cached|\bcached\b|\bbudget\b", re.I)),
    ("batch_size", re.compile(r"\bbatch(?:\s*size)?\b|\bbs\b", re.I)),
    ("top_k", re.compile(r"\btop[- ]?k\b", re.I)),
    ("seq_len", re.compile(r"\b(?:seq(?:uence)?|input|prompt|output)\s*(?:len(?:gth)?|tokens)\b", re.I)),
]
_NAME_HEADERS = {
    "system": re.compile(r"\b(?:system|method|policy|approach|framework|scheme|engine|baseline)s?\b", re.I),
    "model": re.compile(r"\bmodels?\b", re.I),
    "hardware": re.compile(r"\b(?:gpu|hardware|device|platform)s?\b", re.I),
    "dataset": re.compile(r"\b(?:dataset|workload|benchmark|task)s?\b", re.I),
}
_HEADER_UNITS = [
    (re.compile(r"tok(?:en)?s?\s*/\s*s(?:ec)?|tokens?\s+per\s+s", re.I), "tokens/s"),
    (re.compile(r"\(\s*ms\s*\)|\bms\b", re.I), "ms"),
    (re.compile(r"\(\s*s(?:ec)?\s*\)", re.I), "s"),
    (re.compile(r"\(\s*%\s*\)|%"), "%"),
    (re.compile(r"\(\s*gb\s*\)|\bgb\b", re.I), "GB"),
    (re.compile(r"\(\s*[×x]\s*\)|×"), "×"),
]
_UNIT_METRIC = {"tokens/s": "throughput", "ms": "latency", "s": "latency", "GB": "memory", "×": "speedup"}
_CELL_NUMBER = re.compile(r"^[<>~≈]?\s*\d[\d,]*(?:\.\d+)?")
_RATIO_CELL = re.compile(r"^(\d+)\s*/\s*(\d+)$")


@dataclass
class Table:
    """A table as read from a paper: ``rows`` hold cells under ``header`` (same length)."""

    label: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    row_spans: list[tuple[int, int]] = field(default_factory=list)  # of each row line in the passage


def _clean(cell: str) -> str:
    return " ".join(cell.replace(SEP.strip(), ",").replace(" = ", " ").split())


def _with_unit(cell: str, column: Column) -> str:
    """A bare number under "Latency (ms)" is written "120.5 ms", so the row reads alone."""
    m = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)(\s*±\s*\d[\d.]*)?", cell)
    if column.role != "metric" or column.unit is None or m is None:
        return cell
    unit = column.unit if column.unit in ("%", "×") else " " + column.unit
    return f"{m[1]}{unit}{' ' + m[2].strip() if m[2] else ''}"


def _cell_labels(header: list[str]) -> list[str]:
    """Column names as a row line writes them: without the unit in brackets (the cell carries
    it), unless two columns would then read alike."""
    short = [" ".join(re.sub(r"\([^)]*\)", " ", h).split()) or h for h in header]
    return short if len(set(short)) == len(short) else header


def render(table: Table) -> str:
    """The passage text of ``table`` (see the module docstring)."""
    lines = [f"{table.label}: {_clean(table.caption)}" if table.caption.strip() else table.label]
    header = [_clean(h) for h in table.header]
    if any(header):
        lines.append("Columns: " + SEP.join(h or "-" for h in header) + ".")
    columns = [classify(h) for h in header]
    names = _cell_labels(header)
    for i, row in enumerate(table.rows, start=1):
        cells = [f"{n} = {_with_unit(_clean(c), col)}" if n else _clean(c)
                 for n, col, c in zip(names, columns, row) if _clean(c)]
        lines.append(f"{table.label} row {i}: " + SEP.join(cells) + ".")
    return "\n".join(lines)


def parse(text: str) -> Table | None:
    """The table a passage written by :func:`render` holds; None for any other text."""
    lines = text.split("\n")
    head = _CAPTION_LINE.match(lines[0].strip()) if lines else None
    if head is None:
        return None
    table = Table(head["label"], (head["caption"] or "").strip(), [], [])
    pos = len(lines[0]) + 1
    for line in lines[1:]:
        if line.startswith("Columns: "):
            table.header = [h if h != "-" else "" for h in line[len("Columns: "):].rstrip(".").split(SEP)]
        elif (m := _ROW_LINE.match(line)) is not None:
            cells: dict[str, str] = {}
            for part in m["cells"].split(SEP):
                name, _, value = part.partition(" = ") if " = " in part else ("", "", part)
                cells[name] = value
            names = _cell_labels(table.header)
            table.rows.append([cells.get(n, "") for n in names] if table.header else list(cells.values()))
            table.row_spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return table if table.rows else None


@dataclass
class Column:
    """What a column holds: a metric (with its unit), a setting, names, or nothing we can bind."""

    role: str  # "metric" | "setting" | "name" | "other"
    metric: str | None = None
    unit: str | None = None
    setting: str | None = None
    name_kind: str | None = None
    baseline: str | None = None
    system: str | None = None  # "ExpertFlow (tok/s)": the column is one system's figures


def _header_unit(header: str) -> str | None:
    return next((unit for pat, unit in _HEADER_UNITS if pat.search(header)), None)


def classify(header: str) -> Column:
    """The role of a column from its header text."""
    mentions = find_mentions(header)
    # "Cache-MoE (tok/s)" names a system, not a cache-size setting
    plain = "".join(" " if any(m.kind == "system" and m.start <= i < m.end for m in mentions) else ch
                    for i, ch in enumerate(header))
    metric = next((m.name for m in mentions if m.kind == "metric"), None) or canonical_metric(header)
    unit = _header_unit(header)
    if metric is None and unit in _UNIT_METRIC and not any(p.search(plain) for _, p in SETTING_HEADERS):
        metric = _UNIT_METRIC[unit]
    if metric == "speedup":
        unit = "×"
    if metric is not None:
        after = re.search(r"\b(?:over|vs\.?|versus|than|relative\s+to)\s+(.+)$", header, re.I)
        base = (next((m.name for m in find_mentions(after.group(1)) if m.kind in ("system", "model")), None)
                if after else None)
        own = next((m.name for m in mentions if m.kind == "system" and (not after or m.start < after.start())), None)
        return Column("metric", metric=metric, unit=unit, baseline=base, system=own)
    for key, pat in SETTING_HEADERS:
        if pat.search(plain):
            return Column("setting", setting=key)
    for kind, pat in _NAME_HEADERS.items():
        if pat.search(header):
            return Column("name", name_kind=kind)
    return Column("other")


def _cell_value(cell: str, column: Column):
    """(value, value_high, unit) of a result cell, or None when it holds no number."""
    text = cell.replace("**", "").strip()
    if not _CELL_NUMBER.match(text):
        return None
    found = find_quantities(text)
    if found:
        q = found[0]
        return q.value, q.value_high, q.unit or column.unit
    number = _CELL_NUMBER.match(text).group(0).lstrip("<>~≈ ").replace(",", "")
    return float(number), None, column.unit


def _setting_value(cell: str) -> float | None:
    text = cell.strip()
    ratio = _RATIO_CELL.match(text)  # "2/8": two of eight experts per layer
    if ratio:
        return float(ratio.group(1))
    m = re.match(r"^\d+(?:\.\d+)?", text)
    return float(m.group(0)) if m else None


def _names(cell: str, column: Column) -> dict[str, str]:
    """Canonical names a name cell gives; an unknown name counts only under a header saying
    what it is ("Model", "System", ...)."""
    out: dict[str, str] = {}
    for m in find_mentions(cell):
        if m.kind in ("system", "model", "hardware", "dataset"):
            out.setdefault(m.kind, m.name)
    if not out and column.name_kind and re.search(r"[A-Za-z]", cell):
        out[column.name_kind] = cell.strip()
    return out


def _caption_fields(caption: str) -> tuple[dict[str, str], dict[str, float | str]]:
    """Names and settings the caption states for every row (baseline after "over", ...)."""
    from verifier.extract import sentence_facts  # local: extract imports this module

    fields: dict[str, str] = {}
    for fact in sentence_facts(caption) if caption else []:
        for k, v in fact.fields.items():
            fields.setdefault(k, v)
    if fields.get("system") and fields.get("system") == fields.get("baseline"):
        del fields["system"]  # "speed-up over Cache-MoE (LRU)": one name, and it is the baseline
    return fields, {s.key: s.value for s in find_settings(caption)}


def _row_names(row: list[str], columns: list[Column]) -> dict[str, str]:
    names: dict[str, str] = {}
    for cell, col in zip(row, columns):
        if col.role == "name" or (col.role == "other" and not _cell_value(cell, col)):
            for k, v in _names(cell, col).items():
                names.setdefault(k, v)
    return names


def _unit_rows(table: Table, columns: list[Column]) -> None:
    """A speed-up column that names no baseline is relative to its one row at 1.00×: that
    row's system (or model) becomes the column's baseline."""
    for i, col in enumerate(columns):
        if col.role != "metric" or col.metric != "speedup" or col.baseline:
            continue
        ones = [row for row in table.rows if (v := _cell_value(row[i], col)) and v[0] == 1.0]
        if len(ones) == 1:
            names = _row_names(ones[0], columns)
            col.baseline = names.get("system") or names.get("model")


def table_claims(text: str) -> list[ExtractedClaim]:
    """One claim per numeric cell under a metric column of the table in ``text`` (a passage
    written by :func:`render`); [] for a text that is not one."""
    table = parse(text)
    if table is None or not table.header:
        return []
    columns = [classify(h) for h in table.header]
    if not any(c.role == "metric" for c in columns):
        return []
    caption_names, caption_setting = _caption_fields(table.caption)
    _unit_rows(table, columns)
    claims: list[ExtractedClaim] = []
    for row, (start, end) in zip(table.rows, table.row_spans):
        names = _row_names(row, columns)
        setting: dict[str, float | str] = dict(caption_setting)
        for cell, col in zip(row, columns):
            if col.role == "setting" and (value := _setting_value(cell)) is not None:
                setting[col.setting] = value
        for cell, col in zip(row, columns):
            if col.role != "metric" or (read := _cell_value(cell, col)) is None:
                continue
            value, high, unit = read
            baseline = col.baseline or caption_names.get("baseline")
            system = col.system or names.get("system") or caption_names.get("system")
            if baseline and baseline in (system, names.get("model")) and col.metric == "speedup":
                continue  # the baseline's own row: a speed-up of 1.00× over itself says nothing
            claims.append(ExtractedClaim(
                text=text[start:end], kind="quantitative", system=system, metric=col.metric,
                value=value, value_high=high, unit=unit,
                direction="higher" if col.metric == "speedup" else None, baseline=baseline,
                model=names.get("model") or caption_names.get("model"),
                hardware=names.get("hardware") or caption_names.get("hardware"),
                dataset=names.get("dataset") or caption_names.get("dataset"),
                setting=setting, start=start, end=end,
            ))
    return claims
