"""Labelled claim–evidence pairs: Climate-FEVER (``../shared``) and our own MoE set.

Splits are deterministic and by claim (Climate-FEVER) or by passage (MoE set), so a
held-out claim is never seen in fitting, not even with other evidence.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from verifier.errors import BadInput

MOE_SET = Path(__file__).resolve().parent / "data" / "moe_claims.json"
CF_LABELS = {"SUPPORTS": "SUPPORTED", "REFUTES": "CONTRADICTED", "NOT_ENOUGH_INFO": "UNVERIFIED"}
SPLITS = ("train", "test")


@dataclass(frozen=True)
class LabelledPair:
    claim: str
    evidence: str
    label: str  # SUPPORTED | CONTRADICTED | UNVERIFIED
    group: str  # claim id (Climate-FEVER) or passage id (MoE): the unit of splitting
    source: str  # "climate-fever" | "moe"
    perturbation: str | None = None
    gold: dict | None = None


def default_shared_dir() -> Path:
    """``../shared`` next to the repository root."""
    return Path(__file__).resolve().parents[2] / "shared"


def _check_split(split: str) -> None:
    if split not in SPLITS + ("all",):
        raise BadInput(f"unknown split {split!r}; valid: train, test, all")


def climate_fever_split(claim_id: str) -> str:
    """70/30 split by a hash of the claim id (stable across machines and Python runs)."""
    h = int(hashlib.sha1(claim_id.encode()).hexdigest()[:8], 16)
    return "train" if h % 10 < 7 else "test"


def climate_fever_pairs(path: str | Path | None = None, split: str = "all") -> list[LabelledPair]:
    """All 7,675 claim–evidence pairs (or one split), labels mapped to our verdicts."""
    _check_split(split)
    path = Path(path) if path else default_shared_dir() / "data" / "climate-fever" / "climate-fever.jsonl"
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            if split != "all" and climate_fever_split(rec["claim_id"]) != split:
                continue
            for ev in rec["evidences"]:
                out.append(LabelledPair(rec["claim"], ev["evidence"], CF_LABELS[ev["evidence_label"]],
                                        rec["claim_id"], "climate-fever"))
    return out


def moe_set(path: str | Path | None = None) -> dict:
    return json.loads(Path(path or MOE_SET).read_text(encoding="utf-8"))


def moe_pairs(split: str = "all", *, path: str | Path | None = None, unrelated: bool = True) -> list[LabelledPair]:
    """Each claim with its own passage (its gold label); with ``unrelated`` also with one
    passage of another paper from the same split (gold UNVERIFIED: it says nothing on it).
    """
    _check_split(split)
    data = moe_set(path)
    passages = {p["id"]: p for p in data["passages"]}
    out = []
    for c in data["claims"]:
        p = passages[c["passage_id"]]
        if split != "all" and p["split"] != split:
            continue
        out.append(LabelledPair(c["claim"], p["text"], c["label"], p["id"], "moe", c["perturbation"], c.get("gold")))
        if unrelated:
            pool = [q for q in data["passages"] if q["paper_id"] != p["paper_id"] and q["split"] == p["split"]]
            q = pool[int(hashlib.sha1(c["id"].encode()).hexdigest()[:8], 16) % len(pool)]
            out.append(LabelledPair(c["claim"], q["text"], "UNVERIFIED", p["id"], "moe"))
    return out
