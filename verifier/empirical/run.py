"""Run one empirical check: claim → spec → repeated runs at two scales → one verdict.

Every check runs the same policies twice over, each time in ``REPEATS`` interleaved repeats:
the small scale (the chosen backend: the small variant on an emulated link for ``cpu``, the
GPU's full-size layers for ``cuda``, the small variant simulated for ``simulated``) and the
full-size model in the simulator, planning counted. The verdict rests on the small scale when
real tensors ran there (a simulation's figures follow from its cost model), on the full-size
simulation otherwise; the result says which, and whether the two scales agree.

``check_claim`` is what ``sovereign checks run`` and the pipeline's check_runs stage call (the
latter through ``run_spec``, which takes the stored JSON spec, so a Ray task on a GPU node can run
it from the database row alone).
"""

from __future__ import annotations

import time
from pathlib import Path

from verifier.empirical.backends import Backend, make_backend
from verifier.empirical.errors import ExperimentError
from verifier.empirical.measures import ScaleOutcome, judge_scale, label
from verifier.empirical.scales import REPEATS, Scale, Training
from verifier.empirical.setups import PaperSetup
from verifier.empirical.spec import plan_experiment
from verifier.empirical.types import EmpiricalResult, ExperimentSpec, NotTestable, ScaleVerdict
from verifier.empirical.verdict import Tolerances
from verifier.settings import EMPIRICAL_TRAIN_BUDGET_S
from verifier.types import ExtractedClaim

MEMORY_CAVEAT = ("memory figure set by the cache size the experiment was given: device memory = "
                 "non-expert weights + the peak share of expert slots the run held, at the full-size "
                 "shape (activations and KV cache not counted); judged by what it costs in throughput "
                 "and whether the policy beats caching nothing at that footprint")
SCALE_WORDS = {"small": "small scale", "full": "full size"}


def not_testable(item: NotTestable) -> EmpiricalResult:
    return EmpiricalResult(verdict="NOT_TESTABLE", reason=item.reason)


def _on_time_caveat(outcome: ScaleOutcome) -> str | None:
    flight = outcome.figures.get("in_flight_hit_rate_pct")
    if not flight:
        return None
    landed = outcome.figures["on_time_hit_rate_pct"]
    pairs = ", ".join(f"{label(p)} {landed[p]['median']:.1f}% landed / {flight[p]['median']:.1f}% with "
                      f"in-flight copies" for p in flight)
    return ("hit rate judged on copies that had landed when their layer needed them; counting a "
            f"prefetch still in flight as a hit as well: {pairs}")


def _scale_verdict(name: str, scale: Scale, outcome: ScaleOutcome) -> ScaleVerdict:
    return ScaleVerdict(name=name, verdict=outcome.judgement.verdict, reason=outcome.judgement.reason,
                        scale=scale.as_dict(), measured=outcome.measured.model_dump() | {"unit": outcome.unit},
                        figures=outcome.figures)


