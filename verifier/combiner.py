"""The fitted combiner: multinomial logistic regression over the pair signals.

Parameters live in ``verifier/data/combiner.json`` (written by ``verifier/fit.py``):
feature names, standardisation, coefficients ``[C, F]``, intercepts ``[C]`` and per-class
decision weights. ``probabilities`` are the calibrated model outputs; the verdict is
``argmax(p * decision_weights)`` — the weights trade precision between classes without
changing the probabilities reported as confidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from verifier.errors import ModelUnavailableError
from verifier.features import FEATURES

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "combiner.json"


@dataclass
class Combiner:
    classes: tuple[str, ...]
    features: tuple[str, ...]
    mean: np.ndarray  # [F]
    scale: np.ndarray  # [F]
    coef: np.ndarray  # [C, F]
    intercept: np.ndarray  # [C]
    decision_weights: np.ndarray  # [C]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Combiner":
        path = Path(path) if path else DEFAULT_PATH
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot read combiner parameters {path}: {exc}; run python -m verifier.fit") from exc
        if tuple(raw["features"]) != FEATURES:
            raise ModelUnavailableError(f"combiner {path} was fitted on features {raw['features']}, "
                                        f"this code computes {list(FEATURES)}; re-run python -m verifier.fit")
        return cls(tuple(raw["classes"]), tuple(raw["features"]), np.asarray(raw["mean"], np.float32),
                   np.asarray(raw["scale"], np.float32), np.asarray(raw["coef"], np.float32),
                   np.asarray(raw["intercept"], np.float32),
                   np.asarray(raw.get("decision_weights", [1.0] * len(raw["classes"])), np.float32))

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """``x [P, F]`` -> ``[P, C]`` rows summing to 1, columns in ``self.classes`` order."""
        z = ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def decide(self, probs: np.ndarray) -> list[str]:
        return [self.classes[k] for k in np.argmax(probs * self.decision_weights, axis=1)]


