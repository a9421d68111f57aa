"""One headline status per claim, derived from its three verdicts by a fixed rule.

The three verdicts, never conflated:

* **attribution** (ATTRIBUTED | MISATTRIBUTED | UNCHECKED): does the claim's own passage state
  it with these fields? A check of our extraction, never evidence that the claim is true.
* **independent evidence** (CORROBORATED | CONTRADICTED | RELATED | NONE): what passages of
  other papers (other authors) say about the same quantity.
* **reproduction** (REPRODUCED | PARTIAL | NOT_REPRODUCED | NOT_TESTABLE, or none): the empirical
  verdict of re-measuring the claim on the runtime.

The rule, first match wins:

1. CONTRADICTED — independent evidence contradicts it, or reproduction says NOT_REPRODUCED.
2. UNVERIFIED — attribution is MISATTRIBUTED: its own passage does not state it with these
   fields, so whatever the evidence says is not about what the paper claimed.
3. SUPPORTED — independent evidence corroborates it, or reproduction says REPRODUCED.
4. UNVERIFIED otherwise, with the reason: "partly reproduced" (PARTIAL), "related passages of
   other papers only, none on the same quantity" (RELATED), or "only its authors' word" (NONE).

The claim's own passage never makes a claim SUPPORTED: attribution can only hold a claim back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HeadlineStatus = Literal["SUPPORTED", "CONTRADICTED", "UNVERIFIED"]
ONLY_AUTHORS = "only its authors' word"


@dataclass(frozen=True)
class Headline:
    status: HeadlineStatus
    reason: str


def headline(attribution: str | None, independent: str | None, reproduction: str | None) -> Headline:
    """The headline status of a claim from its three verdicts (None: that check did not run)."""
    independent = independent or "NONE"
    if independent == "CONTRADICTED" and reproduction == "NOT_REPRODUCED":
        return Headline("CONTRADICTED", "contradicted by another paper and not reproduced")
    if independent == "CONTRADICTED":
        return Headline("CONTRADICTED", "contradicted by another paper on the same quantity")
    if reproduction == "NOT_REPRODUCED":
        return Headline("CONTRADICTED", "not reproduced by our measurement")
    if attribution == "MISATTRIBUTED":
        return Headline("UNVERIFIED", "its own passage does not state it with these fields (an extraction error)")
    if independent == "CORROBORATED" and reproduction == "REPRODUCED":
        return Headline("SUPPORTED", "corroborated by another paper and reproduced")
    if independent == "CORROBORATED":
        return Headline("SUPPORTED", "corroborated by another paper on the same quantity")
    if reproduction == "REPRODUCED":
        return Headline("SUPPORTED", "reproduced by our measurement")
    if reproduction == "PARTIAL":
        return Headline("UNVERIFIED", "partly reproduced; no other paper corroborates it")
    if independent == "RELATED":
        return Headline("UNVERIFIED", f"{ONLY_AUTHORS}: other papers discuss related settings or quantities only")
    return Headline("UNVERIFIED", ONLY_AUTHORS)
