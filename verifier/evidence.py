"""Checking claims against a free text (a file, a paper body): cut it into passages,
keep the ones most likely to bear on each claim, check against those.

The text is independent evidence (the user's claim does not come from it), so its passages
can support or contradict; there is no attribution.

Long texts are cut at sentence boundaries into passages of at most ``max_chars``; a TF-IDF
pre-selection keeps ``keep`` of them so a 5 MB text costs seconds, not an embedding of
every sentence.
"""

from __future__ import annotations

from verifier.baseline import tfidf_cosines
from verifier.check import TextChecker
from verifier.errors import BadInput
from verifier.sentences import ensure_text, split_sentences
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


# The user chose the text as evidence and TF-IDF picked its passages: a passage diluted by
# unrelated sentences is still scored (by its closest sentence), not dropped by whole-passage cosine.
_ANY = -1.0


def evidence_passages(text: str | bytes, *, paper_id: str = "evidence") -> list[PassageRef]:
    """``text`` cut into passages the way the pipeline cuts a paper's text.

    Raises BadInput for empty, binary or oversized evidence.
    """
    text = ensure_text(text)
    if not text.strip():
        raise BadInput("evidence text is empty; give the passage or paper text to check against")
    return [PassageRef(id=k, paper_id=paper_id, text=c) for k, c in enumerate(chunk_text(text))]


def _preselect(claim_text: str, refs: list[PassageRef], keep: int) -> list[PassageRef]:
    if len(refs) <= keep:
        return refs
    cos = tfidf_cosines([claim_text], [r.text for r in refs], [(0, j) for j in range(len(refs))])
    return [refs[j] for j in sorted(range(len(refs)), key=lambda j: -cos[j])[:keep]]


def check_claims_against_text(checker: TextChecker, claims: list[ExtractedClaim | str], text: str | bytes, *,
                              paper_id: str = "evidence", keep: int = 12) -> list[TextVerdict]:
    """Verdicts of many ``claims`` against one evidence ``text`` (cut once, encoded once).

    Each claim is judged on the ``keep`` passages its TF-IDF ranks first (of which the checker
    scores its ``top_k`` most relevant, however low their whole-passage cosine).
    """
    refs = evidence_passages(text, paper_id=paper_id)
    if len(refs) <= keep:
        return checker.check_batch(claims, refs, min_relevance=_ANY)
    out = []
    for claim in claims:
        claim_text = claim.text if isinstance(claim, ExtractedClaim) else claim
        out += checker.check_batch([claim], _preselect(claim_text, refs, keep), min_relevance=_ANY)
    return out


def check_against_text(checker: TextChecker, claim: ExtractedClaim | str, text: str | bytes, *,
                       paper_id: str = "evidence", keep: int = 12) -> TextVerdict:
    """Verdict of one ``claim`` against ``text``; see :func:`check_claims_against_text`."""
    return check_claims_against_text(checker, [claim], text, paper_id=paper_id, keep=keep)[0]
