"""The trained NLI core: loads offline, gives calibrated three-way probabilities, refuses bad input."""

from __future__ import annotations

import numpy as np
import pytest

from verifier.errors import BadInput, ModelUnavailableError
from verifier.nli import CORE_DIR, NLI_LABELS, NLICore
from verifier.train_nli import expected_calibration_error, fit_calibration, nli_training_rows, norm


@pytest.fixture(scope="module")
def core() -> NLICore:
    return NLICore.load(threads=2)


def test_probabilities_have_one_row_per_pair_and_sum_to_one(core):
    claims = ["Mixtral-8x7B routes each token to two of its eight experts.",
              "The experiment ran on a single GPU.", "Prices of coffee rose in 2020."]
    evidences = ["In Mixtral-8x7B every token is sent to the top 2 of 8 experts in each layer.",
                 "All measurements were taken on one NVIDIA A40 GPU.",
                 "Switch Transformers use a single expert per token."]
    probs = core.predict(claims, evidences)
    assert probs.shape == (3, len(NLI_LABELS))
    assert probs.dtype == np.float32
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # Order-independent: a pair's probabilities do not depend on what it is batched with.
    np.testing.assert_allclose(core.predict(claims[:1], evidences[:1])[0], probs[0], atol=1e-4)


GUITAR = "A man is playing a guitar on a stage in front of a large crowd."


def test_obvious_contradiction(core):
    probs = core.predict(["Nobody is playing any instrument."], [GUITAR])
    assert NLI_LABELS[int(probs[0].argmax())] == "contradiction"


def test_obvious_entailment(core):
    probs = core.predict(["A man is playing an instrument."], [GUITAR])
    assert NLI_LABELS[int(probs[0].argmax())] == "entailment"


def test_unrelated_evidence_is_neutral(core):
    probs = core.predict(["ExpertFlow reduces GPU memory use by up to 93.72%."],
                         ["The Amazon rainforest covers much of the Amazon basin of South America."])
    assert NLI_LABELS[int(probs[0].argmax())] == "neutral"


@pytest.mark.parametrize("claims, evidences, message", [
    ([], [], "no pairs"),
    (["a claim"], ["one", "two"], "1 claims but 2 evidences"),
    (["a claim"], ["  "], "evidence 0"),
    ("a claim", "an evidence", "lists of strings"),
])
def test_bad_input_gets_one_clear_error(core, claims, evidences, message):
    with pytest.raises(BadInput, match=message):
        core.predict(claims, evidences)


def test_missing_weights_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(ModelUnavailableError, match="trained.safetensors.*train_nli"):
        NLICore.load(tmp_path)


def test_shipped_weights_stay_under_25_mb():
    assert sum(f.stat().st_size for f in CORE_DIR.iterdir()) < 25 * 2**20


def test_training_rows_never_include_held_out_sets_or_their_claims():
    import random
    keys = ("claim", "evidence", "label", "dataset", "split")
    rows = [dict(zip(keys, row)) for row in (
        ("Masks reduce spread.", "e1", "entailment", "check_covid", "train"),
        ("masks reduce SPREAD", "e2", "contradiction", "covidfact", "all"),
        ("Held out claim.", "e3", "neutral", "check_covid", "test"),
        ("Symmetric claim.", "e4", "entailment", "fever_symmetric", "v0.1_full"),
        ("A kept claim.", "e5", "entailment", "covidfact", "all"),
    )]
    kept = nli_training_rows(rows, {norm("Masks reduce spread.")}, random.Random(0))
    assert [r[0] for r in kept] == ["A kept claim."]


def test_calibration_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=(4000, 3))
    p = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    gold = [NLI_LABELS[rng.choice(3, p=row)] for row in p]
    temperature, bias = fit_calibration(true_logits * 3.0, gold)  # an overconfident model: logits 3x too large
    assert temperature == pytest.approx(3.0, rel=0.15)
    assert max(abs(b) for b in bias) < 0.2
    calibrated = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    overconfident = np.exp(3 * true_logits) / np.exp(3 * true_logits).sum(axis=1, keepdims=True)
    assert expected_calibration_error(gold, calibrated) < 0.05 < expected_calibration_error(gold, overconfident)


