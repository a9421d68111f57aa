"""Quantities (value, range, unit) and experiment settings found in a sentence.

Units are normalised: ``×`` (x, times, -fold), ``%``, ``GB`` (GiB, GB), ``MB``, ``TB``,
``tokens/s``, ``ms``, ``s``, ``GB/s``, ``TFLOP/s``. Figure/table/section numbers, citation
brackets and years are not quantities. Names such as "8x7B" or "A40" are masked by the
caller (see :func:`find_quantities` ``masked``) so their digits are not read as values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_UNITS: list[tuple[str, str]] = [
    (r"[x×]|\s?times\b|-fold\b|\s?fold\b", "×"),
    (r"\s?%|\s?percent\b|\s?per\s?cent\b", "%"),
    (r"\s?(?:tokens?|tok)\s?(?:/|per\s)\s?s(?:ec(?:ond)?)?\b", "tokens/s"),
    (r"\s?GB/s\b|\s?GiB/s\b", "GB/s"),
    (r"\s?TFLOP/?s\b|\s?TFLOPS\b", "TFLOP/s"),
    (r"\s?(?:GB|GiB|gigabytes?)\b", "GB"),
    (r"\s?(?:MB|MiB|megabytes?)\b", "MB"),
    (r"\s?(?:TB|TiB|terabytes?)\b", "TB"),
    (r"\s?(?:ms|milliseconds?)\b", "ms"),
    (r"\s?(?:s|sec|seconds?)\b(?!/)", "s"),
    (r"\s?(?:W|watts?)\b", "W"),
    (r"\s?experts?\b", "experts"),
    (r"\s?layers?\b", "layers"),
    (r"\s?GPUs?\b", "GPUs"),
    (r"-?\s?bits?\b", "bit"),
    (r"\s?(?:billion|B)(?:\s+param(?:eter)?s)?\b", "B params"),
]
# Units that carry a measured result, as opposed to a count describing the setup.
RESULT_UNITS = {"×", "%", "tokens/s", "GB/s", "TFLOP/s", "GB", "MB", "TB", "ms", "s", "W", "B params"}
_UNIT_RE = "|".join(f"(?:{pat})" for pat, _ in _UNITS)
_UNIT_COMPILED = [(re.compile(pat, re.IGNORECASE), canon) for pat, canon in _UNITS]
_QUANTITY = re.compile(
    rf"(?<![\w.])(?P<lo>{_NUM})(?P<lounit>{_UNIT_RE})?"
    rf"(?:\s?(?:-|–|to)\s?(?P<hi>{_NUM})(?P<hiunit>{_UNIT_RE})?)?(?![\w.]?\d)",
    re.IGNORECASE,
)
_NOT_A_VALUE_BEFORE = re.compile(
    r"(?:fig(?:ure)?s?|tab(?:le)?s?|sec(?:tion)?s?|eqs?|equation|appendix|step|line|layer|arxiv|"
    r"top|k\s?=|v|version|chapter|algorithm|alg)\.?\s*\(?$|\[\s*$|,\s*$(?<=\[\d,\s)",
    re.IGNORECASE,
)
# An integer setting is not followed by more digits or by a unit ("cache is 2.12×" is a result).
_INT_END = r"(?![\d.,]?\d)(?!\s?(?:%|x\b|×|gb|times|ms\b))"
_SETTINGS = [
    ("cache_size", re.compile(rf"cache(?:\s+(?:size|capacity|budget))?(?:\s+(?:of|=|is|:|holds|stores|keeps|with))?(?:\s+only)?\s+(?P<v>\d+){_INT_END}"
                              rf"|(?P<v2>{_NUM})[- ]experts?(?:\s+per\s+layer)?\s+cache|"
                              rf"(?P<v4>{_NUM})\s+cached\s+experts?|(?P<v3>{_NUM})\s+(?:cached\s+)?experts?\s+(?:per\s+layer\s+)?(?:in\s+(?:the\s+)?)?cache",
                              re.IGNORECASE)),
    ("batch_size", re.compile(rf"batch(?:\s+size)?(?:\s+(?:of|=|is|:))?\s+(?P<v>\d+){_INT_END}", re.IGNORECASE)),
    ("top_k", re.compile(rf"top[- ]?(?P<v>\d+)\b|k\s?=\s?(?P<v2>\d+)", re.IGNORECASE)),
]


@dataclass(frozen=True)
class Quantity:
    """A number found in text; ``unit`` is None for a bare count."""

    value: float
    value_high: float | None
    unit: str | None
    start: int
    end: int
    decimals: int  # digits after the point as written: the precision the author claimed


@dataclass(frozen=True)
class SettingMention:
    key: str
    value: float
    start: int
    end: int


def _unit_of(surface: str | None) -> str | None:
    if not surface:
        return None
    for pat, canon in _UNIT_COMPILED:
        if pat.fullmatch(surface):
            return canon
    return None


def _to_float(s: str) -> float:
    return float(s.replace(",", ""))


def find_settings(text: str) -> list[SettingMention]:
    """Experiment settings (cache size, batch size, top-k) with their spans."""
    out = []
    for key, pat in _SETTINGS:
        for m in pat.finditer(text):
            raw = next(g for g in (m.groupdict().get(n) for n in ("v", "v2", "v3", "v4")) if g)
            out.append(SettingMention(key, _to_float(raw), m.start(), m.end()))
    return out


def find_quantities(text: str, masked: list[tuple[int, int]] = ()) -> list[Quantity]:
    """Numbers of ``text`` outside the ``masked`` spans, with unit and range when written.

    "1.5-2×" gives value 1.5, value_high 2, unit ×; "up to 93.72%" gives 93.72 %.
    """
    out: list[Quantity] = []
    if masked:  # blank the names out so "Switch-32 to 89.51%" is not read as a range from 32
        chars = list(text)
        for a, b in masked:
            chars[a:b] = "#" * (b - a)
        text = "".join(chars)
    for m in _QUANTITY.finditer(text):
        s, e = m.start(), m.end()
        if _NOT_A_VALUE_BEFORE.search(text[max(0, s - 14):s]):
            continue
        lo, hi = m.group("lo"), m.group("hi")
        unit = _unit_of(m.group("lounit")) or _unit_of(m.group("hiunit"))
        value = _to_float(lo)
        value_high = _to_float(hi) if hi is not None else None
        if value_high is not None and value_high < value:
            value_high = None
        if unit is None and 1900 <= value <= 2100 and "." not in lo:
            continue  # a year
        decimals = len(lo.split(".")[1]) if "." in lo else 0
        out.append(Quantity(value, value_high, unit, s, e, decimals))
    return out


def values_agree(a: float, a_decimals: int, b: float, b_decimals: int) -> bool:
    """True when two written numbers are the same figure at the precision both were written to.

    "2×" agrees with 1.99× (written to 0 decimals: half a unit of tolerance); 2.04 does not
    agree with 2.01. A 0.5% relative tolerance absorbs unit rounding (e.g. GB vs GiB).
    """
    tol = 0.5 * 10 ** (-min(a_decimals, b_decimals))
    return abs(a - b) <= max(tol + 1e-9, 0.005 * max(abs(a), abs(b)))
