"""Quantities (value, range, unit) and experiment settings found in a sentence.

Units are normalised: ``×`` (x, times, -fold), ``%``, ``GB`` (GiB, GB), ``MB``, ``TB``,
``tokens/s``, ``ms``, ``s``, ``GB/s``, ``TFLOP/s``, ``B params`` (billions of parameters; a
million or trillion parameters is scaled to it). Figure/table/section numbers, citation
brackets, years, decades ("the 1990s") and the spread after "+/-" are not quantities. Names such as "8x7B" or "A40"
are masked by the caller (see :func:`find_quantities` ``masked``) so their digits are not read
as values. LaTeX as abstracts keep it (``$3.93\\times$``, ``14\\%``) reads as plain text.

A "to" joins a range only after "ranging"/"range of"/"between": "from 35.21 GB to 6.52 GB" is
two quantities, a before and an after. "up to", "at most", "less than" make a number an upper
bound; "beyond", "at least", "more than", "down to" a lower one (``Quantity.bound``).
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
    (r"\s?(?:billion|B)(?:\s+\(B\))?(?:\s+param(?:eter)?s)?\b", "B params"),
    (r"\s?trillion\b", "T params"),
    (r"\s?million\b", "M params"),
]
# Word scales that are parameter counts only when "parameters" follows ("5 trillion tokens" is not).
_PARAM_SCALE = {"T params": 1000.0, "M params": 0.001}
_PARAMS_AFTER = re.compile(r"(?:\s*-\s*|\s+)(?:\(\w+\)\s+)?param", re.IGNORECASE)
# Units that carry a measured result, as opposed to a count describing the setup.
RESULT_UNITS = {"×", "%", "tokens/s", "GB/s", "TFLOP/s", "GB", "MB", "TB", "ms", "s", "W", "B params"}
_UNIT_RE = "|".join(f"(?:{pat})" for pat, _ in _UNITS)
_UNIT_COMPILED = [(re.compile(pat, re.IGNORECASE), canon) for pat, canon in _UNITS]
_QUANTITY = re.compile(
    rf"(?<![\w.])(?P<lo>{_NUM})(?P<lounit>{_UNIT_RE})?"
    rf"(?:\s?(?P<sep>-|–|to)\s?(?P<hi>{_NUM})(?P<hiunit>{_UNIT_RE})?)?(?![\w.]?\d)",
    re.IGNORECASE,
)
_DECADE = re.compile(r"(?:1[89]|20)\d0s")
_RANGE_CUE = re.compile(r"(?:rang\w*(?:\s+from)?|range\s+of|between)\s+$", re.IGNORECASE)
_SPREAD_BEFORE = re.compile(r"(?:\+/-|±|\+-)\s*$")
_UPPER_BEFORE = re.compile(r"(?:up\s?to|at\s+most|less\s+than|no\s+more\s+than|as\s+(?:much|high|many)\s+as|"
                           r"a\s+maximum\s+of|under|below)\s+(?:a\s+|an\s+)?(?:\(?\s*)?$", re.IGNORECASE)
_LOWER_BEFORE = re.compile(r"(?:beyond|at\s+least|more\s+than|over|above|exceed\w*|down\s+to|a\s+minimum\s+of)\s+$",
                           re.IGNORECASE)
# LaTeX left in abstracts, with what it reads as.
_LATEX = re.compile(r"\\times|\\%|\\sim|\\approx|\\,|\$")
_LATEX_READS = {"\\times": "×", "\\%": "%", "\\sim": "~", "\\approx": "~", "\\,": " ", "$": ""}
_NOT_A_VALUE_BEFORE = re.compile(
    r"(?:fig(?:ure)?s?|tab(?:le)?s?|sec(?:tion)?s?|eqs?|equation|appendix|step|line|layer|arxiv|"
    r"top|k\s?=|v|version|chapter|algorithm|alg)\.?\s*\(?$|\[\s*$|,\s*$(?<=\[\d,\s)",
    re.IGNORECASE,
)
# An integer setting is not followed by more digits or by a unit ("cache is 2.12×" is a result).
_INT_END = r"(?![\d.,]?\d)(?!\s?(?:%|x\b|×|gb|times|ms\b))"
_SETTINGS = [
    ("cache_size", re.compile(rf"(?P<v5>\d+)\s+(?:out\s+)?of\s+\d+\s+experts?(?:\s+per\s+layer)?\s+(?:are\s+)?"
                              rf"(?:cached|in\s+(?:the\s+)?(?:GPU\s+)?cache)|"
                              rf"cache(?:\s+(?:size|capacity|budget))?(?:\s+(?:of|=|is|:|holds|stores|keeps|with))?(?:\s+only)?\s+(?P<v>\d+){_INT_END}"
                              rf"|(?P<v2>{_NUM})[- ]experts?(?:\s+per\s+layer)?\s+cache|"
                              rf"(?P<v4>{_NUM})\s+cached\s+experts?|(?P<v3>{_NUM})\s+(?:cached\s+)?experts?\s+(?:per\s+layer\s+)?(?:in\s+(?:the\s+)?)?cache",
                              re.IGNORECASE)),
    ("batch_size", re.compile(rf"batch(?:\s+size)?(?:\s+(?:of|=|is|:))?\s+(?P<v>\d+){_INT_END}", re.IGNORECASE)),
    ("top_k", re.compile(r"top[- ]?(?P<v>\d+)\b|k\s?=\s?(?P<v2>\d+)", re.IGNORECASE)),
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
    bound: str | None = None  # "upper" ("up to 10x"), "lower" ("beyond 600B"), None: the figure itself


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
            raw = next(g for g in (m.groupdict().get(n) for n in ("v", "v2", "v3", "v4", "v5")) if g)
            out.append(SettingMention(key, _to_float(raw), m.start(), m.end()))
    return out


def _plain(text: str) -> tuple[str, list[int], list[int]]:
    """``text`` with LaTeX read as plain characters, and for each character of the result the
    start and end offsets of what it came from (so spans still index the original text)."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _LATEX.finditer(text):
        out.append(text[pos:m.start()])
        starts.extend(range(pos, m.start()))
        ends.extend(range(pos + 1, m.start() + 1))
        reads = _LATEX_READS[m.group(0)]
        out.append(reads)
        starts.extend([m.start()] * len(reads))
        ends.extend([m.end()] * len(reads))
        pos = m.end()
    out.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return "".join(out), starts, ends


