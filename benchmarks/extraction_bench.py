"""Field accuracy of claim extraction on the hand-labelled gold set (JSON on stdout).

    .venv/bin/python benchmarks/extraction_bench.py                 # dev half
    .venv/bin/python benchmarks/extraction_bench.py --split test    # held-out half: score once, at the end
    .venv/bin/python benchmarks/extraction_bench.py --misses        # list every wrong field

Each abstract of ``../shared/corpus/moe-inference.jsonl`` is extracted whole, as the pipeline
does. A gold claim is matched to an extracted claim from its sentence (span overlap) with
the same value at the written precision; each extracted claim serves one gold claim, in
reading order. Nine fields are scored per gold claim: value (value and value_high both
right), unit, bound (``setting["bound"]``), metric, system, baseline, model, hardware,
dataset. A gold claim with no match scores every field wrong, so the value field is also
the recall. Field accuracy = right fields / (gold claims x 9). ``spurious`` counts the
extracted numeric claims of gold sentences that match no gold claim.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from verifier.extract import extract_claims  # noqa: E402
from verifier.numbers import values_agree  # noqa: E402
from verifier.types import ExtractedClaim  # noqa: E402

GOLD = ROOT / "verifier" / "data" / "gold" / "moe_quantitative.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus" / "moe-inference.jsonl"
FIELDS = ("value", "unit", "bound", "metric", "system", "baseline", "model", "hardware", "dataset")


def load_gold(split: str) -> list[dict]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def _accepts(gold, got) -> bool:
    """A gold field that is a list accepts any of its entries."""
    return got in gold if isinstance(gold, list) else got == gold


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return values_agree(a, 6, b, 6)


def field_of(claim: ExtractedClaim, name: str):
    if name == "bound":
        return claim.setting.get("bound")
    return getattr(claim, name)


def score_field(name: str, gold: dict, claim: ExtractedClaim | None) -> bool:
    if claim is None:
        return False
    if name == "value":
        return _same_number(claim.value, gold["value"]) and _same_number(claim.value_high, gold["value_high"])
    return _accepts(gold[name], field_of(claim, name))


def match_sentence(gold_claims: list[dict], extracted: list[ExtractedClaim]) -> list[ExtractedClaim | None]:
    """The extracted claim for each gold claim (by value, reading order, each used once)."""
    free = list(extracted)
    out: list[ExtractedClaim | None] = []
    for g in gold_claims:
        hit = next((c for c in free if _same_number(c.value, g["value"])), None)
        if hit is not None:
            free.remove(hit)
        out.append(hit)
    return out


def evaluate(split: str, show_misses: bool = False) -> dict:
    abstracts = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        abstracts[rec["id"]] = rec["abstract"]
    by_paper: dict[str, list[ExtractedClaim]] = {}
    right, misses = Counter(), []
    n_claims = n_matched = n_spurious = 0
    per_paper = defaultdict(lambda: [0, 0])
    for row in load_gold(split):
        pid, sentence = row["paper_id"], row["sentence"]
        text = abstracts[pid]
        if pid not in by_paper:
            by_paper[pid] = [c for c in extract_claims(text) if c.value is not None]
        s = text.index(sentence)
        e = s + len(sentence)
        in_sentence = [c for c in by_paper[pid] if c.start < e and c.end > s]
        matched = match_sentence(row["claims"], in_sentence)
        n_spurious += len(in_sentence) - sum(m is not None for m in matched)
        for gold, claim in zip(row["claims"], matched):
            n_claims += 1
            n_matched += claim is not None
            for name in FIELDS:
                ok = score_field(name, gold, claim)
                right[name] += ok
                per_paper[pid][0] += ok
                per_paper[pid][1] += 1
                if not ok and show_misses:
                    misses.append({"paper": pid, "value": gold["value"], "field": name, "gold": gold[name],
                                   "got": None if claim is None else field_of(claim, name),
                                   "sentence": sentence[:90]})
    total = n_claims * len(FIELDS)
    out = {
        "split": split, "sentences": len(load_gold(split)), "gold_claims": n_claims, "matched": n_matched,
        "spurious": n_spurious,
        "field_accuracy": round(sum(right.values()) / total, 4) if total else None,
        "per_field": {f: round(right[f] / n_claims, 4) for f in FIELDS} if n_claims else {},
    }
    if show_misses:
        out["misses"] = misses
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    ap.add_argument("--misses", action="store_true", help="list every wrong field")
    args = ap.parse_args(argv)
    if not CORPUS.exists():
        print(f"corpus not found at {CORPUS}; the benchmark needs ../shared/corpus", file=sys.stderr)
        raise SystemExit(2)
    out = {"command": f"benchmarks/extraction_bench.py --split {args.split}", **evaluate(args.split, args.misses)}
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
