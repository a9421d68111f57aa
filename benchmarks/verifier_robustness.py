"""Awkward inputs to the verifier give a clear result or a clear message (JSON on stdout).

    .venv/bin/python benchmarks/verifier_robustness.py

Cases: empty text, binary bytes, invalid UTF-8, a 5 MB text (extraction, and as evidence
for a check), a claim in French and one in Chinese, an empty claim. For each: ``outcome``
("result" or "message"), what came back, and seconds. A crash would show as ``outcome:
"crash"`` with the exception type.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifier.errors import BadInput, VerifierError  # noqa: E402
from verifier.evidence import check_against_text  # noqa: E402
from verifier.extract import extract_claims  # noqa: E402
from verifier.settings import VerifierSettings  # noqa: E402

PARA = ("ExpertFlow is 1.99× faster than Cache-MoE on Mixtral-8x7B (Fig. 3), e.g. at batch size 32. "
        "The rest of this paragraph is filler text about nothing in particular, repeated many times. ")


def _run(fn) -> dict:
    t0 = time.perf_counter()
    try:
        value = fn()
        return {"outcome": "result", "value": value, "seconds": round(time.perf_counter() - t0, 2)}
    except (VerifierError, BadInput) as exc:
        return {"outcome": "message", "message": str(exc), "seconds": round(time.perf_counter() - t0, 2)}
    except Exception as exc:  # noqa: BLE001 - this script exists to show there are none
        return {"outcome": "crash", "error": f"{type(exc).__name__}: {exc}"}


def main() -> dict:
    checker = VerifierSettings(embedder_threads=2).make_checker()
    big = PARA * (5_000_000 // len(PARA) + 1)
    own = "The speed-up of ExpertFlow over Cache-MoE is 1.99× on Mixtral-8x7B."

    def verdict(claim, evidence):
        v = check_against_text(checker, claim, evidence)
        return {"verdict": v.verdict, "confidence": round(v.confidence, 3), "reasons": v.reasons[:2]}

    cases = {
        "extract_empty": lambda: len(extract_claims("")),
        "extract_binary": lambda: len(extract_claims(bytes(range(256)) * 100)),
        "extract_invalid_utf8": lambda: len(extract_claims(b"caf\xe9 \xff\xfe")),
        "extract_5MB": lambda: {"chars": len(big), "claims": len(extract_claims(big))},
        "check_against_5MB_evidence":
            lambda: verdict("ExpertFlow is 2.04× faster than Cache-MoE on Mixtral-8x7B.", big),
        "check_french_claim":
            lambda: verdict("ExpertFlow est 1,99 fois plus rapide que Cache-MoE sur Mixtral-8x7B.", own),
        "check_chinese_claim": lambda: verdict("ExpertFlow 在 Mixtral-8x7B 上比 Cache-MoE 快 1.99 倍。", own),
        "check_empty_claim": lambda: verdict("", own),
        "check_empty_evidence": lambda: verdict("ExpertFlow is fast.", ""),
    }
    out = {"command": "benchmarks/verifier_robustness.py", **{k: _run(f) for k, f in cases.items()}}
    out["all_clear"] = all(v["outcome"] != "crash" for k, v in out.items() if isinstance(v, dict))
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
