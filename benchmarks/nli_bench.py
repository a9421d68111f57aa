"""Speed and held-out quality of the NLI core (JSON on stdout).

    .venv/bin/python benchmarks/nli_bench.py [--threads 2] [--repeat 5] [--pairs 256] [--skip-quality] [--core DIR]

Speed: claim–passage pairs per second through ``NLICore.predict`` once loaded, on pairs of about
60 tokens (real Climate-FEVER and MoE test pairs whose tokenised length is 50–70), for the
shipped int8 model and the same weights in fp32; repeats interleaved between the two so that
machine drift moves both alike; median and range reported. Loading is not timed.

Quality (held out; nothing here was trained on or used for calibration): macro-F1, accuracy and
expected calibration error (10 bins, top-label confidence) on Climate-FEVER's test split, our MoE
set's test passages and the external held-out parts of ``../shared/data/nli`` (two-way sets score
F1 over the labels they have). Skipped with a reason when ``../shared`` is absent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifier.datasets import climate_fever_pairs, default_shared_dir, moe_pairs  # noqa: E402
from verifier.nli import NLICore  # noqa: E402
from verifier.train_nli import VERDICT_TO_NLI, external_test_sets, figures, read_nli_rows  # noqa: E402


def sixty_token_pairs(core: NLICore, candidates: list, n: int) -> tuple[list[str], list[str], float]:
    """Up to ``n`` (claim, evidence) pairs whose tokenised pair length is 50–70; their mean length."""
    chosen = []
    for p in candidates:
        length = len(core.tokenizer(p.evidence, p.claim)["input_ids"])
        if 50 <= length <= 70:
            chosen.append((p, length))
        if len(chosen) == n:
            break
    return ([p.claim for p, _ in chosen], [p.evidence for p, _ in chosen],
            round(statistics.mean(k for _, k in chosen), 1))


def speed(cores: dict[str, NLICore], claims: list[str], evidences: list[str], repeat: int) -> dict:
    for core in cores.values():
        core.predict(claims[:8], evidences[:8])  # warm-up: first-call costs are not throughput
    times: dict[str, list[float]] = {name: [] for name in cores}
    for _ in range(repeat):
        for name, core in cores.items():
            t0 = time.perf_counter()
            core.predict(claims, evidences)
            times[name].append(time.perf_counter() - t0)
    return {name: {"pairs_per_s_median": round(len(claims) / statistics.median(ts), 1),
                   "pairs_per_s_range": [round(len(claims) / max(ts), 1), round(len(claims) / min(ts), 1)]}
            for name, ts in times.items()}


def quality(core: NLICore, shared: Path) -> dict:
    cf = climate_fever_pairs(shared / "data" / "climate-fever" / "climate-fever.jsonl", "test")
    out = {"climate_fever_test": figures(core, [p.claim for p in cf], [p.evidence for p in cf],
                                         [VERDICT_TO_NLI[p.label] for p in cf])}
    moe = moe_pairs("test")
    out["moe_test"] = figures(core, [p.claim for p in moe], [p.evidence for p in moe],
                              [VERDICT_TO_NLI[p.label] for p in moe])
    for name, rows in external_test_sets(read_nli_rows(shared)).items():
        out[f"external_{name}"] = figures(core, [r["claim"] for r in rows], [r["evidence"] for r in rows],
                                          [r["label"] for r in rows])
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description="pairs/s and held-out quality of the NLI core")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--shared", type=Path, default=default_shared_dir())
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--core", type=Path, default=None,
                    help="directory of a trained core to measure (default: the shipped verifier/data/nli_core)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    cores = {"int8": NLICore.load(args.core, quantize=True, threads=args.threads),
             "fp32": NLICore.load(args.core, quantize=False, threads=args.threads)}
    for core in cores.values():
        core.batch_size = args.batch
    load_s = round((time.perf_counter() - t0) / 2, 2)
    cf_path = args.shared / "data" / "climate-fever" / "climate-fever.jsonl"
    candidates = (climate_fever_pairs(cf_path, "test") if cf_path.exists() else []) + moe_pairs("test")
    claims, evidences, mean_tokens = sixty_token_pairs(cores["int8"], candidates, args.pairs)
    out = {"threads": args.threads, "batch": args.batch, "load_seconds": load_s, "pairs": len(claims),
           "mean_tokens_per_pair": mean_tokens, "repeats": args.repeat,
           "speed": speed(cores, claims, evidences, args.repeat),
           "shipped": "int8" if cores["int8"].meta.get("quantize") else "fp32"}
    if args.skip_quality:
        out["quality"] = "skipped (--skip-quality)"
    elif not cf_path.exists():
        out["quality"] = f"skipped: {args.shared} has no data/climate-fever (the held-out sets live there)"
    else:
        out["quality"] = quality(cores[out["shipped"]], args.shared)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
