"""Run one empirical check: claim → spec → experiment on a backend → verdict.

``check_claim`` is what ``sovereign checks run`` and the pipeline's check_runs stage call (the
latter through ``run_spec``, which takes the stored JSON spec, so a Ray task on a GPU node can run
it from the database row alone).
"""

from __future__ import annotations

import time
from pathlib import Path

from expertflow_runtime.presets import from_name
from verifier.empirical.backends import Backend, Scale, make_backend
from verifier.empirical.memory import memory_at_fraction
from verifier.empirical.spec import POLICY_NAMES, plan_experiment
from verifier.empirical.types import Comparison, EmpiricalResult, ExperimentSpec, NotTestable
from verifier.empirical.verdict import Tolerances, judge
from verifier.settings import EMPIRICAL_TRAIN_BUDGET_S
from verifier.types import ExtractedClaim

MEMORY_CAVEAT = ("device memory = non-expert weights + the peak expert slots the run held, at the "
                 "full-size shape; activations and KV cache not counted")


def not_testable(item: NotTestable) -> EmpiricalResult:
    return EmpiricalResult(verdict="NOT_TESTABLE", reason=item.reason)


def _label(policy: str) -> str:
    return POLICY_NAMES.get(policy, policy)


def _derive(spec: ExperimentSpec, scale: Scale, rows: dict[str, dict]) -> tuple[float, dict, float | None, list[Comparison], dict]:
    """(measured value, measured others, reference, plot pairs, derived figures)."""
    c = spec.claimed
    if c.quantity == "speedup":
        sys_tps, base_tps = rows[spec.policy]["tokens_per_s"], rows[spec.baseline_policy]["tokens_per_s"]
        ratio = sys_tps / base_tps
        label = f"{_label(spec.policy)} ÷ {_label(spec.baseline_policy)} throughput"
        return ratio, {}, None, [Comparison(label=label, unit="×", claimed=c.value, measured=round(ratio, 4))], \
            {"ratio": ratio, "tokens_per_s": {p: r["tokens_per_s"] for p, r in rows.items()}}
    if c.quantity == "hit_rate":
        hit = {p: 100.0 * r["hit_rate"] for p, r in rows.items()}
        pairs = [Comparison(label=f"{_label(spec.policy)} hit rate", unit="%", claimed=c.value,
                            measured=round(hit[spec.policy], 2))]
        others = {k: hit[k] for k in c.others if k in hit}
        pairs += [Comparison(label=f"{_label(k)} hit rate", unit="%", claimed=c.others[k], measured=round(v, 2))
                  for k, v in others.items()]
        on_time = {p: 100.0 * r["on_time_hit_rate"] for p, r in rows.items() if "on_time_hit_rate" in r}
        return hit[spec.policy], others, None, pairs, {"hit_rate_pct": hit, "on_time_hit_rate_pct": on_time}
    # memory: the subject's peak slots as a fraction of all expert slots, at the full-size shape
    row = rows[spec.policy]
    fraction = row["peak_slots"] / (scale.moe_layers * scale.num_experts)
    mem = memory_at_fraction(from_name(spec.preset), fraction)
    derived = {"slot_fraction": fraction, **mem}
    if c.quantity == "memory_saving":
        pairs = [Comparison(label="memory saved", unit="%", claimed=c.value, measured=mem["saving_pct"])]
        if "before_gb" in c.others:
            pairs += [Comparison(label="all experts resident", unit="GB", claimed=c.others["before_gb"],
                                 measured=mem["all_resident_gb"]),
                      Comparison(label=_label(spec.policy), unit="GB", claimed=c.others["after_gb"],
                                 measured=mem["device_gb"])]
        return mem["saving_pct"], {}, None, pairs, derived
    pairs = [Comparison(label=f"{_label(spec.policy)} device memory", unit="GB", claimed=c.value,
                        measured=mem["device_gb"])]
    return mem["device_gb"], {}, mem["all_resident_gb"], pairs, derived


def _on_time_caveat(on_time: dict[str, float]) -> str:
    landed = ", ".join(f"{_label(p)} {v:.1f}%" for p, v in on_time.items())
    return ("hit rate counts an expert whose prefetch was still in flight when its layer needed it "
            f"as a hit (the wait is stall time); counting only copies that had landed: {landed}")


def run_experiment(spec: ExperimentSpec, backend: Backend, tol: Tolerances = Tolerances()) -> EmpiricalResult:
    """Measure ``spec`` on ``backend`` and judge it. Runtime failures propagate (the caller
    records a failed check); the result always carries backend, scale and caveats."""
    scale = backend.scale(spec)
    t0 = time.perf_counter()
    rows = backend.measure(scale, spec.policies)
    elapsed = time.perf_counter() - t0
    measured, others, reference, pairs, derived = _derive(spec, scale, rows)
    j = judge(spec.claimed, measured, measured_others=others, reference=reference, tol=tol)
    caveats = backend.caveats(spec, scale) + [f"assumed: {a}" for a in spec.assumed]
    if spec.claimed.quantity.startswith("memory"):
        caveats.append(MEMORY_CAVEAT)
    if spec.claimed.quantity == "hit_rate" and derived.get("on_time_hit_rate_pct"):
        caveats.append(_on_time_caveat(derived["on_time_hit_rate_pct"]))
    return EmpiricalResult(
        verdict=j.verdict, reason=j.reason, backend=scale.backend, spec=spec, claimed=spec.claimed,
        measured=round(measured, 4), tolerance=j.tolerance, comparisons=pairs, caveats=caveats,
        measurements={"scale": scale.as_dict(), "rows": rows, "derived": derived,
                      "elapsed_s": round(elapsed, 3), "measured": round(measured, 4),
                      "comparisons": [p.model_dump() for p in pairs], "tolerance": j.tolerance},
    )


def check_claim(claim: ExtractedClaim, *, backend: str = "cpu", runtime_dir: str | Path,
                train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S, paper_id: str | None = None,
                tol: Tolerances = Tolerances()) -> EmpiricalResult:
    """The empirical verdict of one claim (NOT_TESTABLE without running anything when no
    experiment of the runtime can test it)."""
    planned = plan_experiment(claim, paper_id=paper_id)
    if isinstance(planned, NotTestable):
        return not_testable(planned)
    return run_experiment(planned, make_backend(backend, str(runtime_dir), train_budget_s), tol)


def prepare_specs(specs: list[dict], *, backend: str, runtime_dir: str | Path,
                  train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S, progress=None) -> None:
    """Ready ``backend`` for the stored specs before the first runs (trains the cpu backend's
    missing small models in parallel), so that no single check pays for all of it."""
    make_backend(backend, str(runtime_dir), train_budget_s).prepare(
        [ExperimentSpec.model_validate(s) for s in specs], progress)


def run_spec(spec: dict, *, backend: str, runtime_dir: str | Path,
             train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S,
             tol: Tolerances = Tolerances()) -> EmpiricalResult:
    """``run_experiment`` from a stored JSON spec (``ExperimentSpec.model_dump(mode="json")``)."""
    return run_experiment(ExperimentSpec.model_validate(spec),
                          make_backend(backend, str(runtime_dir), train_budget_s), tol)
