"""Splitting a paper's text into passages with section names and character spans.

A passage is at most `max_chars` characters, cut at a paragraph or sentence end when one is
near; `start`/`end` index into the text given (so `text[start:end] == passage.text`).
Section headings are recognised from lines such as "3 System Design", "4.2 Results",
"Introduction", "VI. EVALUATION"; everything from "References" on is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KNOWN = (
    r"abstract|introduction|background|motivation|related work|preliminaries|method(?:s|ology)?|"
    r"design|system design|implementation|evaluation|experiments?|experimental setup|results|"
    r"discussion|limitations|conclusions?|appendix|acknowledge?ments?|references|bibliography"
)
_HEADING_RE = re.compile(
    rf"^\s*(?:(?:\d+(?:\.\d+)*|[IVX]+)\.?\s+)?(?P<name>(?:{_KNOWN})\b.*|[A-Z][A-Za-z\- ]{{2,50}})\s*$",
    re.I,
)
_NUMBERED_RE = re.compile(r"^\s*(?:\d+(?:\.\d+)*|[IVX]+)\.?\s+[A-Z]")
_END_RE = re.compile(r"^\s*(?:references|bibliography)\s*$", re.I)
_SENTENCE_END_RE = re.compile(r"[.!?]\s+|\n\s*\n")


@dataclass(frozen=True)
class Span:
    section: str
    start: int
    end: int
    text: str


def _heading(line: str) -> str | None:
    """The section name if `line` is a heading: numbered short line, or a known name alone."""
    stripped = line.strip()
    if not stripped or len(stripped) > 60 or stripped.endswith((".", ",", ";")):
        return None
    match = _HEADING_RE.match(stripped)
    if match is None:
        return None
    known = re.match(rf"(?:{_KNOWN})\b", match["name"], re.I)
    if not (_NUMBERED_RE.match(stripped) or (known and len(match["name"].split()) <= 3)):
        return None
    return " ".join(match["name"].split()).title() if match["name"].isupper() else match["name"].strip()


def sections(text: str) -> list[tuple[str, int, int]]:
    """[(section name, start, end)] covering `text` up to the references; first is "Front"."""
    out: list[tuple[str, int, int]] = []
    name, start, pos = "Front", 0, 0
    for line in text.splitlines(keepends=True):
        if _END_RE.match(line):
            out.append((name, start, pos))
            return [s for s in out if text[s[1] : s[2]].strip()]
        found = _heading(line)
        if found:
            out.append((name, start, pos))
            name, start = found, pos + len(line)
        pos += len(line)
    out.append((name, start, len(text)))
    return [s for s in out if text[s[1] : s[2]].strip()]


def chunk(text: str, section: str, start: int, end: int, max_chars: int = 1500) -> list[Span]:
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
        spans.append(Span(section, pos, piece_end, text[pos:piece_end]))
        pos = stop
    return spans


def split_fulltext(text: str, max_chars: int = 1500) -> list[Span]:
    """Passages of a whole paper (references dropped), each tagged with its section."""
    return [p for name, s, e in sections(text) for p in chunk(text, name, s, e, max_chars)]


def split_abstract(abstract: str, max_chars: int = 1500) -> list[Span]:
    """The abstract as one passage, or a few when it is long; section "Abstract"."""
    return chunk(abstract, "Abstract", 0, len(abstract), max_chars)
