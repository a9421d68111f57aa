"""Where an experiment runs: ``cpu`` (the small variant of the preset, an emulated link for the
claim's hardware), ``simulated`` (the full-size model in the runtime's trace-driven simulator),
``cuda`` (full-size layers on a GPU).

A backend turns an ``ExperimentSpec`` (full-scale cache and batch) into a ``Scale`` (what it
really runs) and measures policies at that scale. Measurements are memoised per (scale, policy)
for the life of the backend object, so the checks of one run that share an experiment (a
throughput and a hit-rate claim on the same model and setup) run it once. ``make_backend`` hands
out one object per (name, runtime_dir) per process for that reason.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from expertflow_runtime.presets import from_name
from verifier.empirical.errors import BackendUnavailable, UnknownBackendError
from verifier.empirical.spec import MODEL_PRESETS
from verifier.empirical.trained import TrainedModel, ensure_all, ensure_trained
from verifier.empirical.types import ExperimentSpec
from verifier.settings import EMPIRICAL_TRAIN_BUDGET_S

BACKENDS = ("cpu", "simulated", "cuda")
PROMPT_LEN = 32  # tokens per prompt (bytes for the tiny presets)
NEW_TOKENS = 16  # greedy decode steps per run
MAX_CPU_BATCH = 16  # per micro-batch on the cpu backend
GROUPS = 2  # micro-batches per round: ExpertFlow's scheduler merges two consecutive batches
CPU_REPEATS = 2  # runs per policy on the cpu backend; the fastest is kept
SIM_RECALL = 0.9  # route recall the simulator gives ExpertFlow's predictor (runtime's default)
CUDA_LAYERS = 4  # full-size layers stacked on the GPU (time and memory limit of one check)


@dataclass(frozen=True)
class Scale:
    """What a backend really runs. ``budget``: experts per MoE layer at this scale."""

    backend: str
    preset: str
    num_experts: int
    moe_layers: int
    budget: int
    batch: int
    profile: str
    link: str

    def as_dict(self) -> dict:
        return asdict(self)


def scaled_budget(cache_size: int, full_experts: int, small_experts: int) -> int:
    """The same fraction of experts per layer on a model with ``small_experts`` experts."""
    return max(1, min(small_experts, round(cache_size / full_experts * small_experts)))


class Backend(ABC):
    """Runs experiments at one scale; subclasses say how (cpu, simulated, cuda)."""

    name = ""

    def __init__(self, runtime_dir: Path, train_budget_s: float) -> None:
        self.runtime_dir, self.train_budget_s = Path(runtime_dir), train_budget_s
        self._memo: dict[tuple[Scale, str], dict] = {}
        self._lock = threading.Lock()

    @abstractmethod
    def scale(self, spec: ExperimentSpec) -> Scale:
        """The model scale, budget, batch and link this backend runs `spec` at."""

    @abstractmethod
    def caveats(self, spec: ExperimentSpec, scale: Scale) -> list[str]:
        """What a reader must know about results at this scale."""

    @abstractmethod
    def _run(self, scale: Scale, policies: list[str]) -> dict[str, dict]:
        """Per policy, the runtime's result row at this scale."""

    def prepare(self, specs: list[ExperimentSpec], progress=None) -> None:
        """Make ready, before the first experiment, what the experiments of ``specs`` need
        (the cpu backend trains its small models, side by side); nothing by default."""

    def measure(self, scale: Scale, policies: list[str]) -> dict[str, dict]:
        """Per policy, the runtime's result row (tokens_per_s, hit_rate, peak_slots, ...)."""
        with self._lock:  # one experiment at a time: they share the cores and would skew times
            missing = [p for p in policies if (scale, p) not in self._memo]
            if missing:
                for p, row in self._run(scale, missing).items():
                    self._memo[(scale, p)] = row
            return {p: self._memo[(scale, p)] for p in policies}


