"""Held-out evaluation of the textual verifier against the TF-IDF >= 0.15 baseline.

    .venv/bin/python benchmarks/verifier_eval.py [--shared ../shared] [--limit N] [--text-model hybrid|nli|combiner]

Prints one JSON document. For Climate-FEVER's test split (claims nothing was trained or
calibrated on) and for the test passages of our MoE set, macro-F1 and per-class
precision/recall of:

* ``ours``: the verdict the checker gives each claim–passage pair with ``--text-model`` (``nli``:
  the NLI core on the claim and the passage's closest sentence; ``combiner``: the same as
  ``combiner`` below; ``hybrid``, the default: the NLI core on plain prose, the combiner on claims
  with names or result numbers), with the calibration of its confidence (ECE, Brier);
* ``claims_check``: the whole verdict ``sovereign claims check CLAIM --evidence TEXT`` gives, each
  pair checked alone: the pair verdict above *after* the structured rules (numbers aligned,
  names, negation, words the evidence lacks), which demand more before SUPPORTED or CONTRADICTED;
* ``combiner``: the feature combiner (TF-IDF, embeddings, numbers…), whatever ``--text-model``;
* the TF-IDF baselines (unigram+bigram and bigram-only readings).

On the MoE set also: CONTRADICTED precision/recall over the perturbed claims, SUPPORTED recall
over the true ones, and recall per kind of perturbation (of ``ours``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifier.baseline import baseline_verdicts  # noqa: E402
from verifier.check import TextChecker  # noqa: E402
from verifier.datasets import climate_fever_pairs, default_shared_dir, moe_pairs  # noqa: E402
from verifier.evidence import check_against_text  # noqa: E402
from verifier.settings import VerifierSettings  # noqa: E402

CLASSES = ["SUPPORTED", "CONTRADICTED", "UNVERIFIED"]


def report(gold: list[str], pred: list[str]) -> dict:
    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=CLASSES, zero_division=0)
    return {"macro_f1": round(float(f1_score(gold, pred, labels=CLASSES, average="macro", zero_division=0)), 4),
            "accuracy": round(float(np.mean([g == q for g, q in zip(gold, pred)])), 4),
            "per_class": {c: {"precision": round(float(p[k]), 4), "recall": round(float(r[k]), 4),
                              "f1": round(float(f[k]), 4), "support": int(n[k])} for k, c in enumerate(CLASSES)}}


def calibration(gold: list[str], probs: np.ndarray, classes: list[str], pred: list[str]) -> dict:
    """ECE over 10 bins of the confidence of the verdict given, and the multi-class Brier score."""
    conf = np.array([probs[i, classes.index(p)] for i, p in enumerate(pred)])
    hit = np.array([g == p for g, p in zip(gold, pred)], float)
    ece = 0.0
    for lo in np.linspace(0, 1, 11)[:-1]:
        m = (conf >= lo) & (conf < lo + 0.1 + (1e-9 if lo >= 0.9 else 0))
        if m.any():
            ece += m.mean() * abs(conf[m].mean() - hit[m].mean())
    onehot = np.array([[g == c for c in classes] for g in gold], float)
    return {"ece": round(float(ece), 4), "brier": round(float(((probs - onehot) ** 2).sum(axis=1).mean()), 4),
            "mean_confidence": round(float(conf.mean()), 4), "accuracy": round(float(hit.mean()), 4)}


def _model_signal(checker: TextChecker) -> str:
    if checker.nli is None:
        return "the feature combiner (no NLI core loaded)"
    if checker.nli_scope == "all":
        return "the NLI core"
    return "the NLI core on plain prose, the combiner on claims with names or result numbers"


def evaluate(pairs, checker: TextChecker) -> dict:
    claims = list(dict.fromkeys(p.claim for p in pairs))
    passages = list(dict.fromkeys(p.evidence for p in pairs))
    ci = {c: i for i, c in enumerate(claims)}
    pj = {t: j for j, t in enumerate(passages)}
    idx = [(ci[p.claim], pj[p.evidence]) for p in pairs]
    gold = [p.label for p in pairs]
    t0 = time.time()
    _, probs, ours = checker.score_pairs(claims, passages, idx)
    secs = time.time() - t0
    _, comb_probs, combiner = checker.score_pairs(claims, passages, idx, use_nli=False)
    t1 = time.time()
    whole = [check_against_text(checker, p.claim, p.evidence).verdict for p in pairs]
    classes = list(checker.combiner.classes)
    out = {"pairs": len(pairs), "claims": len(claims),
           "ours_is": _model_signal(checker),
           "ours": report(gold, ours), "ours_calibration": calibration(gold, probs, classes, ours),
           "claims_check": report(gold, whole), "seconds_claims_check": round(time.time() - t1, 2),
           "combiner": report(gold, combiner), "combiner_calibration": calibration(gold, comb_probs, classes, combiner),
           "baseline_tfidf_uni_bigram_0.15": report(gold, baseline_verdicts(claims, passages, idx)),
           "baseline_tfidf_bigram_only_0.15": report(gold, baseline_verdicts(claims, passages, idx,
                                                                             ngram_range=(2, 2))),
           "seconds_ours": round(secs, 2)}
    out["macro_f1_gain_points"] = round(100 * (out["ours"]["macro_f1"]
                                               - out["baseline_tfidf_uni_bigram_0.15"]["macro_f1"]), 2)
    return out, ours


def moe_targets(pairs, pred) -> dict:
    own = [(p, q) for p, q in zip(pairs, pred) if p.label != "UNVERIFIED"]
    perturbed = [(p, q) for p, q in own if p.label == "CONTRADICTED"]
    said_contra = [(p, q) for p, q in zip(pairs, pred) if q == "CONTRADICTED"]
    by_kind: dict[str, list[int]] = defaultdict(list)
    for p, q in perturbed:
        by_kind[p.perturbation].append(int(q == "CONTRADICTED"))
    true = [(p, q) for p, q in own if p.label == "SUPPORTED"]
    return {
        "contradicted_precision": (round(np.mean([p.label == "CONTRADICTED" for p, _ in said_contra]), 4)
                                   if said_contra else None),
        "contradicted_recall_on_perturbed": round(np.mean([q == "CONTRADICTED" for _, q in perturbed]), 4),
        "supported_recall_on_true": round(np.mean([q == "SUPPORTED" for _, q in true]), 4),
        "perturbed": len(perturbed), "true": len(true),
        "recall_by_perturbation": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())},
        "errors": [{"claim": p.claim, "gold": p.label, "ours": q} for p, q in zip(pairs, pred) if p.label != q],
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description="held-out evaluation of the textual verifier (JSON on stdout)")
    ap.add_argument("--shared", type=Path, default=default_shared_dir())
    ap.add_argument("--limit", type=int, default=0, help="use only the first N Climate-FEVER test pairs (0: all)")
    ap.add_argument("--text-model", choices=("combiner", "nli", "hybrid"), default=VerifierSettings().text_model,
                    help="the checker's model signal (verifier.text_model; default: the setting's default)")
    args = ap.parse_args(argv)
    settings = VerifierSettings(embedder_threads=2, text_model=args.text_model)
    checker = settings.make_checker()
    result: dict = {"command": f"benchmarks/verifier_eval.py --text-model {args.text_model}"
                               + (f" --limit {args.limit}" if args.limit else "")}
    cf_path = args.shared / "data" / "climate-fever" / "climate-fever.jsonl"
    if cf_path.exists():
        cf = climate_fever_pairs(cf_path, "test")
        if args.limit:
            cf = cf[: args.limit]
        result["climate_fever_test"], _ = evaluate(cf, checker)
    else:
        result["climate_fever_test"] = {"skipped": f"{cf_path} not found"}
    moe = moe_pairs("test")
    result["moe_test"], pred = evaluate(moe, checker)
    result["moe_test"]["targets"] = moe_targets(moe, pred)
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
