"""The setting an experiment takes from its paper for what a claim leaves out.

In order of preference: the setup the paper's own text states (``verifier.paper_setup``, stored
when the paper is read), each field pointing at its passage; for a paper whose text was not
read, a hand-written setup where one exists (ExpertFlow); else a generic default. Every field
says where it came from, and the plan repeats that in its caveats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HARDWARE_PROFILES = {"A40": "a40-pcie4", "H100": "h100-pcie5", "H200": "h200-pcie5"}


@dataclass(frozen=True)
class PaperSetup:
    """The evaluation setup a paper states, used for what a claim leaves out.

    ``hardware`` is a runtime hardware profile; ``source`` says where the setup came from, and
    ``sources`` overrides it per field ("model", "hardware", "cache_size", "batch_size")."""

    paper: str
    model: str
    hardware: str
    cache_size: int
    batch_size: int
    source: str
    sources: dict[str, str] = field(default_factory=dict)
    system: str | None = None  # the system the paper presents, for a result naming none

    def source_of(self, name: str) -> str:
        return self.sources.get(name, self.source)


HAND_WRITTEN = "hand-written setup, the paper's text was not read"
# ExpertFlow (arXiv 2410.17954, DAC 2026), evaluation section: one NVIDIA A40 over PCIe 4.0;
# Switch results at cache 16, batch 32 (hit rates at cache 16, batch 16); Mixtral-8x7B first.
EXPERTFLOW_SETUP = PaperSetup("2410.17954", "Mixtral-8x7B", "a40-pcie4", 16, 32,
                              f"{HAND_WRITTEN}: ExpertFlow (arXiv 2410.17954), one A40, PCIe 4.0, "
                              "cache 16, batch 32", system="ExpertFlow")
# Used when neither the claim nor its paper states a setup: the hardware the runtime's figures are
# best documented for, a quarter of the experts per layer, a batch of 16.
DEFAULT_SETUP = PaperSetup("", "Mixtral-8x7B", "a40-pcie4", 0, 16,
                           "no setup stated: A40 + PCIe 4.0, a quarter of the experts, batch 16")
PAPER_SETUPS = {"2410.17954": EXPERTFLOW_SETUP}


def versionless(paper_id: str | None) -> str:
    return re.sub(r"v\d+$", "", paper_id or "")


def hand_written(paper_id: str | None) -> PaperSetup:
    """The hand-written setup of a paper whose text was not read, else the default."""
    return PAPER_SETUPS.get(versionless(paper_id), DEFAULT_SETUP)


def setup_from_text(paper_id: str, fields: dict[str, dict[str, Any]], models: list[str]) -> PaperSetup:
    """The setup a paper's text states (``verifier.paper_setup.read_setup`` fields); a field the
    text leaves out comes from the default and says so. ``models`` are those the runtime has
    presets for: the first of the paper's models among them is taken."""
    def said(name: str) -> str:
        f = fields[name]
        return f"setup from the paper's text (passage P{f['passage_id']}: \"{_short(f['quote'])}\")"

    sources: dict[str, str] = {}
    values = {k: f["value"] for k, f in fields.items()}
    stated = [m for m in values.get("models", []) if m in models]
    model = stated[0] if stated else DEFAULT_SETUP.model
    sources["model"] = said("models") if stated else f"not stated in the paper's text: {DEFAULT_SETUP.source}"
    profile = HARDWARE_PROFILES.get(values.get("hardware", ""))
    if profile:
        sources["hardware"] = said("hardware")
    elif "hardware" in values:
        sources["hardware"] = (f"the paper's {values['hardware']} has no hardware profile "
                               f"({said('hardware')}); {DEFAULT_SETUP.source}")
    else:
        sources["hardware"] = f"not stated in the paper's text: {DEFAULT_SETUP.source}"
    for name in ("cache_size", "batch_size"):
        sources[name] = said(name) if name in values else f"not stated in the paper's text: {DEFAULT_SETUP.source}"
    if "system" in values:
        sources["system"] = said("system")
    first = next(iter(fields.values()), None)
    return PaperSetup(
        versionless(paper_id), model, profile or DEFAULT_SETUP.hardware,
        int(values.get("cache_size", DEFAULT_SETUP.cache_size)),
        int(values.get("batch_size", DEFAULT_SETUP.batch_size)),
        f"setup from the paper's text (passage P{first['passage_id']})" if first else DEFAULT_SETUP.source,
        sources, values.get("system"),
    )


def _short(quote: str, limit: int = 90) -> str:
    quote = " ".join(quote.split())
    return quote if len(quote) <= limit else quote[: limit - 1].rstrip() + "…"
