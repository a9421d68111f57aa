"""The ``simulated`` backend: the runtime's trace-driven simulator, with every policy's planning
time counted.

It runs either scale: the full-size preset of the claim (``full_scale``; the second scale of
every check) or its small variant (``scale``; the small scale when the backend itself is
``simulated``, and for Switch with ExpertFlow, whose predictor the runtime cannot train). Each
repeat is a fresh simulation with its own seed (the predictor's mistakes and, on synthetic
routes, the workload), and the wall time each policy spends planning is charged to the simulated
clock (``policy_time="all"``), as in the engine, so a slow planner costs what it costs.
"""

from __future__ import annotations

from pathlib import Path

from expertflow_runtime.presets import from_name
from verifier.empirical.scales import (
    GROUPS,
    MAX_CPU_BATCH,
    NEW_TOKENS,
    PROMPT_LEN,
    Backend,
    Scale,
    alternating,
    scaled_budget,
)
from verifier.empirical.types import ExperimentSpec

# Real routes recorded from full-size models (../shared beside the repository), used as their
# full-size workload when present: the real model's locality instead of a small model's.
REAL_ROUTES = {"mixtral-8x7b": Path(__file__).resolve().parents[3] / "shared" / "data" / "routing" / "mixtral-8x7b"}
SIM_RECALL = 0.9  # route recall for a preset with no trained predictor here (said so where used)
POLICY_TIME = "all"  # every hook's measured wall time goes on the simulated clock


