"""One simulated comparison: build the trace, the cost model and each policy, run, tabulate.

The JSON document has the bench's shape: ``{"config": {...}, "results": [{"policy",
"tokens_per_s", "vs_all_resident", "hit_rate", ...}]}``. The expertflow policies read routes from
the trace through ``NoisyTraceSource`` at the stated ``recall`` (the oracle reads them exactly);
``static`` gets the trace's own popularity profile (an optimistic static profile, stated). By
default (``policy_time="all"``) the clock is charged every policy's own planning time as
measured here per hook, the scheduler's, and the predictor's (a real predictor of the shape,
timed here, per call, in place of the trace lookup); the other modes are for diagnosis.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from expertflow_runtime.errors import BadInput, BudgetError
from expertflow_runtime.expertflow_sources import NoisyTraceSource, TraceSource
from expertflow_runtime.policies import make_policy
from expertflow_runtime.presets import from_name, profile_from_name
from expertflow_runtime.simulator.core import simulate
from expertflow_runtime.simulator.cost import CostModel
from expertflow_runtime.simulator.workload import (
    map_trace,
    real_routes,
    synthetic_trace,
    trace_from_routes,
)
from expertflow_runtime.trace import RoutingTrace


@dataclass
class SimConfig:
    preset: str
    policies: list[str] = field(default_factory=list)
    budget: int = 2
    batch: int = 16
    groups: int = 2
    profile: str = "a40-pcie4"
    trace: str | None = None
    routes: str | None = None  # recorded real routes (simulator.workload.real_routes)
    layers: int | None = None  # cut the model to its first N blocks (as ``runtime bench --layers``)
    zipf: float = 1.0
    stickiness: float = 0.3
    prompt_len: int = 16
    gen_len: int = 16
    recall: float | None = None  # None: the recall measured for this preset's trained predictor
    seed: int = 0
    policy_time: str = "all"  # what of each policy's own time the clock is charged (simulate())


_POLICY_TIME = {
    "all": "every policy's planning, predictor and scheduler time charged, measured per hook "
           "on this machine (a trace lookup's time is replaced by a real predictor's)",
    "overheads": "predictor + scheduler charged; planning reported, not charged",
    "none": "no policy time charged (deterministic)",
}


def measure_predictor_call_s(num_layers: int, num_experts: int, top_k: int, vocab: int,
                             batch: int, repeats: int = 20) -> float:
    """Median wall time on this machine of one decode-step call of an (untrained) predictor of
    this shape on ``batch`` full-window contexts: what a real predictor would cost in place of
    the trace stand-in. Weights do not change the time."""
    import time

    import numpy as np

    from expertflow_runtime.predictor.model import PredictorConfig, RoutingPredictor

    cfg = PredictorConfig(vocab_size=min(vocab, 1 << 16), n_layers=num_layers,
                          n_experts=num_experts, top_k=top_k)
    model = RoutingPredictor(cfg)
    ctx = np.random.default_rng(0).integers(0, cfg.vocab_size, (batch, cfg.window)).tolist()
    model.predict_last(ctx)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_last(ctx)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def policy_kwargs(name: str, trace: RoutingTrace, recall: float, seed: int) -> dict:
    if name == "static":
        return {"popularity": trace.popularity()}
    if name == "expertflow-oracle":
        return {"source": TraceSource(trace)}
    if name == "belady":
        return {"oracle_trace": trace}
    if name.startswith("expertflow"):
        return {"source": NoisyTraceSource(trace, recall, seed)}
    return {}


ASSUMED_RECALL = 0.9  # only when no trained predictor was measured; the result says so


def measured_recall(preset_name: str) -> tuple[float | None, str]:
    """(per-token top-k recall, where it comes from) of the trained predictor of the preset's
    small variant, from the held-out evaluation saved with it; (None, why) when there is none."""
    from expertflow_runtime.predictor.model import predictor_metrics
    from expertflow_runtime.presets import small_variant
    from expertflow_runtime.training import checkpoint_dir

    tiny = small_variant(from_name(preset_name))
    ckpt = checkpoint_dir(tiny)
    metrics = predictor_metrics(ckpt)
    if not metrics or "topk_recall" not in metrics:
        return None, (f"no trained predictor with held-out metrics at {ckpt} (train one: "
                      f"`sovereign runtime train --preset {tiny.name}` then `sovereign runtime "
                      "train-predictor`)")
    return float(metrics["topk_recall"]), (
        f"measured: per-token top-k recall of the {tiny.name} predictor on held-out text "
        f"({metrics.get('tokens', '?')} tokens, {ckpt})")


def resolve_recall(cfg: SimConfig) -> tuple[float, str]:
    """The recall the simulated predictor gets, and a sentence saying where it comes from."""
    if cfg.recall is not None:
        return cfg.recall, "given by the caller"
    recall, source = measured_recall(cfg.preset)
    if recall is None:
        return ASSUMED_RECALL, f"ASSUMED {ASSUMED_RECALL}: {source}"
    return recall, source


def sim_preset(cfg: SimConfig):
    """The simulated shape: the preset, cut to ``cfg.layers`` blocks when asked."""
    preset = from_name(cfg.preset)
    if cfg.layers is None:
        return preset
    if not 2 <= cfg.layers <= preset.num_layers:
        raise BadInput(f"layers {cfg.layers} outside [2, {preset.num_layers}] for "
                       f"{preset.name}")
    return preset.with_layers(cfg.layers)


def build_trace(cfg: SimConfig) -> RoutingTrace:
    preset = sim_preset(cfg)
    if cfg.routes:
        routes = [r[:, : preset.moe_layers] for r in real_routes(cfg.routes)]
        return trace_from_routes(routes, preset, sequences=cfg.batch * cfg.groups, seed=cfg.seed)
    if cfg.trace:
        trace = RoutingTrace.load(cfg.trace)
        if trace.preset != preset.name:
            trace = map_trace(trace, preset)
        return trace
    return synthetic_trace(preset, sequences=cfg.batch * cfg.groups, prompt_len=cfg.prompt_len,
                           gen_len=cfg.gen_len, zipf=cfg.zipf, stickiness=cfg.stickiness,
                           seed=cfg.seed)


def run_simulation(cfg: SimConfig, cost: CostModel | None = None,
                   trace: RoutingTrace | None = None) -> dict:
    """Simulate every policy of ``cfg``; ``cost``/``trace`` override the preset-derived ones."""
    preset = sim_preset(cfg)
    hw = profile_from_name(cfg.profile)
    if not 1 <= cfg.budget <= preset.num_experts:
        raise BudgetError(f"budget {cfg.budget} experts per layer is outside [1, "
                          f"{preset.num_experts}] for {preset.name}")
    if cfg.batch < 1 or cfg.groups < 1:
        raise BadInput(f"batch={cfg.batch} and groups={cfg.groups} must be >= 1")
    trace = trace or build_trace(cfg)
    cost = cost or CostModel.from_preset(preset, hw)
    L = trace.num_layers
    pred_s = measure_predictor_call_s(L, trace.num_experts, trace.top_k, preset.vocab_size, cfg.batch)
    recall, recall_source = resolve_recall(cfg)
    results = []
    for name in cfg.policies:
        policy = make_policy(name, **policy_kwargs(name, trace, recall, cfg.seed))
        capacity = L * (preset.num_experts if getattr(policy, "needs_full_budget", False)
                        else cfg.budget)
        results.append(simulate(policy, trace, cost, capacity=capacity, batch=cfg.batch,
                                groups=cfg.groups, policy_time=cfg.policy_time,
                                predictor_call_s=pred_s).as_dict())
    for r in results:
        if r["policy"].startswith("expertflow") and r["policy"] != "expertflow-oracle":
            r["predictor_recall"], r["recall_source"] = recall, recall_source
    base = next((r["tokens_per_s"] for r in results if r["policy"] == "all-resident"), None)
    for r in results:
        r["vs_all_resident"] = r["tokens_per_s"] / base if base else float("nan")
    source = trace.extra.get("source", "recorded")
    if source == "synthetic":
        source = f"synthetic (zipf={cfg.zipf}, stickiness={cfg.stickiness}, seed={cfg.seed})"
    config = asdict(cfg) | {"trace_source": source, "cost_model": asdict(cost),
                            "moe_layers": L, "capacity": L * cfg.budget,
                            "predictor_call_s": pred_s, "recall": recall,
                            "recall_source": recall_source,
                            "policy_time": _POLICY_TIME[cfg.policy_time]}
    return {"config": config, "results": results}
