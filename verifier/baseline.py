"""The named baseline: the research kernel's rule, TF-IDF cosine >= 0.15 means SUPPORTED.

Kept to measure ourselves against. It never says CONTRADICTED. The vectoriser is fitted on
the texts given in one call (claims and passages), word unigrams+bigrams by default;
``ngram_range=(2, 2)`` gives the bigram-only reading of the kernel's description.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

THRESHOLD = 0.15


def tfidf_cosines(claims: Sequence[str], passages: Sequence[str], pairs: Sequence[tuple[int, int]],
                  ngram_range: tuple[int, int] = (1, 2)) -> np.ndarray:
    """Cosine of each ``(claim index, passage index)`` pair; ``[len(pairs)]`` in [0, 1]."""
    vec = TfidfVectorizer(ngram_range=ngram_range)
    try:
        m = vec.fit_transform(list(claims) + list(passages))
    except ValueError:  # empty vocabulary
        return np.zeros(len(pairs))
    n = len(claims)
    c = m[[i for i, _ in pairs]]
    p = m[[n + j for _, j in pairs]]
    return np.asarray(c.multiply(p).sum(axis=1)).ravel()


def baseline_verdicts(claims: Sequence[str], passages: Sequence[str], pairs: Sequence[tuple[int, int]],
                      threshold: float = THRESHOLD, ngram_range: tuple[int, int] = (1, 2)) -> list[str]:
    """SUPPORTED where the cosine reaches ``threshold``, else UNVERIFIED."""
    cos = tfidf_cosines(claims, passages, pairs, ngram_range)
    return ["SUPPORTED" if c >= threshold else "UNVERIFIED" for c in cos]
