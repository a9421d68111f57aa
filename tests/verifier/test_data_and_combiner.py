"""The labelled set and the fitted combiner parameters are what the docs say they are."""

import json
from collections import Counter

import numpy as np
import pytest

from verifier.combiner import DEFAULT_PATH, Combiner
from verifier.datasets import climate_fever_pairs, moe_pairs, moe_set
from verifier.errors import ModelUnavailableError
from verifier.features import FEATURES

from .conftest import SHARED


def test_labelled_set_has_true_and_perturbed_claims_split_by_passage():
    data = moe_set()
    assert len(data["claims"]) >= 60
    labels = Counter(c["label"] for c in data["claims"])
    assert labels["SUPPORTED"] >= 25 and labels["CONTRADICTED"] >= 25
    kinds = {c["perturbation"] for c in data["claims"] if c["label"] == "CONTRADICTED"}
    assert {"number", "unit", "baseline", "model", "hardware", "metric"} <= kinds
    train = {p.group for p in moe_pairs("train")}
    test = {p.group for p in moe_pairs("test")}
    assert train and test and not train & test


def test_combiner_is_small_json_matching_the_features():
    assert DEFAULT_PATH.stat().st_size < 20_000
    comb = Combiner.load()
    x = np.random.default_rng(0).random((7, len(FEATURES))).astype(np.float32)
    p = comb.probabilities(x)
    assert p.shape == (7, 3) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert set(comb.decide(p, x)) <= {"SUPPORTED", "CONTRADICTED", "UNVERIFIED"}


def test_combiner_fitted_for_other_features_is_refused(tmp_path):
    raw = json.loads(DEFAULT_PATH.read_text())
    raw["features"] = raw["features"][:-1]
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps(raw))
    with pytest.raises(ModelUnavailableError, match="re-run python -m verifier.fit"):
        Combiner.load(bad)


@pytest.mark.skipif(not (SHARED / "data" / "climate-fever").exists(), reason="../shared/data/climate-fever absent")
def test_climate_fever_split_is_by_claim_and_covers_every_pair():
    train, test = climate_fever_pairs(split="train"), climate_fever_pairs(split="test")
    assert len(train) + len(test) == 7675
    assert not {p.group for p in train} & {p.group for p in test}


def test_unbundled_embedder_name_without_a_path_is_refused():
    from verifier import BadInput, VerifierSettings
    with pytest.raises(BadInput, match="not bundled"):
        VerifierSettings(embedder_model="bge-large").make_embedder()
    with pytest.raises(Exception, match="extra"):
        VerifierSettings(no_such_field=1)
