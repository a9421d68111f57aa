"""Where an experiment runs: ``cpu`` (the small variant of the preset, an emulated link for the
claim's hardware), ``simulated`` (the runtime's trace-driven simulator, simulated.py), ``cuda``
(full-size layers on a GPU). Every check also runs the full-size model in the simulator, whatever
the backend (run.py).

``make_backend`` hands out one object per (name, runtime_dir) per process, so the checks of one
run that share an experiment run it once (see ``Backend.measure``).
"""

from __future__ import annotations

import json
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path

from expertflow_runtime.presets import from_name
from verifier.empirical.errors import BackendUnavailable, UnknownBackendError
from verifier.empirical.scales import (
    GROUPS,
    MAX_CPU_BATCH,
    NEW_TOKENS,
    PROMPT_LEN,
    Backend,
    Scale,
    Training,
    alternating,
    scaled_budget,
)
from verifier.empirical.simulated import SIM_RECALL, SimulatedBackend
from verifier.empirical.trained import TrainedModel, ensure_trained, missing, start_training
from verifier.empirical.types import ExperimentSpec
from verifier.settings import EMPIRICAL_TRAIN_BUDGET_S

BACKENDS = ("cpu", "simulated", "cuda")
CUDA_LAYERS = 4  # full-size layers stacked on the GPU (time and memory limit of one check)

__all__ = ["BACKENDS", "Backend", "CpuBackend", "CudaBackend", "Scale", "SimulatedBackend",
           "make_backend", "scaled_budget"]


class CpuBackend(Backend):
    """The small variant of the claim's model, trained here, with the link emulated on a worker
    thread at the claim's hardware transfer:compute ratio; compute is real.

    ExpertFlow on Switch (encoder-decoder) has no trained predictor in the runtime, so those
    experiments have no small scale and rest on the full-size simulation, and say so.
    """

    name = "cpu"

    def __init__(self, runtime_dir: Path, train_budget_s: float) -> None:
        super().__init__(runtime_dir, train_budget_s)
        self._engines: dict[tuple[str, str, int], object] = {}
        self._sim = SimulatedBackend(runtime_dir, train_budget_s)
        self._training: dict[str, Future] = {}  # preset -> its background training

    def _delegates(self, spec: ExperimentSpec) -> bool:
        small = from_name(spec.small_preset)
        return small.family == "switch" and any(p.startswith("expertflow") for p in spec.policies)

    def small_not_run(self, spec: ExperimentSpec) -> str | None:
        if self._delegates(spec):
            return ("ExpertFlow's routing predictor reads decoder-only sequences in this runtime, so "
                    f"it cannot run on {spec.small_preset} (encoder-decoder)")
        return None

    def scale(self, spec: ExperimentSpec) -> Scale:
        full, small = from_name(spec.preset), from_name(spec.small_preset)
        budget = scaled_budget(spec.cache_size, full.num_experts, small.num_experts)
        batch = min(spec.batch_size, MAX_CPU_BATCH)
        return Scale(self.name, small.name, small.num_experts, small.moe_layers, budget, batch,
                     spec.hardware, f"emulated:{spec.hardware}")

    def caveats(self, spec: ExperimentSpec, scale: Scale) -> list[str]:
        full = from_name(spec.preset)
        out = [
            f"small variant of the same shape: {scale.preset} ({scale.moe_layers} MoE layers × "
            f"{scale.num_experts} experts) for {spec.preset} ({full.moe_layers} × {full.num_experts})",
            _training_note(self.runtime_dir / scale.preset),
            f"emulated {scale.profile} link: copies take the time that keeps the hardware's "
            "transfer:compute ratio; compute runs on this CPU",
            f"timing: {NEW_TOKENS} decode steps per run on this machine's shared CPU, the policies "
            "interleaved within each repeat (alternating order) so drift moves all alike",
        ]
        if from_name(scale.preset).family != "switch":
            out.append(f"every policy decodes {GROUPS} micro-batches of {scale.batch} sequences per "
                       "round; only ExpertFlow's scheduler regroups them")
        if (scale.budget, scale.num_experts) != (spec.cache_size, full.num_experts):
            out.append(f"cache {scale.budget} of {scale.num_experts} experts per layer stands for "
                       f"{spec.cache_size} of {full.num_experts}")
        if scale.batch != spec.batch_size:
            out.append(f"batch {scale.batch} instead of {spec.batch_size} (CPU time limit)")
        return out

    def _trained(self, preset: str) -> TrainedModel:
        pending = self._training.pop(preset, None)
        if pending is not None:
            pending.result()  # a failed training raises here, with the child's error
        return ensure_trained(preset, self.runtime_dir, self.train_budget_s)

    def prepare(self, specs: list[ExperimentSpec], progress=None) -> list[Training | None]:
        """Start training the small models the specs need, in the background: the checks that
        need none (full-size simulations) run meanwhile, and a check waits only for its own."""
        presets = [None if self._delegates(s) else self.scale(s).preset for s in specs]
        self._training.update(start_training([p for p in presets if p], self.runtime_dir,
                                             self.train_budget_s, progress))
        return [Training(p, self._training[p]) if p in self._training else None for p in presets]

    def needs_training(self, spec: ExperimentSpec) -> bool:
        """Whether ``spec``'s small scale waits for a small model to be trained."""
        return not self._delegates(spec) and bool(missing([self.scale(spec).preset], self.runtime_dir))

    def _engine(self, scale: Scale, trained: TrainedModel):
        key = (scale.preset, scale.link, scale.batch)
        if key not in self._engines:
            from expertflow_runtime.engine import Engine

            self._engines[key] = Engine.build(from_name(scale.preset), checkpoint=trained.path,
                                              link=scale.link, batch_hint=scale.batch)
        return self._engines[key]

    def full_size(self) -> SimulatedBackend:
        """The simulator that runs the full-size scale of every check."""
        return self._sim

    def _run(self, scale: Scale, policies: list[str], repeats: int) -> dict[str, list[dict]]:
        from expertflow_runtime.bench import set_cpu_threads
        from expertflow_runtime.corpus import prompts
        from expertflow_runtime.expertflow_engine import generate_grouped
        from expertflow_runtime.policies import make_policy

        trained = self._trained(scale.preset)
        # Tiny ops single-threaded, as the runtime's bench does: on a shared machine an OpenMP
        # barrier waiting on a descheduled thread inflates both compute and the link calibration.
        set_cpu_threads(from_name(scale.preset), None)
        engine = self._engine(scale, trained)
        grouped = trained.predictor  # decoder-only: ExpertFlow's token scheduler can run
        pool = prompts(scale.batch * (GROUPS if grouped else 1), PROMPT_LEN, split="heldout", seed=11)
        capacity = engine.capacity_for(scale.budget)
        kwargs: dict[str, dict] = {}
        for name in policies:
            kwargs[name] = ({"checkpoint_dir": trained.path} if name.startswith("expertflow") else
                            {"popularity": trained.popularity()} if name == "static" else {})
        out: dict[str, list[dict]] = {p: [] for p in policies}
        for rep in range(repeats):
            for name in alternating(policies, rep):
                policy = make_policy(name, **kwargs[name])
                if grouped:
                    # Every policy decodes the same pool of two micro-batches of the claim's
                    # batch size; only ExpertFlow regroups them between rounds (its scheduler).
                    row = dict(generate_grouped(engine, pool, NEW_TOKENS, policy=policy,
                                                capacity=capacity, groups=GROUPS).metrics)
                else:
                    row = engine.generate(pool, NEW_TOKENS, policy=policy, capacity=capacity).metrics.as_dict()
                if hasattr(policy, "overheads"):
                    row["overheads"] = policy.overheads()
                out[name].append(row | {"repeat": rep})
        return out


