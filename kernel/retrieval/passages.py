"""Splitting a paper's text into sections and passages with character spans.

Headings are recognised however the text was made: pypdf lines ("5 Evaluation", "5. EVALUATION",
"V. EXPERIMENTS", "5.1 Setup", "Related Work"), Markdown ("## Evaluation") and LaTeX
(``\\section{Evaluation}``, ``\\subsection*{Setup}``). Each section gets a normalised kind
(`SECTION_KINDS`); a subsection whose name says nothing ("5.1 Expert Prediction") takes its
parent's. Everything from "References" on is dropped, up to an "Appendix" heading.

A passage is at most `max_chars` characters, cut at a paragraph or sentence end when one is
near; `start`/`end` index into the text given (so `text[start:end] == passage.text`), except
for tables: a table becomes one passage of kind "table" (section "Table 3"), whose text is the
table's rows with header and caption (`verifier.tables.render`) and whose span is the table's
place in the text; the prose passages skip it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.retrieval.tables import find_tables
from verifier.tables import render

# Normalised section kinds, each with the heading words that name it (first match wins).
SECTION_KINDS: list[tuple[str, str]] = [
    ("abstract", r"abstract"),
    ("related_work", r"related\s+work|prior\s+work|previous\s+work|literature|related\s+(?:research|studies)"),
    ("introduction", r"introduction"),
    ("background", r"background|preliminar|motivation|problem\s+(?:statement|formulation)|observations?"),
    ("implementation", r"implementation"),
    ("evaluation", r"evaluation|experiment|setup|settings|benchmark|methodology\s+of\s+evaluation"),
    ("results", r"results?|performance|analysis|ablation|case\s+stud"),
    ("method", r"method|design|approach|architecture|overview|algorithm|framework|system"),
    ("conclusion", r"conclu|summary"),
    ("discussion", r"discussion|limitations?|future\s+work"),
    ("appendix", r"appendix|supplementa"),
    ("acknowledgements", r"acknowledge?ments?"),
]
_KIND_RES = [(kind, re.compile(rf"\b(?:{pat})", re.I)) for kind, pat in SECTION_KINDS]
_KNOWN = (
    r"abstract|introduction|background|motivation|related work|prior work|preliminaries|method(?:s|ology)?|"
    r"design|system design|implementation|evaluation|experiments?|experimental setup|results|"
    r"discussion|limitations|conclusions?|appendix|acknowledge?ments?|references|bibliography"
)
# "5", "5.1", "V", "A.1"; "A." is an IEEE subsection ("A. Experimental Setup")
_NUMBER = r"(?:\d+(?:\.\d+)*|[IVX]+|[A-H](?:\.\d+)+|[A-H](?=\.\s))"
_HEADING_RE = re.compile(
    rf"^\s*(?P<num>{_NUMBER}\.?\s+)?(?P<name>(?:{_KNOWN})\b.*|[A-Z][A-Za-z\-:& ]{{2,58}})\s*$",
    re.I,
)
_WRAPPED_RE = re.compile(r"\b(?:and|or|the|of|to|in|for|with|a|an|by|on|that|is|are|we)$|^(?:\S+\s+){8,}", re.I)
_NUMBERED_RE = re.compile(rf"^\s*{_NUMBER}\.?\s+[A-Z]")
_MARKDOWN_RE = re.compile(r"^\s{0,3}(?P<hashes>#{1,4})\s+(?:\d+(?:\.\d+)*\.?\s+)?(?P<name>[^#].*?)\s*#*\s*$")
_LATEX_RE = re.compile(r"^\s*\\(?P<cmd>section|subsection|subsubsection|paragraph)\*?\{(?P<name>[^{}]*)\}")
_APPENDIX_RE = re.compile(r"^\s*(?:#{1,4}\s+|\\section\*?\{)?appendix\b|^\s*\\appendix\s*$", re.I)
_END_RE = re.compile(r"^\s*(?:#{1,4}\s+|\\section\*?\{)?(?:\d+\.?\s+)?(?:references|bibliography)\}?\s*$", re.I)
_SENTENCE_END_RE = re.compile(r"[.!?]\s+|\n\s*\n")


@dataclass(frozen=True)
class Span:
    """A passage: its heading text, normalised section kind and passage kind, and its span."""

    section: str
    start: int
    end: int
    text: str
    section_kind: str | None = None
    kind: str = "fulltext"  # abstract | fulltext | table


@dataclass(frozen=True)
class Section:
    name: str
    kind: str
    start: int
    end: int


def section_kind(name: str) -> str | None:
    """The normalised kind of a heading ("5. EVALUATION" → "evaluation"); None when unknown."""
    return next((kind for kind, pat in _KIND_RES if pat.search(name)), None)


def _heading(line: str) -> tuple[str, int, int | None] | None:
    """(name, depth, section number) when ``line`` is a heading; depth 1 for a section, 2+ for
    subsections; the number is the leading integer of an Arabic-numbered heading whose name is
    not a known one (None otherwise), for the caller's check that numbering runs in order."""
    if (m := _LATEX_RE.match(line)) is not None:
        depth = {"section": 1, "subsection": 2, "subsubsection": 3, "paragraph": 4}[m["cmd"]]
        return " ".join(m["name"].split()), depth, None
    if (m := _MARKDOWN_RE.match(line)) is not None:
        return " ".join(m["name"].split()), max(1, len(m["hashes"]) - 1), None
    stripped = line.strip()
    if not stripped or len(stripped) > 60 or stripped.endswith((".", ",", ";", ":")):
        return None
    match = _HEADING_RE.match(stripped)
    if match is None:
        return None
    name = match["name"].strip()
    known = re.match(rf"(?:{_KNOWN})\b", name, re.I)
    if not (_NUMBERED_RE.match(stripped) or (known and len(name.split()) <= 3)):
        return None
    if _WRAPPED_RE.search(name):
        return None  # "3 The cache holds experts and": a wrapped line of prose, not a title
    num = (match["num"] or "").strip().rstrip(".")
    depth = 2 if re.fullmatch(r"[A-H]", num) else (num.count(".") + 1 if num else 1)
    number = int(num.split(".")[0]) if num[:1].isdigit() and not known else None
    return (" ".join(name.split()).title() if name.isupper() else name), depth, number


