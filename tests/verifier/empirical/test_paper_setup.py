"""A paper's setup read from its own text, and the plans that fill a claim's gaps from it."""

from __future__ import annotations

from verifier.empirical import NotTestable, plan_experiment, stated_setup
from verifier.extract import extract_claims
from verifier.paper_setup import SetupSource, describe, read_setup

EVALUATION = ("We evaluate on one NVIDIA H100 GPU attached over PCIe 5.0 x16. The expert cache holds "
              "16 experts per layer and requests are served at batch size 8 with 256 generated tokens "
              "each, on prompts from ShareGPT. We serve OLMoE-1B-7B and Mixtral-8x7B.")
ABSTRACT = "We present ExpertFlow, a runtime that predicts the experts of the next layers."


def _fields():
    return read_setup([SetupSource(7, "abstract", ABSTRACT), SetupSource(12, "evaluation", EVALUATION),
                       SetupSource(13, "introduction", "We evaluate on one NVIDIA A40 at batch size 64.")])


def test_setup_fields_come_from_the_evaluation_with_their_passage_and_span():
    fields = _fields()
    value = {k: f["value"] for k, f in fields.items()}
    assert value["hardware"] == "H100" and value["gpu_count"] == 1 and value["interconnect"] == "PCIe 5.0"
    assert value["cache_size"] == 16 and value["batch_size"] == 8 and value["output_tokens"] == 256
    assert value["models"] == ["OLMoE-1B-7B", "Mixtral-8x7B"] and value["datasets"] == ["ShareGPT"]
    assert value["system"] == "ExpertFlow" and fields["system"]["passage_id"] == 7
    cache = fields["cache_size"]
    assert cache["passage_id"] == 12 and EVALUATION[cache["start"]:cache["end"]] == cache["quote"]
    assert "16 experts per layer" in cache["quote"]
    assert describe(fields).startswith("H100, PCIe 5.0, OLMoE-1B-7B, Mixtral-8x7B, cache 16, batch 8")


def test_nothing_outside_the_setup_sections_is_read():
    assert read_setup([SetupSource(1, "introduction", "We evaluate on one NVIDIA A40 at batch size 64.")]) == {}


def test_a_plan_takes_what_the_claim_leaves_out_from_the_papers_text():
    (claim,) = extract_claims("It delivers a 2.1x speed-up over Cache-MoE.")
    spec = plan_experiment(claim, paper_id="2501.00001", setup=stated_setup("2501.00001", _fields()))
    assert spec.policy == "expertflow" and spec.baseline_policy == "lru"
    assert (spec.model, spec.hardware, spec.cache_size, spec.batch_size) == ("OLMoE-1B-7B", "h100-pcie5", 16, 8)
    said = " | ".join(spec.assumed)
    assert "the paper's own system, ExpertFlow (setup from the paper's text (passage P7" in said
    assert "batch size not stated: 8 (setup from the paper's text (passage P12" in said
    assert "hand-written" not in said


def test_the_hand_written_expertflow_setup_is_a_labelled_fallback_only():
    (claim,) = extract_claims("ExpertFlow delivers a 2.1x speed-up over Cache-MoE on Mixtral-8x7B.")
    fallback = plan_experiment(claim, paper_id="2410.17954")
    assert (fallback.hardware, fallback.batch_size) == ("a40-pcie4", 32)
    assert any("hand-written setup, the paper's text was not read" in a for a in fallback.assumed)
    read = plan_experiment(claim, paper_id="2410.17954", setup=stated_setup("2410.17954", _fields()))
    assert (read.hardware, read.batch_size, read.model) == ("h100-pcie5", 8, "Mixtral-8x7B")
    assert not any("hand-written" in a for a in read.assumed)


def test_a_gpu_without_a_profile_and_missing_fields_say_so():
    fields = read_setup([SetupSource(3, "evaluation", "All runs use one NVIDIA A100 80GB GPU.")])
    setup = stated_setup("x", fields)
    (claim,) = extract_claims("ExpertFlow delivers a 2.1x speed-up over Cache-MoE.")
    spec = plan_experiment(claim, paper_id="x", setup=setup)
    assert not isinstance(spec, NotTestable)
    said = " | ".join(spec.assumed)
    assert "the paper's A100 has no hardware profile" in said and "passage P3" in said
    assert "batch size not stated: 16 (not stated in the paper's text" in said


def test_the_papers_own_system_only_when_the_text_presents_it():
    from verifier.paper_setup import own_system

    def own(text):
        found = own_system([SetupSource(1, "abstract", text)])
        return found and found["value"]

    assert own("This paper presents a runtime, ExpertFlow, that predicts experts.") == "ExpertFlow"
    assert own("We present a study of Cache-MoE and Pre-gated MoE.") is None
    assert own("We propose a cache that beats Cache-MoE on every model.") is None


def test_a_read_setup_naming_no_system_keeps_the_known_system_of_the_paper_labelled():
    fields = read_setup([SetupSource(12, "evaluation", EVALUATION)])
    (claim,) = extract_claims("It delivers a 2.1x speed-up over Cache-MoE.")
    spec = plan_experiment(claim, paper_id="2410.17954", setup=stated_setup("2410.17954", fields))
    said = " | ".join(spec.assumed)
    assert spec.policy == "expertflow"
    assert "ExpertFlow (hand-written, the paper's text does not present it by name)" in said
    assert "batch size not stated: 8 (setup from the paper's text (passage P12" in said
