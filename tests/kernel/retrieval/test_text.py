"""arXiv ids, passage splitting and the fusion arithmetic."""

from __future__ import annotations

import pytest

from kernel.errors import BadInput
from kernel.retrieval.arxiv_ids import split_id, versionless
from kernel.retrieval.fulltext import CorruptPdf, pdf_text
from kernel.retrieval.fusion import rrf
from kernel.retrieval.index import match_expression
from kernel.retrieval.passages import split_abstract, split_fulltext

from .conftest import make_pdf


@pytest.mark.parametrize("raw,expected", [
    ("2410.17954", ("2410.17954", None)),
    ("arXiv:2410.17954v3", ("2410.17954", "v3")),
    ("https://arxiv.org/abs/2410.17954v1", ("2410.17954", "v1")),
    ("http://arxiv.org/pdf/2312.17238v1.pdf", ("2312.17238", "v1")),
    ("hep-th/9901001v2", ("hep-th/9901001", "v2")),
    ("math.GT/0309136", ("math.GT/0309136", None)),
])
def test_ids_lose_their_version_and_prefixes(raw, expected):
    assert split_id(raw) == expected


def test_a_bad_id_names_itself_and_the_valid_forms():
    with pytest.raises(BadInput, match=r"'24.1'.*2410\.17954v2"):
        versionless("24.1")


def test_fulltext_passages_keep_sections_and_exact_spans():
    text = make_pdf_text()
    spans = split_fulltext(text, max_chars=300)
    assert all(text[s.start : s.end] == s.text and len(s.text) <= 300 for s in spans)
    assert [s.section for s in spans][:2] == ["Front", "Abstract"]
    assert {"Introduction", "System Design", "Evaluation"} <= {s.section for s in spans}
    assert not any("[1]" in s.text for s in spans)  # the references are dropped


def make_pdf_text() -> str:
    lines = ["ExpertFlow: Efficient MoE Inference", "Abstract",
             "We predict routing paths. " * 3, "1 Introduction",
             "Experts are offloaded to CPU memory and fetched on demand. " * 8,
             "3.1 System Design", "A predictor, a scheduler and a cache. " * 3,
             "IV. EVALUATION", "Throughput improves by up to 10x. " * 3,
             "References", "[1] Eliseev and Mazur, 2023."]
    return pdf_text(make_pdf(lines))


def test_a_corrupt_pdf_is_a_clear_error():
    with pytest.raises(CorruptPdf, match="unreadable PDF|no extractable text"):
        pdf_text(b"%PDF-1.4\n1 0 obj garbage")


def test_long_abstracts_become_a_few_passages_cut_at_sentences():
    abstract = "Sparse experts cut compute. " * 100
    spans = split_abstract(abstract, max_chars=1000)
    assert len(spans) == 3 and all(s.section == "Abstract" for s in spans)
    assert all(s.text.endswith(".") for s in spans)


def test_rrf_rewards_agreement_and_counts_a_list_once():
    fused = rrf([["a", "b", "a"], ["b", "c"]], k=60)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert max(fused, key=fused.get) == "b"


def test_hyphenated_names_are_matched_as_phrases():
    assert match_expression("Pre-gated MoE vs SE-MoE") == '"pre gated" OR "se moe" OR "moe"'