def test_mean_pooling_ignores_padding(core):
    """The mean-pooled head averages only real tokens: a short pair padded beside a long one
    gets the logits it gets alone, and they differ from the first-token head's."""
    import torch

    from verifier.nli import pair_logits
    short = ("Experts are chosen per token.", "Each token picks its experts.")
    long = ("The router scores every expert for every token and keeps the two best scores, "
            "renormalising them before the expert outputs are mixed.", "Routing is top-2.")
    with torch.inference_mode():
        alone = core.tokenizer([short[1]], [short[0]], return_tensors="pt")
        both = core.tokenizer([short[1], long[1]], [short[0], long[0]], padding=True, return_tensors="pt")
        assert both["attention_mask"][0].sum() < both["attention_mask"].shape[1]  # the short pair is padded
        mean_alone = pair_logits(core.model, alone, "mean")[0]
        np.testing.assert_allclose(pair_logits(core.model, both, "mean")[0], mean_alone, atol=1e-4)
        assert not np.allclose(pair_logits(core.model, alone, "cls")[0], mean_alone, atol=1e-3)
    with pytest.raises(ModelUnavailableError, match="unknown pooling"):
        pair_logits(core.model, alone, "max")


def test_cached_frozen_layers_give_the_full_forward_logits(core):
    """Training on precomputed frozen-layer states (``--cache-frozen``) must be the same function as
    the full model: pairs of different lengths, padded together, get the logits the whole
    encoder gives them (to fp16 rounding of the cached states)."""
    import torch

    from verifier.nli import pair_logits
    from verifier.train_nli import cached_logits, frozen_states
    pairs = [("ExpertFlow is 2x faster than an LRU cache.",
              "ExpertFlow halves latency against an LRU expert cache on Mixtral-8x7B with one A100 GPU."),
             ("Cats sleep.", "Short.")]
    frozen = core.model.config.num_hidden_layers - 3
    states = frozen_states(core.model, core.tokenizer, pairs, frozen, max_length=128)
    assert [states[p].shape[0] for p in pairs][0] > [states[p].shape[0] for p in pairs][1]  # unpadded
    with torch.inference_mode():
        cached = cached_logits(core.model, [states[p] for p in pairs], frozen)
        enc = core.tokenizer([e for _, e in pairs], [c for c, _ in pairs], padding=True, return_tensors="pt")
        full = pair_logits(core.model, enc, "mean")
    np.testing.assert_allclose(cached.numpy(), full.numpy(), atol=2e-2)
    assert not np.allclose(cached[0].numpy(), cached[1].numpy(), atol=1e-2)  # the pairs differ


def test_a_pair_budget_stops_training_at_that_many_pairs_and_moves_only_the_trained_layers():
    """``--pairs`` (used to replay a CPU run's amount of training on a GPU) ends the loop once that
    many pairs are seen, whatever the epochs allow; frozen layers keep the base weights."""
    import argparse

    import torch

    from verifier.nli import base_model_dir, build_classifier
    from verifier.train_nli import train
    model, tokenizer, _ = build_classifier(base_model_dir())
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    examples = [("Mixtral routes each token to two experts.", "Mixtral sends every token to 2 of 8 experts.",
                 "entailment", "t"), ("The cache is small.", "The cache holds all experts.", "contradiction", "t"),
                ("Coffee prices rose.", "ExpertFlow predicts routing paths.", "neutral", "t")] * 8
    args = argparse.Namespace(epochs=5, seed=1, batch=4, head_lr=1e-3, lr=1e-4, train_layers=1, pooling="mean",
                              cache_frozen=False, minutes=30.0, pairs=12, device="cpu", max_length=64)
    torch.manual_seed(0)
    record = train(model, tokenizer, examples, args)
    assert record["pairs_seen"] == 12 and record["steps"] == 3
    after = dict(model.named_parameters())
    assert not torch.equal(after["bert.encoder.layer.5.output.dense.weight"],
                           before["bert.encoder.layer.5.output.dense.weight"])
    assert torch.equal(after["bert.encoder.layer.4.output.dense.weight"],
                       before["bert.encoder.layer.4.output.dense.weight"])
