"""The hand-labelled gold set of the corpus's quantitative sentences, and extraction scored on it."""

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from .conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "verifier" / "data" / "gold" / "moe_quantitative.jsonl"
CORPUS = SHARED / "corpus" / "moe-inference.jsonl"
FIELDS = {"system", "metric", "value", "value_high", "bound", "unit", "baseline", "model", "hardware", "dataset"}
needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason="needs ../shared/corpus/moe-inference.jsonl")


def _rows():
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def _bench():
    spec = importlib.util.spec_from_file_location("extraction_bench", ROOT / "benchmarks" / "extraction_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_gold_claim_has_every_field_and_a_known_unit_and_bound():
    for row in _rows():
        assert row["claims"], row["sentence"]
        for claim in row["claims"]:
            assert set(claim) == FIELDS
            assert isinstance(claim["value"], (int, float))
            assert claim["unit"] in {"×", "%", "GB", "TB", "bit", "B params", None}
            bounds = claim["bound"] if isinstance(claim["bound"], list) else [claim["bound"]]
            assert set(bounds) <= {"upper", "lower", None}
            if claim["value_high"] is not None:
                assert claim["value_high"] > claim["value"]


def test_split_is_the_seeded_hash_of_the_paper_and_halves_the_papers():
    rows = _rows()
    for row in rows:
        even = int(hashlib.sha256(f"sovereign-gold-5:{row['paper_id']}".encode()).hexdigest(), 16) % 2 == 0
        assert row["split"] == ("dev" if even else "test")
    papers = {s: {r["paper_id"] for r in rows if r["split"] == s} for s in ("dev", "test")}
    assert len(papers["dev"]) == len(papers["test"]) and not papers["dev"] & papers["test"]


@needs_corpus
def test_every_gold_sentence_is_verbatim_in_its_abstract():
    abstracts = {json.loads(line)["id"]: json.loads(line)["abstract"] for line in CORPUS.read_text().splitlines()}
    for row in _rows():
        assert row["sentence"] in abstracts[row["paper_id"]]


@needs_corpus
@pytest.mark.parametrize("split", ["dev", "test"])
def test_extraction_field_accuracy_on_the_gold_set(split):
    out = _bench().evaluate(split)
    assert out["gold_claims"] > 40
    assert out["field_accuracy"] >= 0.9, out["per_field"]


def test_a_wrong_field_costs_accuracy():
    """The scorer is not generous: a claim with the wrong metric or no match scores lower."""
    bench = _bench()
    from verifier.types import ExtractedClaim
    gold = {"system": "DAOP", "metric": ["speedup", None], "value": 8.2, "value_high": None, "bound": "upper",
            "unit": "×", "baseline": None, "model": None, "hardware": None, "dataset": None}
    right = ExtractedClaim(text="t", kind="quantitative", system="DAOP", metric="speedup", value=8.2, unit="×",
                           setting={"bound": "upper"})
    wrong = right.model_copy(update={"metric": "accuracy", "setting": {}})
    assert all(bench.score_field(f, gold, right) for f in bench.FIELDS)
    assert [f for f in bench.FIELDS if not bench.score_field(f, gold, wrong)] == ["bound", "metric"]
    assert not any(bench.score_field(f, gold, None) for f in bench.FIELDS)
    assert bench.match_sentence([gold], [wrong.model_copy(update={"value": 1.35})]) == [None]