def sections(text: str) -> list[Section]:
    """Sections covering `text` up to the references (and any appendix after them); the first
    is "Front" (title, authors) unless the text opens with a heading."""
    out: list[Section] = []
    name, kind, start, pos = "Front", "front", 0, 0
    parent = "front"
    dropping = False
    top = 0  # the number of the current numbered section
    for line in text.splitlines(keepends=True):
        here, pos = pos, pos + len(line)
        if dropping:
            if _APPENDIX_RE.match(line):
                dropping = False
                name, kind, start, parent = "Appendix", "appendix", pos, "appendix"
            continue
        if _END_RE.match(line):
            out.append(Section(name, kind, start, here))
            dropping = True
            continue
        found = _heading(line)
        if found is None:
            continue
        heading, depth, number = found
        # "2 GPUs serve the model" after section 4 is a line of prose; a gap of one is allowed
        # (pypdf can lose a heading into the line before it).
        if number is not None and not (top < number <= top + 2 if depth == 1 else number == top or not top):
            continue
        top = int(m.group(0)) if (m := re.match(r"\s*(\d+)", line)) and depth == 1 else top
        out.append(Section(name, kind, start, here))
        own = section_kind(heading)
        if depth == 1:
            parent = own or ("appendix" if parent == "appendix" else "body")
            kind = parent
        else:
            kind = own or parent
        name, start = heading, pos
    if not dropping:
        out.append(Section(name, kind, start, len(text)))
    return [s for s in out if text[s.start : s.end].strip()]


def chunk(text: str, section: str, start: int, end: int, max_chars: int = 1500,
          kind: str | None = None) -> list[Span]:
    """Cut text[start:end] into passages of at most `max_chars`, preferring sentence ends."""
    spans = []
    pos = start
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        stop = min(pos + max_chars, end)
        if stop < end:
            cut = None
            for m in _SENTENCE_END_RE.finditer(text, pos + max_chars // 2, stop):
                cut = m.start() + 1
            stop = cut or stop
        piece_end = stop
        while piece_end > pos and text[piece_end - 1].isspace():
            piece_end -= 1
        spans.append(Span(section, pos, piece_end, text[pos:piece_end], kind))
        pos = stop
    return spans


def split_fulltext(text: str, max_chars: int = 1500) -> list[Span]:
    """Passages of a whole paper (references dropped), in reading order: prose passages tagged
    with their section, and one passage of kind "table" per table found."""
    tables = find_tables(text)
    out: list[Span] = []
    for sec in sections(text):
        pos = sec.start
        for t in tables:
            if t.end <= sec.start or t.start >= sec.end:
                continue
            out += chunk(text, sec.name, pos, max(pos, t.start), max_chars, sec.kind)
            if t.start >= sec.start:  # a table is one passage, in the section it starts in
                out.append(Span(t.table.label, t.start, t.end, render(t.table), sec.kind, "table"))
            pos = max(pos, t.end)
        out += chunk(text, sec.name, pos, sec.end, max_chars, sec.kind)
    return out


def split_abstract(abstract: str, max_chars: int = 1500) -> list[Span]:
    """The abstract as one passage, or a few when it is long; section "Abstract"."""
    return [Span(s.section, s.start, s.end, s.text, "abstract", "abstract")
            for s in chunk(abstract, "Abstract", 0, len(abstract), max_chars)]
