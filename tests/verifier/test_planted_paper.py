"""A fabricated paper with false performance claims among real corpus records: none of its
claims is presented as supported, and no real paper contradicts itself.

Claims are extracted from the abstracts and checked the way the check_text stage checks them
(each against its own passage for attribution, against the others for evidence); the report is
drafted from the results."""

from __future__ import annotations

import json

import pytest

import reports
from domain.run_data import ClaimData, PaperData, PassageData, RunData
from domain.verdicts import TextCheckFields
from reports import evidence as ev
from tests.verifier.conftest import SHARED
from verifier import PassageRef, extract_claims

pytestmark = pytest.mark.slow  # one batch check of six abstracts: ~10 s on two busy cores

CORPUS = SHARED / "corpus" / "moe-inference.jsonl"
REAL = ("2410.17954", "2510.26730", "2410.22134", "2401.14361", "2411.01433")
PLANTED = PaperData(id="2611.00042", title="Revisiting predictive expert caching for MoE inference",
                    authors=["A. Nonymous"], rank=0)
PLANTED_ABSTRACT = (
    "We re-evaluate predictive expert caching for Mixture-of-Experts inference on a single GPU. "
    "ExpertFlow reduces GPU memory usage by up to 93.12%. "
    "ExpertFlow is 7.5x faster than an LRU expert cache on Mixtral-8x7B.")


@pytest.fixture(scope="module")
def run(checker) -> RunData:
    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS} is absent (../shared not checked out)")
    records = {r["id"]: r for r in map(json.loads, CORPUS.read_text().splitlines()) if r["id"] in REAL}
    papers = [PLANTED] + [PaperData(id=i, title=records[i]["title"], authors=records[i]["authors"].split(", "),
                                    rank=k + 1) for k, i in enumerate(REAL)]
    abstracts = {PLANTED.id: PLANTED_ABSTRACT} | {i: " ".join(records[i]["abstract"].split()) for i in REAL}
    passages = [PassageData(id=k, paper_id=p.id, text=abstracts[p.id]) for k, p in enumerate(papers)]
    refs = [PassageRef(id=p.id, paper_id=p.paper_id, text=p.text, title=paper.title, authors=paper.authors)
            for p, paper in zip(passages, papers)]
    claims, own = [], []
    for ref in refs:
        for c in extract_claims(ref.text):
            claims.append(c)
            own.append(ref)
    verdicts = checker.check_batch(claims, refs, own=own)
    data = [ClaimData(id=n, paper_id=o.paper_id, passage_id=o.id, text=c.text, kind=c.kind, system=c.system,
                      metric=c.metric, value=c.value, value_high=c.value_high, unit=c.unit, baseline=c.baseline,
                      model=c.model, text_check=TextCheckFields(**v.model_dump(mode="json")))
            for n, (c, o, v) in enumerate(zip(claims, own, verdicts), 1)]
    return RunData(run_id="planted", question="How does ExpertFlow compare to LRU expert caches?",
                   papers=papers, passages=passages, claims=data)


def test_no_claim_of_the_planted_paper_is_presented_as_supported(run):
    planted = [c for c in run.claims if c.paper_id == PLANTED.id]
    assert {c.value for c in planted} >= {7.5, 93.12}
    assert all(c.text_check.attribution == "ATTRIBUTED" for c in planted)  # it does say so
    assert all(ev.verdict(c) != "SUPPORTED" for c in planted)
    d = reports.draft(run)
    rows = {r.claim_id: r for r in d.claims}
    assert all(rows[c.id].verdict != "SUPPORTED" for c in planted)
    said = [s.text for _, s in d.prose() if set(s.claim_ids) & {c.id for c in planted}]
    assert said and not any("status: SUPPORTED" in t for t in said)
    # The one-digit memory figure is contradicted by the real ExpertFlow paper's 93.72%.
    memory = next(c for c in planted if c.value == 93.12)
    assert ev.verdict(memory) == "CONTRADICTED"
    assert {x["paper_id"] for x in memory.text_check.corroboration} == {"2410.17954"}


def test_no_real_paper_contradicts_itself_and_own_word_is_not_support(run):
    for c in run.claims:
        tc = c.text_check
        assert all(x["paper_id"] != c.paper_id for x in tc.corroboration)
        assert all(e["paper_id"] != c.paper_id for e in tc.evidence)
        if tc.independent == "NONE":
            assert ev.verdict(c) == "UNVERIFIED"
    promoe = [c for c in run.claims if c.paper_id == "2410.22134" and c.value is not None]
    assert {c.value for c in promoe} >= {2.2, 3.21, 2.07, 5.02}
    assert all(ev.verdict(c) == "UNVERIFIED" and c.text_check.attribution == "ATTRIBUTED" for c in promoe)


def test_the_two_expertflows_are_not_evidence_about_each_other(run):
    newer = [c for c in run.claims if c.paper_id == "2510.26730" and c.system == "ExpertFlow"]
    assert newer
    for c in newer:
        assert "2410.17954" not in {x["paper_id"] for x in c.text_check.corroboration}