class SimulatedBackend(Backend):
    """The runtime's discrete-event simulator on the full-size preset and the claim's hardware.

    Routes come from the trace recorded on the trained small variant, mapped to the full shape,
    when one exists under ``runtime_dir``; otherwise from the simulator's synthetic workload.
    """

    name = "simulated"

    def scale(self, spec: ExperimentSpec) -> Scale:
        p = from_name(spec.preset)
        return Scale(self.name, p.name, p.num_experts, p.moe_layers, spec.cache_size,
                     spec.batch_size, spec.hardware, f"simulated:{spec.hardware}")

    def _trace_path(self, spec_small: str) -> Path | None:
        path = self.runtime_dir / spec_small / "traces" / "train.npz"
        return path if path.is_file() else None

    def caveats(self, spec: ExperimentSpec, scale: Scale) -> list[str]:
        trace = self._trace_path(spec.small_preset)
        routes = (f"routes recorded on the trained {spec.small_preset} and mapped to the full shape"
                  if trace else "synthetic routes (Zipf popularity, temporal stickiness 0.3)")
        out = [f"simulated: full-size {spec.preset} shapes with a {scale.profile} cost model; no tensors ran",
               routes]
        if any(p.startswith("expertflow") for p in spec.policies):
            out.append(f"ExpertFlow's predictor modelled at route recall {SIM_RECALL:g}")
        return out

    def _run(self, scale: Scale, policies: list[str]) -> dict[str, dict]:
        from expertflow_runtime.simulator_run import SimConfig, run_simulation

        small = _SMALL_OF.get(scale.preset)
        trace = self._trace_path(small) if small else None
        groups = 2
        if trace is not None:
            from expertflow_runtime.trace import RoutingTrace

            if RoutingTrace.load(trace).num_sequences < scale.batch * groups:
                trace = None
        cfg = SimConfig(preset=scale.preset, policies=policies, budget=scale.budget, batch=scale.batch,
                        groups=groups, profile=scale.profile, trace=str(trace) if trace else None,
                        prompt_len=PROMPT_LEN, gen_len=NEW_TOKENS, recall=SIM_RECALL)
        doc = run_simulation(cfg)
        return {r["policy"]: r for r in doc["results"]}


