"""Signals of claim–passage pairs, computed in bulk: every text is encoded once.

``PairFeatures.matrix`` is ``[P, F]`` float32 with columns ``FEATURES`` (P pairs).
TF-IDF (word unigrams and bigrams) is fitted on the pool of texts given, as a retrieval
index over those texts would be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from verifier.compare import Comparison, PassageFacts, compare, negation_mismatch
from verifier.embedder import Embedder
from verifier.extract import fact_to_claim, sentence_facts
from verifier.numbers import RESULT_UNITS
from verifier.types import ExtractedClaim

FEATURES = (
    "tfidf", "embedding", "embedding_passage", "overlap", "embedding_sq", "embedding_x_overlap",
    "numeric_match", "numeric_conflict", "unit_conflict", "entity_match", "entity_conflict",
    "direction_conflict", "negation", "claim_has_value", "passage_has_value",
    "conflict_x_embedding", "match_x_embedding", "claim_structured",
)
_STOP = frozenset("""a an the of to in on for and or by with at from as is are was were be been being it its this
that these those than then there their they we our us he she his her them which who whom what when where how
has have had do does did not no can could would should may might will shall also such into over under about
more most less very so only just but if""".split())
_WORD = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")


def content_words(text: str) -> set[str]:
    return {w.rstrip("s") if len(w) > 3 else w for w in _WORD.findall(text.lower()) if w not in _STOP}


def claim_views(claim: ExtractedClaim | str) -> list[ExtractedClaim]:
    """The structured claims one claim text stands for (one per result number it states)."""
    if isinstance(claim, ExtractedClaim):
        return [claim]
    facts = sentence_facts(claim[:2000])
    views = [fact_to_claim(claim, f, "quantitative" if f.quantity else "method", 0) for f in facts]
    return views or [ExtractedClaim(text=claim, kind="method")]


def merge_comparisons(parts: list[Comparison]) -> Comparison:
    """One comparison for a claim with several numbers: any conflict counts, matches must all hold."""
    if len(parts) == 1:
        return parts[0]
    out = Comparison(signals={}, reasons=[], sentence_index=None)
    for key in parts[0].signals:
        vals = [p.signals[key] for p in parts]
        out.signals[key] = min(vals) if key in ("numeric_match", "entity_match") else max(vals)
    for p in parts:
        out.reasons += [r for r in p.reasons if r not in out.reasons]
        if out.sentence_index is None:
            out.sentence_index = p.sentence_index
    return out


@dataclass
class PairFeatures:
    matrix: np.ndarray  # [P, F]
    comparisons: list[Comparison]
    best_sentence: list[int]  # per pair: index of the passage sentence that decided or matched best
    facts: list[PassageFacts]  # per passage


def pair_features(claims: Sequence[ExtractedClaim | str], passages: Sequence[str],
                  pairs: Sequence[tuple[int, int]], embedder: Embedder) -> PairFeatures:
    """Signals for each ``(claim index, passage index)`` in ``pairs``."""
    claim_texts = [c.text if isinstance(c, ExtractedClaim) else c for c in claims]
    used_p = sorted({j for _, j in pairs})
    facts: list[PassageFacts | None] = [None] * len(passages)
    sent_texts: list[str] = []
    sent_slices: dict[int, tuple[int, int]] = {}
    for j in used_p:
        pf = PassageFacts.build(passages[j])
        facts[j] = pf
        a = len(sent_texts)
        sent_texts += [pf.sentence(i) for i in range(len(pf.sentences))]
        sent_slices[j] = (a, len(sent_texts))
    used_c = sorted({i for i, _ in pairs})
    c_vec = np.zeros((len(claims), 1), np.float32)
    if pairs:
        enc = embedder.encode([claim_texts[i] for i in used_c] + sent_texts)
        c_vec = np.zeros((len(claims), enc.shape[1]), np.float32)
        c_vec[used_c] = enc[:len(used_c)]
        s_vec = enc[len(used_c):]
    tf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    try:
        tf_m = tf.fit_transform([claim_texts[i] for i in used_c] + [passages[j] for j in used_p])
    except ValueError:  # nothing but stop-words / symbols in the pool
        tf_m = None
    c_row = {i: k for k, i in enumerate(used_c)}
    p_row = {j: len(used_c) + k for k, j in enumerate(used_p)}
    views = {i: claim_views(claims[i]) for i in used_c}
    words = {i: content_words(claim_texts[i]) for i in used_c}
    structured = {i: float(any(v.value is not None and v.unit in RESULT_UNITS or v.system or v.model or v.hardware
                               or v.baseline for v in views[i])) for i in used_c}
    if tf_m is not None and pairs:
        tf_all = np.asarray(tf_m[[c_row[i] for i, _ in pairs]].multiply(tf_m[[p_row[j] for _, j in pairs]])
                            .sum(axis=1)).ravel()
    else:
        tf_all = np.zeros(len(pairs))
    rows, comps, best = [], [], []
    for n, (i, j) in enumerate(pairs):
        tfidf = float(tf_all[n])
        pf = facts[j]
        a, b = sent_slices[j]
        sims = s_vec[a:b] @ c_vec[i] if b > a else np.zeros(1, np.float32)
        k = int(np.argmax(sims))
        mean = s_vec[a:b].mean(axis=0) if b > a else np.zeros_like(c_vec[i])
        emb_p = float(mean @ c_vec[i] / (np.linalg.norm(mean) + 1e-8))
        cw = words[i]
        overlap = len(cw & content_words(passages[j])) / len(cw) if cw else 0.0
        comp = merge_comparisons([compare(v, pf) for v in views[i]])
        decided = comp.sentence_index if comp.sentence_index is not None else k
        emb = float(sims[k])
        s = comp.signals
        rows.append([tfidf, emb, emb_p, overlap, emb * emb, emb * overlap,
                     s["numeric_match"], s["numeric_conflict"], s["unit_conflict"], s["entity_match"],
                     s["entity_conflict"], s["direction_conflict"],
                     negation_mismatch(claim_texts[i], pf.sentence(decided)),
                     s["claim_has_value"], s["passage_has_value"],
                     # A conflict matters when the passage is about the claim at all.
                     max(s["numeric_conflict"], s["unit_conflict"], s["entity_conflict"]) * emb,
                     max(s["numeric_match"], s["entity_match"]) * emb,
                     structured[i]])
        comps.append(comp)
        best.append(decided)
    matrix = np.asarray(rows, np.float32).reshape(len(rows), len(FEATURES))
    return PairFeatures(matrix, comps, best, facts)
