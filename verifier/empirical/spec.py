"""Claim → experiment: which runtime policies, model preset, cache, batch and hardware test a
performance claim, or why none can (``NotTestable``).

Names come canonical from the extractor (``verifier.aliases``); this module maps them to the
runtime's vocabulary. What the claim leaves out is taken from the setup the paper's text states
(``verifier.empirical.setups``; a labelled hand-written or default setup when the text was not
read) and listed in ``ExperimentSpec.assumed`` with where it came from, so the report can say so.
"""

from __future__ import annotations

from expertflow_runtime.presets import from_name as preset_from_name
from verifier.aliases import canonical_hardware, canonical_model, canonical_system, find_mentions
from verifier.empirical.memory import all_resident_gb, saving_at_budget
from verifier.empirical.ordering import read_ordering
from verifier.empirical.reading import (
    SPEED_METRICS,
    Unreadable,
    read_hit_rate,
    read_memory,
    read_speedup,
)
from verifier.empirical.setups import (
    HAND_WRITTEN,
    HARDWARE_PROFILES,
    PaperSetup,
    hand_written,
    setup_from_text,
    versionless,
)
from verifier.empirical.types import Claimed, ExperimentSpec, NotTestable
from verifier.empirical.verdict import DEFAULT_RATIO_TOLERANCE
from verifier.types import ExtractedClaim

# Canonical system name -> runtime policy. "static cache" and "All-In-GPU" are not in the alias
# tables (papers rarely name them as systems), so their common spellings are listed here.
SYSTEM_POLICIES: dict[str, str] = {
    "ExpertFlow": "expertflow",
    "Cache-MoE": "lru",
    "SE-MoE": "se-moe",
    "Pre-gated MoE": "pregated",
    "on-demand loading": "on-demand",
    "static cache": "static",
    "All-In-GPU": "all-resident",
}
_RAW_SYSTEMS = {"lru": "Cache-MoE", "static": "static cache", "static cache": "static cache",
                "all-in-gpu": "All-In-GPU", "all in gpu": "All-In-GPU", "all-resident": "All-In-GPU",
                "on-demand": "on-demand loading"}
POLICY_NAMES = {p: s for s, p in SYSTEM_POLICIES.items()}

# Canonical model -> (full-size preset, small variant of the same family).
MODEL_PRESETS: dict[str, tuple[str, str]] = {
    "Mixtral-8x7B": ("mixtral-8x7b", "mixtral-tiny"),
    "Mixtral-8x22B": ("mixtral-8x22b", "mixtral-tiny"),
    "Qwen1.5-MoE-A2.7B": ("qwen1.5-moe-a2.7b", "qwen-moe-tiny"),
    "Qwen3-30B-A3B": ("qwen3-moe", "qwen3-moe-tiny"),
    "DeepSeek-MoE-16B": ("deepseek-moe-16b", "deepseek-tiny"),
    "OLMoE-1B-7B": ("olmoe-1b-7b", "olmoe-tiny"),
    "Switch-Base-32": ("switch-base-32", "switch-tiny"),
    "Switch-Base-64": ("switch-base-64", "switch-tiny"),
    "Switch-Base-128": ("switch-base-128", "switch-tiny"),
}
QUALITY_METRICS = {"accuracy", "perplexity"}
# A footprint is reached by any offloading; these run beside a memory claim's subject to say what
# it costs (all experts resident) and whether the subject's cache earns it (caching nothing).
MEMORY_REFERENCES = ["on-demand", "all-resident"]


SYSTEM_PAPERS = {"ExpertFlow": "2410.17954"}
PAPER_SYSTEMS = {paper: system for system, paper in SYSTEM_PAPERS.items()}


def stated_setup(paper_id: str, fields: dict) -> PaperSetup | None:
    """The setup a paper's text states (stored ``verifier.paper_setup.read_setup`` fields), in
    the runtime's vocabulary; None when it states nothing."""
    return setup_from_text(paper_id, fields, list(MODEL_PRESETS)) if fields else None


def policy_of(name: str | None) -> str | None:
    """Runtime policy of a system name (canonical or a common spelling); None when unmapped."""
    if not name:
        return None
    canon = canonical_system(name) or _RAW_SYSTEMS.get(name.strip().lower()) or name.strip()
    return SYSTEM_POLICIES.get(canon)


