"""Throughput of the textual check, in claim–passage pairs per second (JSON on stdout).

    .venv/bin/python benchmarks/verifier_speed.py [--threads 2] [--repeat 3] [--text-model hybrid|nli|combiner]

Models are loaded first and not timed; the embedding cache is emptied before every timed
run, so every text is encoded inside the timing. Three shapes:
* ``pool_dense``: C claims × P passages, every pair scored (a run's claims against the
  passages it read; each text encoded once);
* ``check_batch``: the pipeline call — each claim against its own passage plus the top_k
  relevant others, verdicts with reasons and corroboration;
* ``unique_pairs``: Climate-FEVER test pairs, each scored once (about two new texts per
  pair: the worst case, bound by MiniLM encoding).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifier.datasets import climate_fever_pairs, default_shared_dir, moe_set  # noqa: E402
from verifier.settings import VerifierSettings  # noqa: E402
from verifier.types import PassageRef  # noqa: E402


def _timed(fn, embedder, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        embedder.clear_cache()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description="pairs/s of the textual check")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--unique-pairs", type=int, default=400)
    ap.add_argument("--text-model", choices=("hybrid", "nli", "combiner"), default=VerifierSettings().text_model,
                    help="the checker's model signal (verifier.text_model; default: the setting's default)")
    args = ap.parse_args(argv)
    settings = VerifierSettings(embedder_threads=args.threads, text_model=args.text_model)
    checker = settings.make_checker()
    emb = checker.embedder
    data = moe_set()
    claims = [c["claim"] for c in data["claims"]]
    passages = [PassageRef(id=p["id"], paper_id=p["paper_id"], text=p["text"]) for p in data["passages"]]
    own = {p.id: p for p in passages}
    texts = [p.text for p in passages]
    checker.check_batch(claims[:2], passages)  # warm-up (lazy imports, first-call costs)

    dense_pairs = [(i, j) for i in range(len(claims)) for j in range(len(texts))]
    t_dense = _timed(lambda: checker.score_pairs(claims, texts, dense_pairs), emb, args.repeat)
    own_refs = [own[c["passage_id"]] for c in data["claims"]]
    own_idx = [passages.index(o) for o in own_refs]
    n_batch_pairs = sum(len(js) for js in checker.candidates(claims, passages, own_idx))
    t_batch = _timed(lambda: checker.check_batch(claims, passages, own=own_refs), emb, args.repeat)
    out = {
        "command": f"benchmarks/verifier_speed.py --threads {args.threads} --text-model {args.text_model}",
        "cpu_count": os.cpu_count(), "torch_threads": args.threads,
        "pool_dense": {"claims": len(claims), "passages": len(texts), "pairs": len(dense_pairs),
                       "seconds": round(t_dense, 3), "pairs_per_s": round(len(dense_pairs) / t_dense, 1)},
        "check_batch": {"claims": len(claims), "passages": len(passages), "pairs": n_batch_pairs,
                        "seconds": round(t_batch, 3), "pairs_per_s": round(n_batch_pairs / t_batch, 1),
                        "claims_per_s": round(len(claims) / t_batch, 1)},
    }
    cf_path = default_shared_dir() / "data" / "climate-fever" / "climate-fever.jsonl"
    if cf_path.exists():
        cf = climate_fever_pairs(cf_path, "test")[: args.unique_pairs]
        cl = list(dict.fromkeys(p.claim for p in cf))
        ev = list(dict.fromkeys(p.evidence for p in cf))
        idx = [(cl.index(p.claim), ev.index(p.evidence)) for p in cf]
        t_u = _timed(lambda: checker.score_pairs(cl, ev, idx), emb, 1)
        out["unique_pairs"] = {"pairs": len(idx), "distinct_texts": len(cl) + len(ev), "seconds": round(t_u, 3),
                               "pairs_per_s": round(len(idx) / t_u, 1)}
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
