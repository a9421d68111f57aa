"""`sovereign claims check --claims` against a plain restatement of the ExpertFlow paper's
abstract (arXiv 2410.17954; tests/verifier/data/expertflow_restatement.txt, written from the
abstract in ../shared/corpus/moe-inference.jsonl, no figure it does not state). One case per
failure kind seen before: a confident wrong verdict on claims like those of drafts."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from verifier.cli import build_app
from verifier.settings import VerifierSettings

RESTATEMENT = Path(__file__).parent / "data" / "expertflow_restatement.txt"
CASES = {
    # a true speed-up over SE-MoE on a Switch model: the restatement names no SE-MoE figure
    "ExpertFlow achieves a 2.5x speed-up over SE-MoE on Switch-base-32.": {"UNVERIFIED"},
    "ExpertFlow improves inference throughput over SE-MoE on a Switch Transformer model.": {"UNVERIFIED"},
    # a memory figure with one digit changed
    "ExpertFlow reduces GPU memory usage by up to 93.12%.": {"CONTRADICTED"},
    "ExpertFlow reduces GPU memory usage by up to 98.72%.": {"CONTRADICTED"},
    # a paraphrase of Cache-MoE's per-layer LRU cache (the restatement does not describe Cache-MoE)
    "Cache-MoE keeps a fixed-size LRU cache of experts for each MoE layer.": {"UNVERIFIED"},
    # false statements about how the predictor is trained / built
    "ExpertFlow's routing path predictor is trained with reinforcement learning on live traffic.":
        {"UNVERIFIED", "CONTRADICTED"},
    "ExpertFlow's predictor is trained separately for each MoE layer.": {"UNVERIFIED", "CONTRADICTED"},
    # controls: the restatement's own figures, and a negated mechanism
    "ExpertFlow reduces GPU memory usage by up to 93.72%.": {"SUPPORTED"},
    "ExpertFlow improves inference throughput by up to 10x over strong offloading baselines on a single GPU.":
        {"SUPPORTED"},
    "ExpertFlow does not correct mispredictions at runtime.": {"CONTRADICTED"},
}


# Each model signal the pipeline may use (verifier.text_model); "nli" alone is not offered as a
# default (docs/architecture.md) and is not held to these cases.
@pytest.fixture(scope="module", params=["combiner", "hybrid"])
def verdicts(request, tmp_path_factory):
    claims = tmp_path_factory.mktemp("claims") / "claims.jsonl"
    claims.write_text("".join(json.dumps({"text": c}) + "\n" for c in CASES))
    app = build_app(lambda: VerifierSettings(text_model=request.param))
    res = CliRunner().invoke(app, ["check", "--claims", str(claims), "--evidence", str(RESTATEMENT), "--json"])
    assert res.exit_code == 0, res.stderr
    return {r["claim"]: r for r in json.loads(res.stdout)["results"]}


@pytest.mark.parametrize("claim", list(CASES))
def test_failure_kind(verdicts, claim):
    got = verdicts[claim]
    assert got["verdict"] in CASES[claim], (got["verdict"], got["reasons"])