def _training_note(ckpt: Path) -> str:
    """How the small model's weights were learned, from the runtime's own training report."""
    try:
        report = json.loads((ckpt / "runtime.json").read_text())
    except (OSError, ValueError):
        return "weights learned by the runtime's training on Python standard-library text"
    return (f"weights learned by {report.get('steps', '?')} training steps "
            f"({report.get('seconds', 0):.0f} s) on Python standard-library text, "
            f"held-out loss {report.get('heldout_loss', float('nan')):.2f}")


class CudaBackend(CpuBackend):
    """Full-size layers of the claim's model (random weights) on a CUDA device, real copies."""

    name = "cuda"

    def __init__(self, runtime_dir: Path, train_budget_s: float) -> None:
        import torch

        if not torch.cuda.is_available():
            raise BackendUnavailable("no CUDA device on this machine; use --backend cpu or simulated, "
                                     "or --cluster ray to run the check on a GPU node")
        super().__init__(runtime_dir, train_budget_s)

    def _delegates(self, spec: ExperimentSpec) -> bool:
        return False

    def scale(self, spec: ExperimentSpec) -> Scale:
        full = from_name(spec.preset).with_layers(CUDA_LAYERS)
        return Scale(self.name, spec.preset, full.num_experts, full.moe_layers, spec.cache_size,
                     spec.batch_size, spec.hardware, "cuda")

    def caveats(self, spec: ExperimentSpec, scale: Scale) -> list[str]:
        import torch

        return [f"{scale.moe_layers} MoE layers of full-size {spec.preset} (random weights) on "
                f"{torch.cuda.get_device_name()}, not the paper's {spec.hardware}",
                f"ExpertFlow's routes predicted at recall {SIM_RECALL:g} from a trace of the same prompts "
                "(no predictor is trained for random full-size weights)"]

    def _run(self, scale: Scale, policies: list[str], repeats: int) -> dict[str, list[dict]]:
        from expertflow_runtime.corpus import prompts
        from expertflow_runtime.engine import Engine
        from expertflow_runtime.expertflow_sources import NoisyTraceSource
        from expertflow_runtime.policies import make_policy

        preset = from_name(scale.preset).with_layers(CUDA_LAYERS)
        key = (scale.preset, scale.link, scale.batch)
        if key not in self._engines:
            self._engines[key] = Engine.build(preset, link="cuda", batch_hint=scale.batch)
        engine = self._engines[key]
        batch = prompts(scale.batch, PROMPT_LEN, split="heldout", seed=11)
        trace = engine.generate(batch, NEW_TOKENS, policy=make_policy("all-resident"), capacity=0,
                                record_trace=True).trace
        out: dict[str, list[dict]] = {p: [] for p in policies}
        for rep in range(repeats):
            for name in alternating(policies, rep):
                kw: dict = ({"source": NoisyTraceSource(trace, SIM_RECALL, rep)} if name.startswith("expertflow")
                            else {"popularity": trace.popularity()} if name == "static" else {})
                res = engine.generate(batch, NEW_TOKENS, policy=make_policy(name, **kw),
                                      capacity=engine.capacity_for(scale.budget))
                out[name].append(res.metrics.as_dict() | {"repeat": rep})
        return out


_CLASSES = {"cpu": CpuBackend, "simulated": SimulatedBackend, "cuda": CudaBackend}


@lru_cache(maxsize=8)
def make_backend(name: str, runtime_dir: str | Path,
                 train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S) -> Backend:
    """The backend called ``name``, one object per process per (name, runtime_dir, budget)."""
    if name not in _CLASSES:
        raise UnknownBackendError(name, BACKENDS)
    return _CLASSES[name](Path(runtime_dir), train_budget_s)
