"""Checking a claim against a free text (a file, a paper body): cut it into passages,
keep the ones most likely to bear on the claim, check against those.

Long texts are cut at sentence boundaries into passages of at most ``max_chars``; a TF-IDF
pre-selection keeps ``keep`` of them so a 5 MB text costs seconds, not an embedding of
every sentence.
"""

from __future__ import annotations

from verifier.baseline import tfidf_cosines
from verifier.check import TextChecker
from verifier.errors import BadInputError
from verifier.extract import ensure_text
from verifier.sentences import split_sentences
from verifier.types import ExtractedClaim, PassageRef, TextVerdict


def chunk_text(text: str, max_chars: int = 1200) -> list[str]:
    """Consecutive sentence groups of at most ``max_chars`` (a longer sentence is cut)."""
    chunks: list[str] = []
    cur_start = cur_end = None
    for s, e in split_sentences(text):
        if e - s > max_chars:  # one enormous "sentence": cut it plainly
            if cur_start is not None:
                chunks.append(text[cur_start:cur_end])
                cur_start = None
            chunks += [text[k:min(e, k + max_chars)] for k in range(s, e, max_chars)]
            continue
        if cur_start is None:
            cur_start, cur_end = s, e
        elif e - cur_start <= max_chars:
            cur_end = e
        else:
            chunks.append(text[cur_start:cur_end])
            cur_start, cur_end = s, e
    if cur_start is not None:
        chunks.append(text[cur_start:cur_end])
    return [c for c in chunks if c.strip()]


def check_against_text(checker: TextChecker, claim: ExtractedClaim | str, text: str | bytes, *,
                       paper_id: str = "evidence", keep: int = 12) -> TextVerdict:
    """Verdict of ``claim`` against ``text`` treated as its own source.

    Raises BadInputError for empty, binary or oversized evidence.
    """
    text = ensure_text(text)
    if not text.strip():
        raise BadInputError("evidence text is empty; give the passage or paper text to check against")
    chunks = chunk_text(text)
    claim_text = claim.text if isinstance(claim, ExtractedClaim) else claim
    if len(chunks) > keep:
        cos = tfidf_cosines([claim_text], chunks, [(0, j) for j in range(len(chunks))])
        order = sorted(range(len(chunks)), key=lambda j: -cos[j])[:keep]
        chunks = [chunks[j] for j in sorted(order, key=lambda j: -cos[j])]
    refs = [PassageRef(id=k, paper_id=paper_id, text=c) for k, c in enumerate(chunks)]
    return checker.check(claim, refs[0], refs[1:])