def run_experiment(spec: ExperimentSpec, backend: Backend, tol: Tolerances = Tolerances(),
                   repeats: int = REPEATS) -> EmpiricalResult:
    """Measure ``spec`` at both scales on ``backend`` and judge it. Runtime failures propagate
    (the caller records a failed check); the result carries both scales, median, interval and
    caveats."""
    if spec.claimed.quantity == "speedup" and not spec.baseline_policy:
        raise ExperimentError(f"a speed-up experiment needs a baseline policy; the spec has none ({spec.claim_text!r})")
    if spec.claimed.quantity == "ordering" and len(spec.policies) < 2:
        raise ExperimentError(f"an ordering needs two policies or more; the spec has {spec.policies}")
    t0 = time.perf_counter()
    full_backend = backend.full_size()
    plan: list[tuple[str, Backend, Scale | None]] = [
        ("small", backend, None if backend.small_not_run(spec) else backend.scale(spec)),
        ("full", full_backend, full_backend.full_scale(spec))]
    ran: dict[str, tuple[Backend, Scale, dict, ScaleOutcome]] = {}
    for name, b, scale in plan:
        if scale is not None:
            started = time.perf_counter()
            rows = b.measure(scale, spec.policies, repeats)
            outcome = judge_scale(spec, scale, rows, tol)
            outcome.figures["elapsed_s"] = round(time.perf_counter() - started, 3)  # 0 when memoised
            ran[name] = (b, scale, rows, outcome)
    elapsed = time.perf_counter() - t0
    rests_on = "small" if "small" in ran else "full"
    _, scale, rows, out = ran[rests_on]
    verdicts = [_scale_verdict(n, s, o) for n, (_, s, _, o) in ran.items()]
    if "small" in ran:
        other = ran["full"][3].judgement
        agree: bool | None = other.verdict == out.judgement.verdict
        tail = ("rests on the small scale, where real tensors ran (the full-size figures are a simulation); "
                "the full-size simulation " + ("agrees" if agree else f"gives {other.verdict}: {other.reason}"))
    else:
        why = backend.small_not_run(spec)
        verdicts.insert(0, ScaleVerdict(name="small", verdict="NOT_TESTABLE", reason=why))
        agree = None
        tail = f"rests on the full-size simulation alone: no small-scale run ({why})"
    caveats = [f"{SCALE_WORDS[n]}: {c}" for n, (b, s, _, _) in ran.items() for c in b.caveats(spec, s)]
    caveats += [f"assumed: {a}" for a in spec.assumed]
    if spec.claimed.quantity.startswith("memory"):
        caveats.append(MEMORY_CAVEAT)
    hit_note = _on_time_caveat(out)
    if hit_note:
        caveats.append(hit_note)
    if agree is False:
        caveats.append(f"the two scales disagree (small scale {ran['small'][3].judgement.verdict}, "
                       f"full size {ran['full'][3].judgement.verdict})")
    m = out.measured
    interval = [round(m.low, 4), round(m.high, 4)]
    other_rows = ran["full"][2] if rests_on == "small" else {}
    return EmpiricalResult(
        verdict=out.judgement.verdict, reason=f"{out.judgement.reason}. The verdict {tail}",
        backend=scale.backend, spec=spec, claimed=spec.claimed, measured=round(m.median, 4),
        interval=interval, coverage=m.coverage, repeats=m.n, scales=verdicts, rests_on=rests_on,
        agree=agree, tolerance=out.judgement.tolerance, comparisons=out.comparisons, caveats=caveats,
        measurements={"scale": scale.as_dict(), "rows": rows, "rows_full_size": other_rows,
                      "scales": [v.model_dump() for v in verdicts], "rests_on": rests_on, "agree": agree,
                      "measured": round(m.median, 4), "interval": interval, "coverage": m.coverage,
                      "repeats": m.n, "unit": out.unit, "elapsed_s": round(elapsed, 3),
                      "comparisons": [p.model_dump() for p in out.comparisons],
                      "tolerance": out.judgement.tolerance},
    )


def check_claim(claim: ExtractedClaim, *, backend: str = "cpu", runtime_dir: str | Path,
                train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S, paper_id: str | None = None,
                tol: Tolerances = Tolerances(), repeats: int = REPEATS,
                setup: PaperSetup | None = None) -> EmpiricalResult:
    """The empirical verdict of one claim (NOT_TESTABLE without running anything when no
    experiment of the runtime can test it); ``setup``: its paper's, read from the paper's text."""
    planned = plan_experiment(claim, paper_id=paper_id, setup=setup)
    if isinstance(planned, NotTestable):
        return not_testable(planned)
    return run_experiment(planned, make_backend(backend, str(runtime_dir), train_budget_s), tol, repeats)


def prepare_specs(specs: list[dict], *, backend: str, runtime_dir: str | Path,
                  train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S, progress=None) -> list[Training | None]:
    """Ready ``backend`` for the stored specs before the first runs: the cpu backend starts
    training its missing small models in background processes and returns; a check waits only
    for its own model, and the checks that need none run meanwhile. Per spec, the training its
    run waits for (None: it can run now), so a dispatcher can hold it back until then."""
    return make_backend(backend, str(runtime_dir), train_budget_s).prepare(
        [ExperimentSpec.model_validate(s) for s in specs], progress)


def run_spec(spec: dict, *, backend: str, runtime_dir: str | Path,
             train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S,
             tol: Tolerances = Tolerances(), repeats: int = REPEATS) -> EmpiricalResult:
    """``run_experiment`` from a stored JSON spec (``ExperimentSpec.model_dump(mode="json")``)."""
    return run_experiment(ExperimentSpec.model_validate(spec),
                          make_backend(backend, str(runtime_dir), train_budget_s), tol, repeats)


def waits_for_training(spec: dict, *, backend: str, runtime_dir: str | Path,
                       train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S) -> bool:
    """Whether the stored spec's experiment needs a small model not trained yet (a dispatcher
    runs the others first, while training goes on in the background)."""
    return make_backend(backend, str(runtime_dir), train_budget_s).needs_training(
        ExperimentSpec.model_validate(spec))
