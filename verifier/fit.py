"""Fit the combiner and write ``verifier/data/combiner.json`` (a few KB of numbers).

    python -m verifier.fit [--shared ../shared] [--out verifier/data/combiner.json]

Training data: the Climate-FEVER *train* split (by claim id) and the *train* passages of
our MoE set (with their unrelated-passage pairs). Held-out parts are never read here.
Decision weights are chosen on 5-fold cross-validated probabilities of the training data
to maximise the mean of the two sources' macro-F1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from verifier.combiner import DEFAULT_PATH
from verifier.datasets import LabelledPair, climate_fever_pairs, default_shared_dir, moe_pairs
from verifier.embedder import MiniLMEmbedder
from verifier.features import FEATURES, pair_features

CLASSES = ("SUPPORTED", "CONTRADICTED", "UNVERIFIED")
MOE_SAMPLE_WEIGHT = 10.0  # ~100 MoE pairs against ~5,000 Climate-FEVER pairs


def featurise(pairs: list[LabelledPair], embedder) -> np.ndarray:
    """``[len(pairs), F]`` signals, each pair scored against its own evidence text."""
    claims = list(dict.fromkeys(p.claim for p in pairs))
    passages = list(dict.fromkeys(p.evidence for p in pairs))
    ci = {c: i for i, c in enumerate(claims)}
    pj = {t: j for j, t in enumerate(passages)}
    return pair_features(claims, passages, [(ci[p.claim], pj[p.evidence]) for p in pairs], embedder).matrix


def _fit(x, y, w):
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit((x - mean) / scale, y, sample_weight=w)
    return lr, mean, scale


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=default_shared_dir())
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = ap.parse_args(argv)
    t0 = time.time()
    embedder = MiniLMEmbedder(threads=2)
    cf = climate_fever_pairs(args.shared / "data" / "climate-fever" / "climate-fever.jsonl", "train")
    moe = moe_pairs("train")
    pairs = cf + moe
    x = np.concatenate([featurise(cf, embedder), featurise(moe, embedder)])
    y = np.array([CLASSES.index(p.label) for p in pairs])
    w = np.array([1.0 if p.source == "climate-fever" else MOE_SAMPLE_WEIGHT for p in pairs])
    groups = np.array([f"{p.source}:{p.group}" for p in pairs])
    is_moe = np.array([p.source == "moe" for p in pairs])

    cv_probs = np.zeros((len(pairs), len(CLASSES)))
    for tr, te in GroupKFold(n_splits=5).split(x, y, groups):
        lr, mean, scale = _fit(x[tr], y[tr], w[tr])
        cv_probs[te] = lr.predict_proba((x[te] - mean) / scale)

    def score(dw):
        pred = np.argmax(cv_probs * dw, axis=1)
        f_cf = f1_score(y[~is_moe], pred[~is_moe], average="macro")
        f_moe = f1_score(y[is_moe], pred[is_moe], average="macro")
        return (f_cf + f_moe) / 2, f_cf, f_moe

    grid = [0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0]
    best = max((np.array([a, b, 1.0]) for a, b in itertools.product(grid, grid)), key=lambda dw: score(dw)[0])
    lr, mean, scale = _fit(x, y, w)
    params = {
        "about": "multinomial logistic regression over verifier.features.FEATURES; fitted by python -m verifier.fit",
        "classes": [CLASSES[k] for k in lr.classes_],
        "features": list(FEATURES),
        "mean": np.round(mean, 6).tolist(), "scale": np.round(scale, 6).tolist(),
        "coef": np.round(lr.coef_, 6).tolist(), "intercept": np.round(lr.intercept_, 6).tolist(),
        "decision_weights": [float(best[CLASSES.index(c)]) for c in (CLASSES[k] for k in lr.classes_)],
        "fitted_on": {"climate_fever_train_pairs": len(cf), "moe_train_pairs": len(moe),
                      "moe_sample_weight": MOE_SAMPLE_WEIGHT},
        "cv_macro_f1": dict(zip(("mean", "climate_fever", "moe"), (round(v, 4) for v in score(best)))),
    }
    args.out.write_text(json.dumps(params, indent=1) + "\n")
    report = {"out": str(args.out), "seconds": round(time.time() - t0, 1), **params["fitted_on"],
              "decision_weights": params["decision_weights"], "cv_macro_f1": params["cv_macro_f1"]}
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