def _bound(before: str) -> str | None:
    if _UPPER_BEFORE.search(before):
        return "upper"
    if _LOWER_BEFORE.search(before):
        return "lower"
    return None


def _word_scaled(num: str, surface: str | None) -> float:
    """The number with "million"/"trillion" applied, to order the two ends of a range."""
    return _to_float(num) * _PARAM_SCALE.get(_unit_of(surface) or "", 1.0)


def _unit_and_scale(surface: str | None, after: str) -> tuple[str | None, float]:
    """Canonical unit of ``surface`` and the factor to its canonical scale; ``after`` is the
    text that follows (a million or trillion counts parameters only when "parameters" does)."""
    unit = _unit_of(surface)
    if unit in _PARAM_SCALE:
        return ("B params", _PARAM_SCALE[unit]) if _PARAMS_AFTER.match(after) else (None, 1.0)
    return unit, 1.0


def find_quantities(text: str, masked: list[tuple[int, int]] = ()) -> list[Quantity]:
    """Numbers of ``text`` outside the ``masked`` spans, with unit, range and bound when written.

    "1.5-2×" gives value 1.5, value_high 2, unit ×; "up to 93.72%" gives 93.72 % bound "upper";
    "from 35.21 GB to 6.52 GB" gives two quantities.
    """
    out: list[Quantity] = []
    if masked:  # blank the names out so "Switch-32 to 89.51%" is not read as a range from 32
        chars = list(text)
        for a, b in masked:
            chars[a:b] = "#" * (b - a)
        text = "".join(chars)
    plain, starts, ends = _plain(text)
    for m in _QUANTITY.finditer(plain):
        s, e = m.start(), m.end()
        before = plain[max(0, s - 24):s]
        if _NOT_A_VALUE_BEFORE.search(plain[max(0, s - 14):s]) or _SPREAD_BEFORE.search(before):
            continue
        lo, hi = m.group("lo"), m.group("hi")
        lo_end = m.end("lounit") if m.group("lounit") else m.end("lo")
        if (hi is not None and (m.group("sep") != "to" or _RANGE_CUE.search(before))
                and _word_scaled(hi, m.group("hiunit")) >= _word_scaled(lo, m.group("lounit"))):
            hi_unit, hi_scale = _unit_and_scale(m.group("hiunit"), plain[e:e + 24])
            lo_unit = _unit_of(m.group("lounit"))
            if lo_unit in _PARAM_SCALE and hi_unit == "B params":
                lo_unit, lo_scale = hi_unit, _PARAM_SCALE[_unit_of(m.group("lounit"))]  # "85 million to 1.2 billion"
            elif lo_unit is None:
                lo_unit, lo_scale = hi_unit, hi_scale
            else:
                lo_unit, lo_scale = _unit_and_scale(m.group("lounit"), plain[lo_end:lo_end + 24])
            parts = [(lo, lo_unit, lo_scale, s, e, _to_float(hi) * (hi_scale if m.group("hiunit") else lo_scale))]
        else:
            first_unit, first_scale = _unit_and_scale(m.group("lounit"), plain[lo_end:lo_end + 24])
            parts = [(lo, first_unit, first_scale, s, lo_end, None)]
            if hi is not None:  # "from A to B" (a before and an after) or "2-1": two numbers
                second_unit, second_scale = _unit_and_scale(m.group("hiunit"), plain[e:e + 24])
                if first_unit is None:  # "from 35 to 6.5 GB"
                    parts[0] = (lo, second_unit, second_scale, s, lo_end, None)
                parts.append((hi, second_unit, second_scale, m.start("hi"), e, None))
        for i, (num, unit, scale, a, b, value_high) in enumerate(parts):
            value = _to_float(num) * scale
            if unit is None and 1900 <= value <= 2100 and "." not in num or _DECADE.fullmatch(plain[a:b]):
                continue  # a year, or a decade ("the 1990s" is not 1990 seconds)
            decimals = len(num.split(".")[1]) if "." in num else 0
            bound = _bound(plain[max(0, a - 24):a]) if i == 0 else None
            out.append(Quantity(round(value, 9), value_high, unit, starts[a], ends[b - 1], decimals, bound))
    return out


def values_agree(a: float, a_decimals: int, b: float, b_decimals: int) -> bool:
    """True when two written numbers are the same figure at the precision both were written to.

    "2×" agrees with 1.99× (written to 0 decimals: half a unit of tolerance); 2.04 does not
    agree with 2.01. A 0.5% relative tolerance absorbs unit rounding (e.g. GB vs GiB).
    """
    tol = 0.5 * 10 ** (-min(a_decimals, b_decimals))
    return abs(a - b) <= max(tol + 1e-9, 0.005 * max(abs(a), abs(b)))