def _setup(paper_id: str | None, claim: ExtractedClaim, stated: PaperSetup | None) -> PaperSetup:
    """The paper's setup: the one its text states when given; else the hand-written one by id,
    or by the first system of the sentence whose paper we know (the extractor may bind the
    sentence's other system to the claim); else the default."""
    if stated is not None:
        return stated
    pid = versionless(paper_id)
    if not pid:
        names = [claim.system or ""] + [m.name for m in find_mentions(claim.text) if m.kind == "system"]
        pid = next((SYSTEM_PAPERS[n] for n in names if n in SYSTEM_PAPERS), "")
    return hand_written(pid)


def _implemented() -> str:
    return ", ".join(f"{s} ({p})" for s, p in SYSTEM_POLICIES.items())


def _not_testable(claim: ExtractedClaim, reason: str) -> NotTestable:
    return NotTestable(claim_text=claim.text, reason=reason)


def _read(claim: ExtractedClaim, policy: str) -> Claimed:
    metric = claim.metric
    if metric in SPEED_METRICS:
        return read_speedup(claim, policy)
    if metric in ("hit rate", "miss rate"):
        if claim.unit != "%":
            raise Unreadable(f"a hit rate in {claim.unit or 'no unit'} cannot be compared; give %")
        return read_hit_rate(claim, policy, policy_of)
    if metric == "memory":
        return read_memory(claim, policy)
    raise Unreadable(
        f"the runtime measures throughput, speed-up, latency ratio, hit rate and memory; "
        f"not {metric or 'an unnamed metric'}"
    )


def plan_experiment(claim: ExtractedClaim, *, paper_id: str | None = None,
                    setup: PaperSetup | None = None) -> ExperimentSpec | NotTestable:
    """The experiment that tests ``claim``, or NotTestable with the reason.

    What the claim leaves out comes from ``setup``, the setup its paper's text states
    (``verifier.empirical.setups.setup_from_text``); without one, from the hand-written setup of
    ``paper_id`` (or of the system's own paper when known: ExpertFlow), labelled as such.
    """
    if claim.value is None:
        ordering = read_ordering(claim.text, policy_of)
        if ordering is None:
            return _not_testable(claim, "the claim states no number to re-measure and no ordering of "
                                        "policies (faster/slower than, fastest/slowest)")
        claimed, compared = ordering
        return _spec(claim, claimed, None, compared, paper_id, [], setup)
    if claim.metric in QUALITY_METRICS:
        where = f" on {claim.dataset}" if claim.dataset else " on a benchmark"
        return _not_testable(
            claim,
            f"model quality ({claim.metric}{where}) needs the paper's trained model and the "
            "benchmark data; the runtime measures serving speed, caching and memory, not task quality",
        )
    system, assumed = claim.system, []
    own = setup.system if setup is not None else None
    said = setup.source_of("system") if own else (
        "hand-written, the paper's text does not present it by name" if setup is not None else HAND_WRITTEN)
    own = own or PAPER_SYSTEMS.get(versionless(paper_id))
    if system is None and own:  # "these components reduce memory by 93.72%" in the paper's own text
        system = own
        assumed.append(f"system not named: the paper's own system, {own} ({said})")
    if system is None:
        return _not_testable(claim, "the claim names no system to run; implemented: " + _implemented())
    claim = claim.model_copy(update={"system": system})
    policy = policy_of(system)
    if policy is None:
        return _not_testable(
            claim, f"{claim.system} has no implementation in the runtime; implemented: {_implemented()}"
        )
    try:
        claimed = _read(claim, policy)
    except Unreadable as exc:
        return _not_testable(claim, str(exc))

    baseline_policy = policy_of(claim.baseline) if claim.baseline else None
    if claim.baseline and baseline_policy is None:
        return _not_testable(
            claim, f"the baseline {claim.baseline} has no implementation in the runtime; "
            f"implemented: {_implemented()}"
        )
    if claimed.quantity == "hit_rate" and claimed.others:
        baseline_policy = next(iter(claimed.others))
    if claimed.quantity == "speedup" and baseline_policy == claimed.subject:
        return _not_testable(claim, f"the claim compares {POLICY_NAMES[claimed.subject]} with itself "
                                    f"({claim.system} against {claim.baseline}); name a different baseline")
    if claimed.quantity == "speedup" and baseline_policy is None:
        return _not_testable(claim, "a speed-up without a baseline: the claim does not say faster than what")
    if baseline_policy == claimed.subject:
        baseline_policy = None
    compared = MEMORY_REFERENCES if claimed.quantity.startswith("memory") else []
    return _spec(claim, claimed, baseline_policy, compared, paper_id, assumed, setup)


