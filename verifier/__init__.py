"""verifier — claim extraction and the textual (and, in ``verifier.empirical``, measured) checks.

Public API::

    extract_claims(text, *, source_section=None) -> list[ExtractedClaim]
    TextChecker(embedder).check(claim, own, others) -> TextVerdict
    TextChecker(embedder).check_batch(claims, passages, own=...) -> list[TextVerdict]
    VerifierSettings().make_embedder() / .make_checker()
    baseline.baseline_verdicts(...)   # the TF-IDF >= 0.15 rule we measure against

Heavy pieces (torch, sentence-transformers) load only when a checker/embedder is built.
"""

from verifier import baseline
from verifier.aliases import (canonical_dataset, canonical_hardware, canonical_metric, canonical_model,
                              canonical_system)
from verifier.errors import BadInputError, ModelUnavailableError, VerifierError
from verifier.extract import extract_claims
from verifier.settings import VerifierSettings
from verifier.types import (Corroboration, EvidenceItem, ExtractedClaim, PassageRef, TextVerdict)


def __getattr__(name: str):
    # TextChecker / embedders pull in torch; import them on first use only.
    if name == "TextChecker":
        from verifier.check import TextChecker
        return TextChecker
    if name in ("MiniLMEmbedder", "Embedder"):
        from verifier import embedder
        return getattr(embedder, name)
    raise AttributeError(f"module 'verifier' has no attribute {name!r}")


__all__ = [
    "BadInputError", "Corroboration", "Embedder", "EvidenceItem", "ExtractedClaim", "MiniLMEmbedder",
    "ModelUnavailableError", "PassageRef", "TextChecker", "TextVerdict", "VerifierError", "VerifierSettings",
    "baseline", "canonical_dataset", "canonical_hardware", "canonical_metric", "canonical_model",
    "canonical_system", "extract_claims",
]