class SimulatedBackend(Backend):
    """Routes come from the trace recorded on the trained small variant (mapped to the full
    shape when it has the same experts and top-k) when one exists under ``runtime_dir``;
    otherwise from the simulator's synthetic workload."""

    name = "simulated"

    def __init__(self, runtime_dir: Path, train_budget_s: float) -> None:
        super().__init__(runtime_dir, train_budget_s)
        self._predictor_s: dict[tuple, float] = {}
        self._traces: dict[Scale, tuple] = {}

    def scale(self, spec: ExperimentSpec) -> Scale:
        full, small = from_name(spec.preset), from_name(spec.small_preset)
        return Scale(self.name, small.name, small.num_experts, small.moe_layers,
                     scaled_budget(spec.cache_size, full.num_experts, small.num_experts),
                     min(spec.batch_size, MAX_CPU_BATCH), spec.hardware, f"simulated:{spec.hardware}")

    def full_scale(self, spec: ExperimentSpec) -> Scale:
        p = from_name(spec.preset)
        # the same batch cap as the small scale: the two scales stay comparable, and five
        # repeats of ExpertFlow's full-size planning fit a check's time
        return Scale(self.name, p.name, p.num_experts, p.moe_layers, spec.cache_size,
                     min(spec.batch_size, MAX_CPU_BATCH), spec.hardware, f"simulated:{spec.hardware}")

    def full_size(self) -> SimulatedBackend:
        return self

    def small_not_run(self, spec: ExperimentSpec) -> str | None:
        # A simulated small variant says nothing the full size does not: on tiny shapes the A40
        # cost model's steps take microseconds and Python planning time swamps them.
        return ("the simulated backend runs no tensors; the small variant on an emulated link "
                "runs with the cpu backend")

    def _recorded(self, spec_small: str) -> Path | None:
        path = self.runtime_dir / spec_small / "traces" / "train.npz"
        return path if path.is_file() else None

    def _trace(self, scale: Scale):
        """(routing trace, where its routes come from) at ``scale``, built once per backend: the
        repeats differ in the predictor's mistakes and in measured planning time, not in routes."""
        if scale not in self._traces:
            self._traces[scale] = self._build_trace(scale)
        return self._traces[scale]

    def _build_trace(self, scale: Scale):
        from expertflow_runtime.errors import BadInput
        from expertflow_runtime.simulator.workload import map_trace, real_routes, synthetic_trace, trace_from_routes
        from expertflow_runtime.trace import RoutingTrace

        preset = from_name(scale.preset)
        real = REAL_ROUTES.get(preset.name)
        if real is not None and real.is_dir():
            try:
                trace = trace_from_routes(real_routes(real), preset, sequences=scale.batch * GROUPS)
                return trace, (f"real {preset.name} routes ({real.name}: recorded decode tokens, cut into "
                               f"{scale.batch * GROUPS} windows of consecutive tokens)")
            except BadInput:
                pass  # too few recorded tokens for this many sequences: the next source
        small = _SMALL_OF.get(preset.name, preset.name)
        path = self._recorded(small)
        if path is not None:
            trace = RoutingTrace.load(path)
            fits = (trace.num_experts, trace.top_k) == (preset.num_experts, preset.top_k)
            if fits and trace.num_sequences >= scale.batch * GROUPS:
                if trace.preset == preset.name:
                    return trace, f"routes recorded on the trained {small}"
                return map_trace(trace, preset), f"routes recorded on the trained {small}, mapped to the full shape"
        trace = synthetic_trace(preset, sequences=scale.batch * GROUPS, prompt_len=PROMPT_LEN,
                                gen_len=NEW_TOKENS, seed=0)
        return trace, "synthetic routes (Zipf popularity, temporal stickiness 0.3)"

    def caveats(self, spec: ExperimentSpec, scale: Scale) -> list[str]:
        _, routes = self._trace(scale)
        what = "full-size" if scale.preset == spec.preset else "small-variant"
        out = [f"simulated: {what} {scale.preset} shapes with a {scale.profile} cost model; no tensors ran"
               + (f", batch {scale.batch} instead of {spec.batch_size} (time limit of a check)"
                  if scale.batch != spec.batch_size else ""),
               routes, "every policy's planning time (measured wall time of its hooks on this machine) "
                       "is charged to the simulated clock"]
        if any(p.startswith("expertflow") for p in spec.policies):
            recall, source = self.recall(scale)
            out.append(f"ExpertFlow's predictor modelled at route recall {recall:.3f} ({source}), a fresh "
                       "draw of its mistakes per repeat; its call time is a real predictor of this shape, timed here")
        return out

    def recall(self, scale: Scale) -> tuple[float, str]:
        """(route recall the simulated predictor gets, where it comes from): the held-out recall
        of the small variant's predictor trained under ``runtime_dir`` when there is one."""
        from expertflow_runtime.predictor.model import predictor_metrics

        small = _SMALL_OF.get(scale.preset, scale.preset)
        metrics = predictor_metrics(self.runtime_dir / small) or {}
        if "topk_recall" in metrics:
            return float(metrics["topk_recall"]), f"measured: the trained {small} predictor on held-out text"
        return SIM_RECALL, f"ASSUMED: no trained {small} predictor here"

    def _predictor_call_s(self, trace, scale: Scale) -> float:
        from expertflow_runtime.simulator.run import measure_predictor_call_s

        key = (trace.num_layers, trace.num_experts, trace.top_k, scale.preset, scale.batch)
        if key not in self._predictor_s:
            self._predictor_s[key] = measure_predictor_call_s(
                trace.num_layers, trace.num_experts, trace.top_k, from_name(scale.preset).vocab_size, scale.batch)
        return self._predictor_s[key]

    def _run(self, scale: Scale, policies: list[str], repeats: int) -> dict[str, list[dict]]:
        from expertflow_runtime.policies import make_policy
        from expertflow_runtime.presets import profile_from_name
        from expertflow_runtime.simulator.core import simulate
        from expertflow_runtime.simulator.cost import CostModel
        from expertflow_runtime.simulator.run import policy_kwargs

        preset = from_name(scale.preset)
        cost = CostModel.from_preset(preset, profile_from_name(scale.profile))
        out: dict[str, list[dict]] = {p: [] for p in policies}
        recall, _ = self.recall(scale)
        for rep in range(repeats):
            trace, routes = self._trace(scale)
            pred_s = self._predictor_call_s(trace, scale)
            for name in alternating(policies, rep):
                policy = make_policy(name, **policy_kwargs(name, trace, recall, rep))
                full = getattr(policy, "needs_full_budget", False)
                capacity = trace.num_layers * (preset.num_experts if full else scale.budget)
                res = simulate(policy, trace, cost, capacity=capacity, batch=scale.batch, groups=GROUPS,
                               max_new_tokens=NEW_TOKENS, policy_time=POLICY_TIME, predictor_call_s=pred_s)
                out[name].append(res.as_dict() | {"capacity": capacity, "seed": rep, "routes": routes})
        return out


def _small_of() -> dict[str, str]:
    from verifier.empirical.spec import MODEL_PRESETS

    return {full: small for full, small in MODEL_PRESETS.values()}


# Full-size preset -> the small variant whose recorded traces the simulator can map up.
_SMALL_OF = _small_of()
