"""The fitted combiner: multinomial logistic regressions over the pair signals.

Two regressions share one JSON file (``verifier/data/combiner.json``, written by
``python -m verifier.fit``): ``structured`` for claims that name a system, model, baseline
or hardware or state a result number — where a contradiction shows as a conflicting number
or name — and ``plain`` for other prose, where only similarity and negation speak. Each has
standardisation, coefficients ``[C, F]``, intercepts ``[C]`` and decision weights ``[C]``.
``probabilities`` are the calibrated outputs (reported as confidence); the verdict is
``argmax(p * decision_weights)``, which trades precision between classes without
changing the probabilities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from verifier.errors import ModelUnavailableError
from verifier.features import FEATURES

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "combiner.json"
ROUTE = FEATURES.index("claim_structured")


@dataclass
class Regression:
    mean: np.ndarray  # [F]
    scale: np.ndarray  # [F]
    coef: np.ndarray  # [C, F]
    intercept: np.ndarray  # [C]
    decision_weights: np.ndarray  # [C]

    @classmethod
    def from_json(cls, raw: dict) -> "Regression":
        f32 = lambda v: np.asarray(v, np.float32)  # noqa: E731
        return cls(f32(raw["mean"]), f32(raw["scale"]), f32(raw["coef"]), f32(raw["intercept"]),
                   f32(raw["decision_weights"]))

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass
class Combiner:
    classes: tuple[str, ...]
    models: dict[str, Regression]  # "structured", "plain"

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Combiner":
        path = Path(path) if path else DEFAULT_PATH
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot read combiner parameters {path}: {exc}; "
                                        "run python -m verifier.fit") from exc
        if tuple(raw.get("features", ())) != FEATURES:
            raise ModelUnavailableError(f"combiner {path} was fitted on features {raw.get('features')}, "
                                        f"this code computes {list(FEATURES)}; re-run python -m verifier.fit")
        return cls(tuple(raw["classes"]), {k: Regression.from_json(v) for k, v in raw["models"].items()})

    def _route(self, x: np.ndarray) -> np.ndarray:
        return x[:, ROUTE] > 0.5

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """``x [P, F]`` -> ``[P, C]`` rows summing to 1, columns in ``self.classes`` order."""
        out = np.zeros((len(x), len(self.classes)), np.float32)
        s = self._route(x)
        if s.any():
            out[s] = self.models["structured"].probabilities(x[s])
        if (~s).any():
            out[~s] = self.models["plain"].probabilities(x[~s])
        return out

    def decide(self, probs: np.ndarray, x: np.ndarray) -> list[str]:
        s = self._route(x)
        w = np.where(s[:, None], self.models["structured"].decision_weights, self.models["plain"].decision_weights)
        return [self.classes[k] for k in np.argmax(probs * w, axis=1)]
