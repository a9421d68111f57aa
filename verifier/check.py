"""TextChecker: claim × passages -> SUPPORTED | CONTRADICTED | UNVERIFIED with reasons.

The verdict on the claim's own passage decides when it is decisive; otherwise the most
confident decisive verdict among the other papers' relevant passages. Other papers that
agree or disagree are reported as corroboration. Confidence is the combiner's calibrated
probability of the verdict given.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from verifier.combiner import Combiner
from verifier.embedder import Embedder
from verifier.errors import BadInputError
from verifier.extract import ensure_text
from verifier.features import FEATURES, PairFeatures, pair_features
from verifier.settings import VerifierSettings
from verifier.types import Corroboration, EvidenceItem, ExtractedClaim, PassageRef, TextVerdict

_ENGLISH = frozenset("the a an of to in and is are on for with by than that this it as be from at was were "
                     "has have its or not which we our".split())
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)


def looks_english(text: str) -> bool:
    """False for running text in another language (few English function words, or mostly non-Latin letters)."""
    words = _LETTERS.findall(text.lower())
    if len(words) < 4:
        return True
    latin = sum(1 for w in words if w.isascii())
    if latin < 0.6 * len(words):
        return False
    return sum(1 for w in words if w in _ENGLISH) >= max(1, 0.06 * len(words))


def _snippet(text: str, span: tuple[int, int], limit: int = 400) -> str:
    s, e = span
    return text[s:e] if e - s <= limit else text[s:s + limit - 1] + "…"


class TextChecker:
    """Checks claims against passages with a fitted combiner over textual signals.

    ``embedder`` is any :class:`~verifier.embedder.Embedder`; its model is loaded once by the
    caller (``VerifierSettings.make_embedder()``).
    """

    def __init__(self, embedder: Embedder, *, settings: VerifierSettings | None = None,
                 combiner: Combiner | None = None) -> None:
        self.settings = settings or VerifierSettings()
        self.embedder = embedder
        self.combiner = combiner or Combiner.load(self.settings.combiner_path)

    # -- validation ---------------------------------------------------------------------
    def _claim(self, claim: ExtractedClaim | str) -> ExtractedClaim | str:
        text = claim.text if isinstance(claim, ExtractedClaim) else claim
        if not isinstance(text, str):
            raise BadInputError(f"claim must be text, got {type(text).__name__}")
        ensure_text(text)
        if not text.strip():
            raise BadInputError("claim is empty; give the sentence to check")
        if len(text) > self.settings.max_claim_chars:
            raise BadInputError(f"claim has {len(text)} characters; the limit is {self.settings.max_claim_chars} "
                                "— give one claim sentence, or extract claims from the text first")
        return claim

    # -- scoring ------------------------------------------------------------------------
    def score_pairs(self, claims: Sequence[ExtractedClaim | str], passages: Sequence[str],
                    pairs: Sequence[tuple[int, int]]) -> tuple[PairFeatures, np.ndarray, list[str]]:
        """Signals, probabilities ``[P, 3]`` (combiner class order) and verdicts of each pair."""
        feats = pair_features(claims, passages, pairs, self.embedder)
        probs = self.combiner.probabilities(feats.matrix) if len(pairs) else np.zeros((0, 3))
        return feats, probs, self.combiner.decide(probs, feats.matrix) if len(pairs) else []

    def check(self, claim: ExtractedClaim | str, own: PassageRef | None,
              others: Sequence[PassageRef] = ()) -> TextVerdict:
        """Verdict of one claim against its own passage (may be None) and other passages."""
        return self.check_batch([claim], list(others), own=[own])[0]

    def check_batch(self, claims: Sequence[ExtractedClaim | str], passages: Sequence[PassageRef], *,
                    own: Sequence[PassageRef | None] | None = None) -> list[TextVerdict]:
        """Verdicts of many claims against one shared pool of passages (each encoded once).

        ``own[i]`` is claim i's source passage (or None); it need not be in ``passages``.
        Each claim is scored against its own passage and its ``top_k`` most relevant others.
        """
        claims = [self._claim(c) for c in claims]
        own = list(own) if own is not None else [None] * len(claims)
        if len(own) != len(claims):
            raise BadInputError(f"own has {len(own)} entries for {len(claims)} claims; give one (or None) per claim")
        pool: list[PassageRef] = list(passages)
        key = {(p.paper_id, str(p.id)): k for k, p in enumerate(pool)}
        own_idx: list[int | None] = []
        for o in own:
            if o is None:
                own_idx.append(None)
                continue
            k = key.get((o.paper_id, str(o.id)))
            if k is None:
                k = len(pool)
                pool.append(o)
                key[(o.paper_id, str(o.id))] = k
            own_idx.append(k)
        for p in pool:
            if len(p.text) > self.settings.max_evidence_chars:
                raise BadInputError(f"passage {p.id} has {len(p.text):,} characters; the limit is "
                                    f"{self.settings.max_evidence_chars:,}")
            ensure_text(p.text)
        texts = [c.text if isinstance(c, ExtractedClaim) else c for c in claims]
        candidates = self._candidates(texts, pool, own_idx)
        pairs = [(i, j) for i, js in enumerate(candidates) for j in js]
        feats, probs, verdicts = self.score_pairs(claims, [p.text for p in pool], pairs)
        out = []
        start = 0
        for i, js in enumerate(candidates):
            rows = list(range(start, start + len(js)))
            start += len(js)
            out.append(self._verdict(texts[i], pool, own_idx[i], js, rows, feats, probs, verdicts))
        return out

    def _candidates(self, texts: list[str], pool: list[PassageRef], own_idx: list[int | None]) -> list[list[int]]:
        """Own passage first, then the top_k other-paper passages by whole-passage cosine."""
        others_needed = any(len(pool) > (1 if o is not None else 0) for o in own_idx)
        rel = None
        if others_needed and pool:
            vec = self.embedder.encode(texts + [p.text[:2000] for p in pool])
            rel = vec[:len(texts)] @ vec[len(texts):].T  # [C, P]
        out = []
        for i, o in enumerate(own_idx):
            js = [o] if o is not None else []
            if rel is not None:
                order = [int(j) for j in np.argsort(-rel[i]) if j != o and rel[i, j] >= self.settings.min_relevance]
                js += order[: self.settings.top_k]
            out.append(js)
        return out

    def _verdict(self, text, pool, own, js, rows, feats, probs, verdicts) -> TextVerdict:
        classes = list(self.combiner.classes)
        if not looks_english(text):
            return TextVerdict(verdict="UNVERIFIED", confidence=1.0, reasons=[
                "claim does not look like English; the checks are built for English text — translate it first"])
        if not js:
            return TextVerdict(verdict="UNVERIFIED", confidence=1.0,
                               reasons=["no passage to check against (no own passage, no relevant other passage)"])
        decisive = [(r, j) for r, j in zip(rows, js) if verdicts[r] != "UNVERIFIED"]
        own_rows = [(r, j) for r, j in zip(rows, js) if j == own]
        if own_rows and verdicts[own_rows[0][0]] != "UNVERIFIED":
            r, j = own_rows[0]
        elif decisive:
            r, j = max(decisive, key=lambda t: probs[t[0], classes.index(verdicts[t[0]])])
        else:
            r, j = own_rows[0] if own_rows else (rows[0], js[0])
        verdict = verdicts[r]
        conf = float(probs[r, classes.index(verdict)])
        x = feats.matrix[r]
        scores = {name: round(float(v), 4) for name, v in zip(FEATURES, x)}
        scores.update({f"p_{c.lower()}": round(float(probs[r, k]), 4) for k, c in enumerate(classes)})
        p = pool[j]
        reasons = list(feats.comparisons[r].reasons)
        reasons.append(f"MiniLM cosine {x[FEATURES.index('embedding')]:.2f}, TF-IDF {x[FEATURES.index('tfidf')]:.2f} "
                       f"with {'its own passage' if j == own else f'passage {p.id} of {p.paper_id}'}")
        if x[FEATURES.index("negation")] > 0:
            reasons.append("negated in one text but not the other")
        evidence = []
        for rr, jj in sorted(zip(rows, js), key=lambda t: (t[1] != j, -feats.matrix[t[0], FEATURES.index("embedding")])):
            q = pool[jj]
            evidence.append(EvidenceItem(passage_id=q.id, paper_id=q.paper_id,
                                         text=_snippet(q.text, feats.facts[jj].sentences[feats.best_sentence[rr]]),
                                         score=round(max(0.0, float(feats.matrix[rr, FEATURES.index("embedding")])), 4)))
        own_paper = pool[own].paper_id if own is not None else None
        corroboration = [
            Corroboration(paper_id=pool[jj].paper_id, passage_id=pool[jj].id,
                          relation="restates" if verdicts[rr] == "SUPPORTED" else "contradicts",
                          snippet=_snippet(pool[jj].text, feats.facts[jj].sentences[feats.best_sentence[rr]]))
            for rr, jj in zip(rows, js)
            if jj != own and pool[jj].paper_id != own_paper and verdicts[rr] != "UNVERIFIED"
        ]
        return TextVerdict(verdict=verdict, confidence=min(1.0, max(0.0, conf)), scores=scores,
                           evidence=evidence[:5], reasons=reasons, corroboration=corroboration)
