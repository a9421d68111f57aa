"""verifier — claim extraction and the textual (and, in ``verifier.empirical``, measured) checks.

Public API::

    extract_claims(text, *, source_section=None) -> list[ExtractedClaim]
    TextChecker(embedder).check(claim, own, others) -> TextVerdict
    TextChecker(embedder).check_batch(claims, passages, own=...) -> list[TextVerdict]
    VerifierSettings().make_embedder() / .make_checker()
    baseline.baseline_verdicts(...)   # the TF-IDF >= 0.15 rule we measure against

Heavy pieces (torch, sentence-transformers) load only when a checker/embedder is built.
"""

from verifier.lazy import lazy_getattr

# name -> module that defines it; imported on first use, so importing the package is cheap (the
# checker and embedders pull in torch and sentence-transformers, the baseline scikit-learn)
_EXPORTS = {
    "baseline": "verifier.baseline",
    "canonical_dataset": "verifier.aliases",
    "canonical_hardware": "verifier.aliases",
    "canonical_metric": "verifier.aliases",
    "canonical_model": "verifier.aliases",
    "canonical_system": "verifier.aliases",
    "BadInput": "verifier.errors",
    "ModelUnavailableError": "verifier.errors",
    "VerifierError": "verifier.errors",
    "extract_claims": "verifier.extract",
    "VerifierSettings": "verifier.settings",
    "Corroboration": "verifier.types",
    "EvidenceItem": "verifier.types",
    "ExtractedClaim": "verifier.types",
    "PassageRef": "verifier.types",
    "TextVerdict": "verifier.types",
    "TextChecker": "verifier.check",
    "MiniLMEmbedder": "verifier.embedder",
    "Embedder": "verifier.embedder",
}

__getattr__ = lazy_getattr(__name__, _EXPORTS)

__all__ = [
    "BadInput", "Corroboration", "Embedder", "EvidenceItem", "ExtractedClaim", "MiniLMEmbedder",
    "ModelUnavailableError", "PassageRef", "TextChecker", "TextVerdict", "VerifierError", "VerifierSettings",
    "baseline", "canonical_dataset", "canonical_hardware", "canonical_metric", "canonical_model",
    "canonical_system", "extract_claims",
]
