"""The domain types the verifier takes and returns: claims, passages, verdicts (declared in
:mod:`domain`)."""

from domain.claims import ClaimFields
from domain.passages import PassageRef
from domain.verdicts import (
    VERDICTS,
    AttributionLabel,
    Corroboration,
    EvidenceItem,
    EvidenceLabel,
    TextVerdict,
    VerdictLabel,
)

# The verifier's name for a claim it extracted: the one claim type of `domain`.
ExtractedClaim = ClaimFields

__all__ = ["AttributionLabel", "ClaimFields", "Corroboration", "EvidenceItem", "EvidenceLabel", "ExtractedClaim",
           "PassageRef", "TextVerdict", "VERDICTS", "VerdictLabel"]
