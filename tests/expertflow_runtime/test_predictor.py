"""The routing-path predictor learns recorded routes, stays causal, and round-trips to disk."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from expertflow_runtime.predictor.model import (
    PredictorConfig,
    PredictorError,
    RoutingPredictor,
    evaluate_predictor,
    load_predictor,
    save_predictor,
    top_n_mask,
    train_predictor,
)

V, L, E, K = 60, 3, 8, 2


def _routes(seed: int, n: int, length: int = 32):
    """Routes that depend on the token id only: a predictor must learn them almost exactly."""
    table = np.random.default_rng(123).permuted(np.tile(np.arange(E), (V, L, 1)), axis=2)[..., :K]
    rng = np.random.default_rng(seed)
    return [(ids, table[ids]) for ids in (rng.integers(0, V, length) for _ in range(n))]


@pytest.fixture(scope="module")
def trained():
    cfg = PredictorConfig(vocab_size=V, n_layers=L, n_experts=E, top_k=K, d_ff=64, n_blocks=1, window=16)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small ops: one thread is faster on a shared CPU
    try:
        model, history = train_predictor(_routes(0, 40), cfg, epochs=10, batch_size=8, lr=1e-2)
    finally:
        torch.set_num_threads(threads)
    return model, history


def test_learns_routes_and_reports_held_out_recall(trained):
    model, history = trained
    assert history[-1] < history[0]
    m = evaluate_predictor(model, _routes(1, 8), batch_size=16)
    assert m.topk_recall > 0.9
    assert m.union_recall > 0.95 and m.top_n == 2 * K
    assert 0.0 < m.union_precision <= 1.0


def test_untrained_predictor_scores_worse_than_trained(trained):
    model, _ = trained
    fresh = RoutingPredictor(model.config)
    held = _routes(2, 8)
    assert evaluate_predictor(fresh, held).topk_recall < evaluate_predictor(model, held).topk_recall


def test_prediction_for_a_token_ignores_later_tokens(trained):
    model, _ = trained
    ids = torch.tensor([[5, 9, 13, 2, 7, 40]])
    other = ids.clone()
    other[0, 4:] = torch.tensor([1, 1])
    with torch.no_grad():
        a, b = model(ids), model(other)
    torch.testing.assert_close(a[:, :4], b[:, :4])
    assert not torch.allclose(a[:, 4:], b[:, 4:])


def test_save_and_load_give_identical_predictions(trained, tmp_path):
    model, _ = trained
    save_predictor(model, tmp_path)
    again = load_predictor(tmp_path)
    ctx = [[1, 2, 3, 4], [7]]
    np.testing.assert_allclose(again.predict_last(ctx), model.predict_last(ctx), rtol=1e-6)
    assert model.predict_last(ctx).shape == (2, L, E)


def test_missing_predictor_says_how_to_train_one(tmp_path):
    with pytest.raises(PredictorError, match="train-predictor"):
        load_predictor(tmp_path)


def test_bad_shapes_are_rejected_with_the_bad_value():
    with pytest.raises(PredictorError, match="top_k=9"):
        PredictorConfig(vocab_size=10, n_layers=2, n_experts=8, top_k=9)
    with pytest.raises(PredictorError, match="no routing traces"):
        train_predictor([], PredictorConfig(vocab_size=10, n_layers=2, n_experts=8, top_k=2))


def test_top_n_mask_picks_the_n_largest():
    scores = np.array([[0.1, 0.9, 0.5, 0.7]])
    assert top_n_mask(scores, 2).tolist() == [[False, True, False, True]]
