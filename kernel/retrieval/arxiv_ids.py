"""arXiv identifiers: the versionless id is the key of a paper everywhere in SOVEREIGN.

Accepted forms: ``2410.17954``, ``2410.17954v2``, ``arXiv:2410.17954``, the abs/pdf URLs
(``https://arxiv.org/abs/2410.17954v1``), and old-style ids (``hep-th/9901001v3``,
``math.GT/0309136``). Case of the ``arXiv:`` prefix and a trailing ``.pdf`` do not matter.
"""

from __future__ import annotations

import re

from kernel.errors import BadInput

_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID_RE = re.compile(rf"^(?P<base>{_NEW}|{_OLD})(?P<version>v\d+)?$")
_PREFIX_RE = re.compile(r"^(?:https?://(?:export\.)?arxiv\.org/(?:abs|pdf|html)/|arxiv:)", re.I)


class BadArxivId(BadInput):
    """A string that is not an arXiv identifier."""


def split_id(raw: str) -> tuple[str, str | None]:
    """``"arXiv:2410.17954v2"`` -> ``("2410.17954", "v2")``; raises BadArxivId otherwise."""
    text = _PREFIX_RE.sub("", raw.strip())
    if text.endswith(".pdf"):
        text = text[: -len(".pdf")]
    match = _ID_RE.match(text)
    if match is None:
        raise BadArxivId(
            f"not an arXiv id: {raw!r}; expected e.g. 2410.17954, 2410.17954v2 or hep-th/9901001"
        )
    return match["base"], match["version"]


def versionless(raw: str) -> str:
    """The versionless id, the primary key of `Paper`."""
    return split_id(raw)[0]


def is_arxiv_id(raw: str) -> bool:
    try:
        split_id(raw)
    except BadArxivId:
        return False
    return True


def pdf_url(paper_id: str, version: str | None = None) -> str:
    """The canonical arXiv PDF address of a paper (latest version when `version` is None)."""
    return f"https://arxiv.org/pdf/{paper_id}{version or ''}"
