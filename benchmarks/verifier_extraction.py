"""Field accuracy of claim extraction on our labelled MoE set (JSON on stdout).

    .venv/bin/python benchmarks/verifier_extraction.py

Two readings, each over the quantitative claims that carry gold fields (value, unit,
baseline, model):
* ``claim_sentences``: extract_claims(claim) — the fields of the claim sentence itself;
* ``passages``: for every SUPPORTED claim, the claim extracted from its *passage* that
  carries the same value — does the passage reading bind the same unit, baseline, model?
A field is correct when it equals the gold (None included); values agree at the written
precision.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifier.datasets import moe_set  # noqa: E402
from verifier.extract import extract_claims  # noqa: E402
from verifier.numbers import values_agree  # noqa: E402

FIELDS = ("value", "unit", "baseline", "model")


def _same(field: str, got, want) -> bool:
    if field == "value":
        return got is not None and want is not None and values_agree(got, 6, want, 6)
    return got == want


def _score(rows: list[tuple[dict, object, str]]) -> dict:
    right, total, misses = Counter(), Counter(), []
    for gold, claim, text in rows:
        for f in FIELDS:
            got = getattr(claim, f) if claim is not None else None
            total[f] += 1
            if _same(f, got, gold[f]):
                right[f] += 1
            else:
                misses.append({"text": text, "field": f, "gold": gold[f], "got": got})
    n = sum(total.values())
    return {"claims": len(rows), "field_accuracy": round(sum(right.values()) / n, 4) if n else None,
            "per_field": {f: round(right[f] / total[f], 4) for f in FIELDS if total[f]}, "misses": misses}


def main() -> dict:
    data = moe_set()
    passages = {p["id"]: p["text"] for p in data["passages"]}
    gold_claims = [c for c in data["claims"] if c.get("gold")]
    sentence_rows, passage_rows = [], []
    for c in gold_claims:
        got = [x for x in extract_claims(c["claim"]) if x.kind == "quantitative"]
        sentence_rows.append((c["gold"], got[0] if got else None, c["claim"]))
        if c["label"] == "SUPPORTED":
            from_passage = [x for x in extract_claims(passages[c["passage_id"]])
                            if x.value is not None and _same("value", x.value, c["gold"]["value"])]
            passage_rows.append((c["gold"], from_passage[0] if from_passage else None,
                                 f"{c['passage_id']}: {c['gold']['value']}"))
    out = {"command": "benchmarks/verifier_extraction.py",
           "claim_sentences": _score(sentence_rows), "passages": _score(passage_rows)}
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
