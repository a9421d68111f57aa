"""Reference tokens and numbers: the one place both are formatted, so every rendering prints a
number and a link the same way.

Tokens: `P<id>` passage, `C<id>` claim (with its textual check), `E<id>` empirical check,
`S:<name>` a table or section of the report, `F:<id>` a figure. Anchors are the lower-cased token
with ':' replaced by '-' (`P12` -> `p12`, `S:claims` -> `s-claims`).
"""

from __future__ import annotations

import math
import re

from reports.errors import ReportError

_TOKEN = re.compile(r"^(P\d+|C\d+|E\d+|S:[a-z][a-z0-9-]*|F:fig-\d+)$")
# A number as a reader sees one: 2.3, 1,024, 40%, 7.5x. Years and ids inside tokens are excluded
# by callers, which test the text without its reference list.
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:,\d{3})*(?:\.\d+)?")


def check_token(token: str) -> str:
    if not _TOKEN.match(token):
        raise ReportError(f"bad reference token {token!r}; use P<id>, C<id>, E<id>, S:<name> or F:fig-<n>")
    return token


def anchor(token: str) -> str:
    return check_token(token).lower().replace(":", "-")


def passage(pid: int) -> str:
    return f"P{pid}"


def claim(cid: int) -> str:
    return f"C{cid}"


def check(eid: int) -> str:
    return f"E{eid}"


def fmt(x: float | int | None, unit: str | None = None) -> str:
    """A number for prose and tables: at most 3 significant decimals, no trailing zeros."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, int) or float(x).is_integer():
        s = str(int(x))
    else:
        s = f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"
    if unit in (None, ""):
        return s
    return f"{s}{unit}" if unit in ("×", "x", "%") else f"{s} {unit}"


_ARXIV_ID = re.compile(r"\b\d{4}\.\d{4,5}(?:v\d+)?\b|\b[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?\b"
                       r"|\blocal:[0-9a-f]{6,}\b")  # a paper added from a file: local:<sha256 prefix>


def numbers_in(text: str) -> list[str]:
    """The numbers a reader sees in `text`, as written (paper ids, arXiv or local, are names, not
    numbers)."""
    return NUMBER.findall(_ARXIV_ID.sub(" ", text))
