"""Sentence splitting that survives numbers and abbreviations found in papers.

"1.99×", "e.g.", "Fig. 3", "et al.", "8×7B" and table rows flattened to text must not
break or merge sentences. Returns character spans so claims keep their place in the text.
"""

from __future__ import annotations

import re

from verifier.errors import BadInput

MAX_TEXT_CHARS = 20_000_000  # characters of one text given to extraction or checking

# Tokens after which a period does not end a sentence.
_ABBREVIATIONS = {
    "e.g", "i.e", "fig", "figs", "tab", "sec", "secs", "eq", "eqs", "al", "vs", "cf", "approx",
    "resp", "ref", "refs", "no", "nos", "vol", "pp", "etc", "dr", "mr", "ms", "prof", "inc", "ltd",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "st",
    "u.s", "e.t.c", "w.r.t", "a.k.a", "incl", "avg", "max", "min", "ca", "viz",
}

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+)|\n[ \t]*\n|\n(?=[ \t]*(?:[-*•|]|\d+[.)]\s))")
_TABLE_LINE = re.compile(r"\S\s*\|\s*\S|\t|\S {3,}\S")


def _ends_with_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation or an initial, not a sentence."""
    m = re.search(r"(?<![\w×\-])([A-Za-z][A-Za-z.]*)$", text[max(0, dot - 12):dot])
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _lowercase_name(rest: str) -> bool:
    from verifier.aliases import find_mentions  # local: aliases is heavier than this module
    first = rest.split(None, 1)[0]
    return any(m.start == 0 for m in find_mentions(first))


def _next_starts_sentence(text: str, pos: int) -> bool:
    """After whitespace at ``pos``: an upper-case letter, digit, quote or bracket opens a sentence."""
    rest = text[pos:pos + 40].lstrip()
    if not rest:
        return True
    if rest[0].islower() and _lowercase_name(rest):
        return True  # "mixtral-offloading runs ..." opens a sentence with a lower-case name
    return rest[0].isupper() or rest[0].isdigit() or rest[0] in "\"'“‘([" or not rest[0].isalpha()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Half-open spans ``[start, end)`` of the sentences of ``text``, whitespace trimmed.

    Table rows (lines with ``|``, tabs or wide column gaps) become one sentence each.
    """
    cuts: list[int] = [0]
    for m in _BOUNDARY.finditer(text):
        token = m.group(0)
        if token.startswith("\n"):
            cuts.append(m.end())
            continue
        if token.startswith(".") and len(token.rstrip("\"'”’)]")) == 1 and _ends_with_abbreviation(text, m.start()):
            continue
        if not _next_starts_sentence(text, m.end()):
            continue
        cuts.append(m.end())
    # Single newlines around table-like lines split too (flattened tables).
    # (Walk lines by index: a regex like "[^\n]*\n" rescans to the end from every position
    # of a text without newlines — quadratic on a 5 MB single-line file.)
    pos = 0
    while pos < len(text):
        nl = text.find("\n", pos)
        if nl < 0:
            break
        if _TABLE_LINE.search(text, pos, nl + 1):
            cuts.extend([pos, nl + 1])
        pos = nl + 1
    cuts.append(len(text))
    cuts = sorted(set(c for c in cuts if 0 <= c <= len(text)))
    spans: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:]):
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        s, e = a + lead, b - trail
        if e > s:
            spans.append((s, e))
    return spans


def ensure_text(text: str | bytes) -> str:
    """Return ``text`` as str or raise BadInput for binary or oversized input."""
    if isinstance(text, bytes):
        if b"\x00" in text[:65536]:
            raise BadInput(f"input looks binary ({text[:65536].count(0)} NUL bytes in the first 64 KiB); "
                           "give plain UTF-8 text")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"input is not UTF-8 text (bad byte at offset {exc.start}); "
                           "give a UTF-8 text file") from None
    nul = text.count("\x00")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if nul or controls > 0.05 * max(1, min(len(text), 65536)):
        raise BadInput(f"input looks binary ({nul} NUL bytes, {controls} control characters); "
                       "give plain UTF-8 text")
    if len(text) > MAX_TEXT_CHARS:
        raise BadInput(f"text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,} — split it into parts")
    return text
