"""Empirical checks: performance claims re-measured by the ExpertFlow runtime.

    plan_experiment(claim, paper_id=..., setup=stated_setup(paper_id, fields))
        -> ExperimentSpec | NotTestable      (spec.py; setups.py: the paper's setup, from its text)
    check_claim(claim, backend="cpu", runtime_dir=...) -> EmpiricalResult   (run.py)
        five interleaved repeats at two scales (small variant, full-size simulated), median,
        interval and the verdict at each (measures.py, verdict.py, stats.py)
    run_spec(spec_json, backend=..., runtime_dir=...) -> EmpiricalResult    (for dispatchers)
    prepare_specs(spec_jsons, backend=..., runtime_dir=...)   starts training what the runs need,
        in the background; waits_for_training(spec_json, ...) says which checks to run last
"""

from verifier.empirical.backends import BACKENDS, make_backend
from verifier.empirical.errors import BackendUnavailable, ExperimentError, UnknownBackendError
from verifier.empirical.run import check_claim, prepare_specs, run_experiment, run_spec, waits_for_training
from verifier.empirical.setups import PaperSetup
from verifier.empirical.spec import plan_experiment, stated_setup
from verifier.empirical.types import (
    VERDICTS,
    Claimed,
    Comparison,
    EmpiricalResult,
    ExperimentSpec,
    NotTestable,
    ScaleVerdict,
)
from verifier.empirical.verdict import Tolerances

__all__ = ["BACKENDS", "BackendUnavailable", "Claimed", "Comparison", "EmpiricalResult",
           "ExperimentError", "ExperimentSpec", "NotTestable", "PaperSetup", "ScaleVerdict", "Tolerances",
           "UnknownBackendError",
           "VERDICTS", "check_claim", "make_backend", "plan_experiment", "prepare_specs", "run_experiment",
           "run_spec", "stated_setup", "waits_for_training"]