def _spec(claim: ExtractedClaim, claimed: Claimed, baseline_policy: str | None, compared: list[str],
          paper_id: str | None, assumed: list[str], stated: PaperSetup | None) -> ExperimentSpec | NotTestable:
    """The experiment's setting (model, hardware, cache, batch), from the claim or the paper."""
    setup = _setup(paper_id, claim, stated)
    model = canonical_model(claim.model) if claim.model else None
    model = model or claim.model
    model_assumed = model is None
    if model_assumed:
        model = setup.model
        assumed.append(f"model not named: {model} ({setup.source_of('model')})")
    if model not in MODEL_PRESETS:
        return _not_testable(
            claim, f"{model} has no runtime preset; presets exist for: {', '.join(MODEL_PRESETS)}"
        )
    preset, small = MODEL_PRESETS[model]
    full = preset_from_name(preset)
    num_experts = full.num_experts
    if model_assumed and claimed.quantity.startswith("memory") and claimed.limit is None:
        # What saving is possible at all is set by the model's share of expert weights: a
        # footprint out of every cache size's reach on a model the claim never named says
        # nothing about the system.
        best, least_gb = saving_at_budget(full, 1)
        if least_gb > claimed.footprint_gb(all_resident_gb(full)) * (1.0 + DEFAULT_RATIO_TOLERANCE):
            return _not_testable(claim, f"the claim names no model, and on {model} (assumed: "
                                        f"{setup.source_of('model')}) no cache size reaches the claimed "
                                        f"{claimed.as_written or claimed.value} (at most {best:.1f}% saved, "
                                        "one expert per layer); name the model the figure is for")

    hardware = canonical_hardware(claim.hardware) if claim.hardware else None
    profile = HARDWARE_PROFILES.get(hardware or "")
    if profile is None:
        profile = setup.hardware
        said = f"{claim.hardware} has no hardware profile" if claim.hardware else "hardware not named"
        assumed.append(f"{said}: {profile} ({setup.source_of('hardware')})")

    cache = claim.setting.get("cache_size")
    if isinstance(cache, (int, float)) and cache >= 1:
        cache_size = min(int(cache), num_experts)
    elif claimed.quantity == "memory_saving" and claimed.limit == "at_most":
        cache_size = 1
        assumed.append(f"cache size not stated: 1 of {num_experts} experts per layer, the smallest: the claim "
                       f"calls the saving small (only {float(claimed.value):g}%), so the largest saving the "
                       "system can make is measured, with what it costs in throughput")
    elif claimed.quantity.startswith("memory"):
        cache_size, saving = _cache_for_footprint(full, claimed)
        assumed.append(f"cache size not stated: {cache_size} of {num_experts} experts per layer, the "
                       f"size whose footprint is nearest the claim ({saving:.2f}% saved): the memory "
                       "figure is set by this choice, so the verdict weighs what it costs in throughput")
    else:
        cache_size = setup.cache_size if 0 < setup.cache_size < num_experts else max(1, num_experts // 4)
        source = setup.source_of("cache_size") if setup.cache_size == cache_size else "a quarter of the experts"
        assumed.append(f"cache size not stated: {cache_size} of {num_experts} experts per layer ({source})")
    batch = claim.setting.get("batch_size")
    if isinstance(batch, (int, float)) and batch >= 1:
        batch_size = int(batch)
    else:
        batch_size = setup.batch_size
        assumed.append(f"batch size not stated: {batch_size} ({setup.source_of('batch_size')})")

    return ExperimentSpec(
        claim_text=claim.text, claimed=claimed, system=POLICY_NAMES[claimed.subject],
        policy=claimed.subject, baseline=POLICY_NAMES.get(baseline_policy or ""),
        baseline_policy=baseline_policy, model=model, preset=preset, small_preset=small,
        cache_size=cache_size, batch_size=batch_size, hardware=profile,
        compared=[p for p in compared if p not in (claimed.subject, baseline_policy)], assumed=assumed,
    )


def _cache_for_footprint(full, claimed: Claimed) -> tuple[int, float]:
    """(experts per layer, % saved) whose footprint is nearest the claimed one."""
    if claimed.quantity == "memory_saving":
        target = float(claimed.value)
    else:
        target = 100.0 * (1.0 - float(claimed.value) / all_resident_gb(full))
    options = [(b, saving_at_budget(full, b)[0]) for b in range(1, full.num_experts + 1)]
    return min(options, key=lambda o: (abs(o[1] - target), -o[0]))
