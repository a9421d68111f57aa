"""Fit the combiner and write ``verifier/data/combiner.json`` (a few KB of numbers).

    python -m verifier.fit [--shared ../shared] [--out verifier/data/combiner.json]

Training data: the Climate-FEVER *train* split (by claim id) and the *train* passages of
our MoE set (with their unrelated-passage pairs). Held-out parts are never read here.
Two regressions are fitted, one for structured claims (names or result numbers) and one
for plain prose (see verifier.combiner). Decision weights of each are chosen on 5-fold
grouped cross-validated probabilities of its training data, to maximise the mean of the
two sources' macro-F1.
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

from verifier.combiner import DEFAULT_PATH, ROUTE
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
    lr = LogisticRegression(C=1.0, max_iter=3000)
    lr.fit((x - mean) / scale, y, sample_weight=w)
    return lr, mean, scale


def _fit_route(x, y, w, groups, objective_masks, source_weights=(1.0, 1.0)) -> tuple[dict, dict]:
    """Fit one regression; choose decision weights on 5-fold grouped CV probabilities to
    maximise the ``source_weights``-weighted mean macro-F1 over ``objective_masks`` (one
    boolean mask per data source)."""
    cv_probs = np.zeros((len(y), len(CLASSES)))
    for tr, te in GroupKFold(n_splits=5).split(x, y, groups):
        lr, mean, scale = _fit(x[tr], y[tr], w[tr])
        cv_probs[te][:, lr.classes_] = 0
        cv_probs[np.ix_(te, lr.classes_)] = lr.predict_proba((x[te] - mean) / scale)

    def score(dw):
        pred = np.argmax(cv_probs * dw, axis=1)
        return [f1_score(y[m], pred[m], average="macro", labels=[0, 1, 2], zero_division=0)
                for m in objective_masks if m.any()]

    grid = [0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]
    best = max((np.array([a, b, 1.0]) for a, b in itertools.product(grid, grid)),
               key=lambda dw: float(np.average(score(dw), weights=source_weights[:len(score(dw))])))
    lr, mean, scale = _fit(x, y, w)
    assert list(lr.classes_) == [0, 1, 2], "every class must occur in the training data"
    model = {"mean": np.round(mean, 6).tolist(), "scale": np.round(scale, 6).tolist(),
             "coef": np.round(lr.coef_, 6).tolist(), "intercept": np.round(lr.intercept_, 6).tolist(),
             "decision_weights": best.tolist()}
    return model, {"pairs": int(len(y)), "decision_weights": best.tolist(),
                   "cv_macro_f1_by_source": [round(v, 4) for v in score(best)]}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=default_shared_dir())
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH)
    ap.add_argument("--features-cache", type=Path, default=None,
                    help="reuse/write the training signals here (.npz; for development only)")
    args = ap.parse_args(argv)
    t0 = time.time()
    cf = climate_fever_pairs(args.shared / "data" / "climate-fever" / "climate-fever.jsonl", "train")
    moe = moe_pairs("train")
    pairs = cf + moe
    if args.features_cache and args.features_cache.exists():
        x = np.load(args.features_cache)["x"]
    else:
        embedder = MiniLMEmbedder(threads=2)
        x = np.concatenate([featurise(cf, embedder), featurise(moe, embedder)])
        if args.features_cache:
            np.savez(args.features_cache, x=x)
    y = np.array([CLASSES.index(p.label) for p in pairs])
    w = np.array([1.0 if p.source == "climate-fever" else MOE_SAMPLE_WEIGHT for p in pairs])
    groups = np.array([f"{p.source}:{p.group}" for p in pairs])
    is_moe = np.array([p.source == "moe" for p in pairs])
    structured = x[:, ROUTE] > 0.5
    models, info = {}, {}
    for name, m in (("structured", structured), ("plain", ~structured)):
        # Structured claims are what SOVEREIGN checks: there our own set's F1 counts 3:1.
        sw = (1.0, 3.0) if name == "structured" else (1.0, 1.0)
        models[name], info[name] = _fit_route(x[m], y[m], w[m], groups[m], [~is_moe[m], is_moe[m]], sw)
        info[name]["moe_pairs"] = int((m & is_moe).sum())
    params = {
        "about": "multinomial logistic regressions over verifier.features.FEATURES, routed by claim_structured; "
                 "fitted by python -m verifier.fit on the train splits only",
        "classes": list(CLASSES), "features": list(FEATURES), "models": models,
        "fitted_on": {"climate_fever_train_pairs": len(cf), "moe_train_pairs": len(moe),
                      "moe_sample_weight": MOE_SAMPLE_WEIGHT, **info},
    }
    args.out.write_text(json.dumps(params, indent=1) + "\n")
    report = {"out": str(args.out), "seconds": round(time.time() - t0, 1), **params["fitted_on"]}
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