class CpuBackend(Backend):
    """The small variant of the claim's model, trained here, with the link emulated on a worker
    thread at the claim's hardware transfer:compute ratio; compute is real.

    ExpertFlow on Switch (encoder-decoder) has no trained predictor in the runtime, so those
    experiments run in the simulator instead, and say so.
    """

    name = "cpu"

    def __init__(self, runtime_dir: Path, train_budget_s: float) -> None:
        super().__init__(runtime_dir, train_budget_s)
        self._engines: dict[tuple[str, str, int], object] = {}
        self._sim = SimulatedBackend(runtime_dir, train_budget_s)

    def _delegates(self, spec: ExperimentSpec) -> bool:
        small = from_name(spec.small_preset)
        return small.family == "switch" and any(p.startswith("expertflow") for p in spec.policies)

    def scale(self, spec: ExperimentSpec) -> Scale:
        if self._delegates(spec):
            return self._sim.scale(spec)
        full, small = from_name(spec.preset), from_name(spec.small_preset)
        budget = scaled_budget(spec.cache_size, full.num_experts, small.num_experts)
        batch = min(spec.batch_size, MAX_CPU_BATCH)
        return Scale(self.name, small.name, small.num_experts, small.moe_layers, budget, batch,
                     spec.hardware, f"emulated:{spec.hardware}")

    def caveats(self, spec: ExperimentSpec, scale: Scale) -> list[str]:
        if scale.backend == "simulated":
            return ["ExpertFlow's routing predictor is decoder-only in this runtime, so this "
                    "Switch experiment ran in the simulator instead of on the CPU"] + \
                self._sim.caveats(spec, scale)
        full = from_name(spec.preset)
        out = [
            f"small variant of the same shape: {scale.preset} ({scale.moe_layers} MoE layers × "
            f"{scale.num_experts} experts) for {spec.preset} ({full.moe_layers} × {full.num_experts})",
            _training_note(self.runtime_dir / scale.preset),
            f"emulated {scale.profile} link: copies take the time that keeps the hardware's "
            "transfer:compute ratio; compute runs on this CPU",
            f"timing: best of {CPU_REPEATS} runs of {NEW_TOKENS} decode steps per policy on this "
            "machine's CPU, so small differences are within noise",
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
        return ensure_trained(preset, self.runtime_dir, self.train_budget_s)

    def prepare(self, specs: list[ExperimentSpec], progress=None) -> None:
        presets = [self.scale(s).preset for s in specs if not self._delegates(s)]
        ensure_all(presets, self.runtime_dir, self.train_budget_s, progress)

    def _engine(self, scale: Scale, trained: TrainedModel):
        key = (scale.preset, scale.link, scale.batch)
        if key not in self._engines:
            from expertflow_runtime.engine import Engine

            self._engines[key] = Engine.build(from_name(scale.preset), checkpoint=trained.path,
                                              link=scale.link, batch_hint=scale.batch)
        return self._engines[key]

    def measure(self, scale: Scale, policies: list[str]) -> dict[str, dict]:
        if scale.backend == "simulated":
            return self._sim.measure(scale, policies)
        return super().measure(scale, policies)

    def _run(self, scale: Scale, policies: list[str]) -> dict[str, dict]:
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
        out = {}
        for name in policies:
            kw: dict = {}
            if name.startswith("expertflow"):
                kw["checkpoint_dir"] = trained.path
            elif name == "static":
                kw["popularity"] = trained.popularity()
            runs = []
            for _ in range(CPU_REPEATS):
                policy = make_policy(name, **kw)
                if grouped:
                    # Every policy decodes the same pool of two micro-batches of the claim's
                    # batch size; only ExpertFlow regroups them between rounds (its scheduler).
                    row = dict(generate_grouped(engine, pool, NEW_TOKENS, policy=policy,
                                                capacity=capacity, groups=GROUPS).metrics)
                else:
                    row = engine.generate(pool, NEW_TOKENS, policy=policy, capacity=capacity).metrics.as_dict()
                if hasattr(policy, "overheads"):
                    row["overheads"] = policy.overheads()
                runs.append(row)
            # Best of the repeats: a busy shared CPU only ever slows a run down.
            best = max(runs, key=lambda r: r["tokens_per_s"])
            out[name] = best | {"tokens_per_s_runs": [r["tokens_per_s"] for r in runs]}
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

    def _run(self, scale: Scale, policies: list[str]) -> dict[str, dict]:
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
        trace = None
        out = {}
        for name in policies:
            kw: dict = {}
            if name.startswith("expertflow") or name == "static":
                if trace is None:
                    trace = engine.generate(batch, NEW_TOKENS, policy=make_policy("all-resident"),
                                            capacity=0, record_trace=True).trace
                kw = ({"source": NoisyTraceSource(trace, SIM_RECALL, 0)} if name.startswith("expertflow")
                      else {"popularity": trace.popularity()})
            policy = make_policy(name, **kw)
            res = engine.generate(batch, NEW_TOKENS, policy=policy,
                                  capacity=engine.capacity_for(scale.budget))
            out[name] = res.metrics.as_dict()
        return out


# Full-size preset -> the small variant whose recorded traces the simulator can map up.
_SMALL_OF = {full: small for full, small in MODEL_PRESETS.values()}
_CLASSES = {"cpu": CpuBackend, "simulated": SimulatedBackend, "cuda": CudaBackend}


@lru_cache(maxsize=8)
def make_backend(name: str, runtime_dir: str | Path,
                 train_budget_s: float = EMPIRICAL_TRAIN_BUDGET_S) -> Backend:
    """The backend called ``name``, one object per process per (name, runtime_dir, budget)."""
    if name not in _CLASSES:
        raise UnknownBackendError(name, BACKENDS)
    return _CLASSES[name](Path(runtime_dir), train_budget_s)
