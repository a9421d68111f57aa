"""What a reviewer can find in a draft: the vocabulary shared by the tribunal (which finds) and
the reviser (which acts). A `Finding` is also the LLM reviewers' output schema for one finding.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["critical", "major", "minor", "ok", "info"]

# The draft misreports its own run: fixed by re-reading the run.
VERDICT_MISREPORTED = "verdict_misreported"  # a verdict in the draft differs from the run's
NUMBER_MISMATCH = "number_mismatch"  # a number not found in the row it cites
BASELINE_DROPPED = "baseline_dropped"  # the run's claim names a baseline; the draft does not
UNREFERENCED_NUMBER = "unreferenced_number"  # a number with no reference
# The draft states something the evidence does not carry: withdrawn or qualified.
CONTRADICTED_STATED = "contradicted_stated"
UNSUPPORTED_STATED = "unsupported_stated"  # UNVERIFIED / NOT_CHECKED stated as a finding
WEAK_SUPPORT = "weak_support"  # SUPPORTED with low confidence, stated in the abstract
NO_BASELINE = "no_baseline"  # a comparison whose source names no baseline
SMALL_SCALE_OVERREACH = "small_scale_overreach"  # small-scale reproduction stated unqualified
UNFAIR_COMPARISON = "unfair_comparison"  # measured against another baseline/setting than claimed
# The Answer does not answer the question asked, or misleads about it: rebuilt from the run.
FACET_DROPPED = "facet_dropped"  # a facet of the question left out, or called a gap the run answers
NOTHING_ANSWERED = "nothing_answered"  # the Answer answers no facet
FAILED_AS_FINDING = "failed_claim_as_finding"  # contradicted / not reproduced, presented as holding
HOMONYM_CONFUSION = "homonym_confusion"  # another system of the same name counted as the one asked about
UNTRACED_NUMBER = "untraced_number"  # a number in the Answer no cited row carries
OFF_TOPIC = "off_topic_paper"  # a paper off the question's topic stated as a finding
AUTHORS_WORD_ONLY = "authors_word_only"  # a finding only its authors state, not said so
FACET_UNANSWERED = "facet_unanswered"  # a facet the draft leaves as a gap (said plainly)
# Gaps of the run itself: disclosed in the uncertainties.
RETRIEVAL_GAP = "retrieval_gap"
ABSTRACT_ONLY = "abstract_only"
# The validator's confirmations.
CONFIRMED = "confirmed"
UNCONFIRMED = "unconfirmed"

KINDS = (
    VERDICT_MISREPORTED, NUMBER_MISMATCH, BASELINE_DROPPED, UNREFERENCED_NUMBER,
    CONTRADICTED_STATED, UNSUPPORTED_STATED, WEAK_SUPPORT, NO_BASELINE, SMALL_SCALE_OVERREACH,
    UNFAIR_COMPARISON, RETRIEVAL_GAP, ABSTRACT_ONLY, CONFIRMED, UNCONFIRMED, FACET_DROPPED, NOTHING_ANSWERED,
    FAILED_AS_FINDING, HOMONYM_CONFUSION, UNTRACED_NUMBER, OFF_TOPIC, AUTHORS_WORD_ONLY, FACET_UNANSWERED,
)
REBUILD_ANSWER = (FACET_DROPPED, NOTHING_ANSWERED, FAILED_AS_FINDING, HOMONYM_CONFUSION, UNTRACED_NUMBER,
                  OFF_TOPIC, AUTHORS_WORD_ONLY)
WITHDRAW = (CONTRADICTED_STATED,)
QUALIFY = (UNSUPPORTED_STATED, WEAK_SUPPORT, NO_BASELINE, UNCONFIRMED)
CAVEAT = (SMALL_SCALE_OVERREACH, UNFAIR_COMPARISON)
REREAD = (VERDICT_MISREPORTED, NUMBER_MISMATCH, BASELINE_DROPPED, UNREFERENCED_NUMBER)
DISCLOSE = (RETRIEVAL_GAP, ABSTRACT_ONLY)


class Finding(BaseModel):
    kind: str = Field(description="one of: " + ", ".join(KINDS))
    severity: Severity = Field(description="critical | major | minor | ok (confirmed) | info")
    claim_id: int | None = Field(None, description="the claim the finding is about, if any")
    check_id: int | None = Field(None, description="the empirical check it is about, if any")
    facet_id: int | None = Field(None, description="the facet of the question it is about, if any")
    message: str = Field(description="one sentence a reader can act on, citing the ids")
    source: str = Field("rubric", description="rubric | llm")
