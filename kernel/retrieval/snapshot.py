"""Records of the arXiv metadata snapshot (Kaggle `arxiv-metadata-oai-snapshot`, JSON lines)
turned into `Paper` rows.

Handles the quirks of the raw dump and of hand-built files (see ../shared/corpus/README.md):
hard line breaks and leading spaces in titles/abstracts, version dates with or without a time
or null, missing `categories`, `authors_parsed` absent or present.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from kernel.retrieval.arxiv_ids import BadArxivId, pdf_url, split_id

_AUTHOR_SPLIT_RE = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


class MalformedRecord(ValueError):
    """A snapshot line that cannot become a paper; the message says which field is wrong."""


def squash(text: str | None) -> str:
    """Whitespace runs (line breaks included) to one space, trimmed."""
    return " ".join(text.split()) if text else ""


_MONTHS = {m: i for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


def parse_created(value: str | None) -> datetime | None:
    """``"Wed, 23 Oct 2024 15:24:54 GMT"`` or ``"Wed, 23 Oct 2024"`` -> aware UTC datetime."""
    if not value:
        return None
    value = value.strip()
    # Fast path for the dump's one format (strptime is most of the import's parse time).
    parts = value.split()
    if len(parts) in (4, 6) and parts[2] in _MONTHS and parts[1].isdigit() and parts[3].isdigit():
        try:
            hms = [int(x) for x in parts[4].split(":")] if len(parts) == 6 else [0, 0, 0]
            return datetime(int(parts[3]), _MONTHS[parts[2]], int(parts[1]), *hms,
                            tzinfo=timezone.utc)
        except (ValueError, TypeError):
            pass
    for fmt in ("%a, %d %b %Y %H:%M:%S %Z", "%a, %d %b %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _authors(record: dict[str, Any]) -> list[str]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for part in parsed:
            if isinstance(part, list) and part:
                last, first, suffix = (list(part) + ["", "", ""])[:3]
                names.append(squash(f"{first} {last} {suffix}"))
        if names:
            return names
    raw = squash(record.get("authors") if isinstance(record.get("authors"), str) else "")
    return [a for a in (s.strip() for s in _AUTHOR_SPLIT_RE.split(raw)) if a]


def paper_fields(record: Any, source: str) -> dict[str, Any]:
    """The `Paper` columns for one snapshot record; raises MalformedRecord with the reason."""
    if not isinstance(record, dict):
        raise MalformedRecord(f"expected a JSON object, got {type(record).__name__}")
    raw_id = record.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise MalformedRecord("missing 'id'")
    try:
        paper_id, id_version = split_id(raw_id)
    except BadArxivId:
        raise MalformedRecord(f"'id' is not an arXiv id: {raw_id!r}") from None
    title = squash(record.get("title")) if isinstance(record.get("title"), str) else ""
    if not title:
        raise MalformedRecord(f"{paper_id}: missing 'title'")
    versions = record.get("versions") or []
    if not isinstance(versions, list):
        raise MalformedRecord(f"{paper_id}: 'versions' is not a list")
    versions = [v for v in versions if isinstance(v, dict)]
    version = id_version or (versions[-1].get("version") if versions else None)
    published = parse_created(versions[0].get("created")) if versions else None
    updated = parse_created(versions[-1].get("created")) if versions else None
    if updated is None:
        updated = parse_created(record.get("update_date"))
    cats = record.get("categories")
    abstract = record.get("abstract")
    return {
        "id": paper_id,
        "version": version,
        "title": title,
        "authors": _authors(record),
        "abstract": squash(abstract) if isinstance(abstract, str) else "",
        "categories": cats.split() if isinstance(cats, str) else [],
        "published": published,
        "updated": updated,
        "pdf_url": pdf_url(paper_id, version),
        "source": source,
    }
