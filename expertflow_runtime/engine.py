"""The engine: an offloaded model, batched prefill and greedy decode with the KV cache, metrics.

    engine = Engine.build(preset, checkpoint=None, link="emulated:a40-pcie4", batch_hint=16)
    result = engine.generate(prompts, max_new_tokens=32, policy=make_policy("lru"),
                             capacity=2 * preset.moe_layers)

One ``Engine`` holds the model once (experts moved to the host store); every ``generate`` call
arms a fresh policy and executor (slot pool of ``capacity`` experts), so a benchmark compares
policies on the same weights. The timed region starts after the policy's warm start and covers
planning, copies, stalls and compute; it ends when the last token exists and no copy is in flight.

The decode itself is the step driver's (``step_driver.decode_rounds``, shared with the grouped
decoder and the simulator) over this model's forwards (``forwards.ModelForwards``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from expertflow_runtime.adapters import (
    expert_layout,
    load_model,
    moe_sites,
    offload,
    router_of,
)
from expertflow_runtime.errors import BudgetError
from expertflow_runtime.execution import emulation
from expertflow_runtime.execution.executor import Executor
from expertflow_runtime.execution.links import CudaLink, EmulatedLink, Link, LinkSpec, parse_link
from expertflow_runtime.execution.store import ExpertStore
from expertflow_runtime.forwards import ModelForwards
from expertflow_runtime.moe_layer import LayerRuntime
from expertflow_runtime.plan import CacheSpec
from expertflow_runtime.policies.base import Policy
from expertflow_runtime.presets import ModelPreset
from expertflow_runtime.step_driver import Rounds, StepDriver, decode_rounds
from expertflow_runtime.trace import RoutingTrace
from expertflow_runtime.tracing import StepRecorder


@dataclass
class RunMetrics:
    """One run. Times in seconds; ``tokens_per_s`` counts generated tokens of all sequences."""

    policy: str
    tokens_per_s: float
    ttft_s: float
    tpot_s: float
    total_s: float
    hit_rate: float  # computed experts held (landed or in flight) when their layer's plan began
    on_time_hit_rate: float  # of those, only the ones whose copy had landed: no wait
    hits: int
    misses: int
    experts_loaded: int  # copies issued: high-priority loads + prefetches
    bytes_moved: int
    stall_s: float
    wasted_prefetches: int
    peak_slots: int
    capacity: int
    # Memory the run held, measured: on CUDA the allocator's peak (weights, slots, activations,
    # KV cache); elsewhere the bytes of the tensors held on the device: the non-expert weights
    # plus the expert slots actually occupied at the peak (activations and KV not counted).
    peak_device_bytes: int | None = None
    peak_expert_bytes: int = 0  # most expert slots occupied at once x bytes of one slot
    non_expert_bytes: int = 0  # weights left on the device after offloading (measured tensors)
    resident_bytes_all: int = 0  # non-expert weights + every expert: what all-resident holds
    memory_source: str = ""
    in_flight_hits: int = 0  # hits whose copy was still in flight at the compute (they waited)
    prefetches: int = 0  # of experts_loaded, the background copies
    evictions: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class GenerationResult:
    tokens: list[list[int]]  # [B][new] generated ids
    metrics: RunMetrics
    trace: RoutingTrace | None
    overheads: dict | None = None  # a policy's own timings (predictor, scheduler), if it has any


class Engine:
    def __init__(self, preset: ModelPreset, model: torch.nn.Module, link: LinkSpec,
                 device: torch.device, seconds_per_byte: float = 0.0):
        self.preset, self.model, self.link_spec, self.device = preset, model, link, device
        self.dtype = next(model.parameters()).dtype
        self.layout = expert_layout(preset, self.dtype)
        self.store = ExpertStore(self.layout, pin=device.type == "cuda")
        first_block = moe_sites(model, preset)[0].block
        act = (first_block.experts.act_fn if hasattr(first_block.experts, "act_fn")
               else first_block.experts["expert_0"].act)
        self.runtime = LayerRuntime(preset.num_experts, act, gated=self.layout.gated)
        self.sites = offload(model, preset, self.runtime, self.store)
        for a, b in zip(self.sites, self.sites[1:]):
            if a.decoder == b.decoder:  # the preview never crosses encoder -> decoder
                self.runtime.next_router[a.layer] = (router_of(b), preset.family == "switch")
        self.model.to(device)
        self.seconds_per_byte = seconds_per_byte
        self.num_layers = len(self.sites)

    @classmethod
    def build(cls, preset: ModelPreset, *, checkpoint=None, link: str = "none",
              device: str | None = None, seed: int = 0, batch_hint: int = 16,
              dtype: torch.dtype | None = None) -> Engine:
        spec = parse_link(link)
        dev = torch.device(device or ("cuda" if spec.kind == "cuda" else "cpu"))
        model = load_model(preset, checkpoint, seed=seed, dtype=dtype,
                           init_device=str(dev) if dev.type == "cuda" else None)
        engine = cls(preset, model, spec, dev)
        if spec.kind == "emulated":
            engine.seconds_per_byte = emulation.seconds_per_byte(
                preset, spec.profile, engine.layout, engine.runtime.act, batch_hint)
        return engine

    # -- runs --------------------------------------------------------------------------------
    def capacity_for(self, per_layer: int) -> int:
        E = self.preset.num_experts
        if not 1 <= per_layer <= E:
            raise BudgetError(f"budget {per_layer} experts per layer is outside [1, {E}] for "
                              f"{self.preset.name} ({E} experts per layer)")
        return per_layer * self.num_layers

    def _make_link(self) -> Link:
        if self.link_spec.kind == "cuda":
            return CudaLink(self.device)
        if self.link_spec.kind == "emulated":
            return EmulatedLink(self.link_spec.profile, self.seconds_per_byte)
        return Link()

    def bind(self, policy: Policy, capacity: int, *, record_weights: bool = False) -> StepDriver:
        """Give ``policy`` a slot table of ``capacity`` slots and a fresh executor, carry out its
        warm start, and make the step driver of the two the one the offloaded layers call;
        counters start at zero. Every decode starts here and ends with ``unbind``."""
        if getattr(policy, "needs_full_budget", False):
            capacity = max(capacity, self.num_layers * self.preset.num_experts)
        if capacity < self.num_layers:
            raise BudgetError(f"capacity {capacity} is below one expert per layer "
                              f"({self.num_layers} MoE layers)")
        executor = Executor(self.store, capacity, self._make_link(), self.device,
                            self.num_layers, self.preset.num_experts)
        policy.attach(CacheSpec(self.num_layers, self.preset.num_experts, self.preset.top_k,
                                capacity, self.layout.nbytes))
        driver = StepDriver(policy, executor)
        self.runtime.driver = driver
        self.runtime.record_weights = record_weights
        try:
            driver.warm_start()
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
                torch.cuda.reset_peak_memory_stats(self.device)
        except BaseException:
            self.unbind(driver)
            raise
        return driver

    def unbind(self, driver: StepDriver) -> None:
        driver.executor.close()
        self.runtime.driver = None

    def decode(self, prompts: list[list[int]], max_new_tokens: int, *, policy: Policy,
               capacity: int, groups: int = 1, recorder: StepRecorder | None = None
               ) -> tuple[StepDriver, ModelForwards, Rounds]:
        """One timed decode of ``prompts`` in ``groups`` micro-batches through the step driver."""
        driver = self.bind(policy, capacity, record_weights=recorder is not None)
        try:
            forwards = ModelForwards(self, prompts, len(prompts) // groups, driver.executor,
                                     recorder)
            with torch.inference_mode():
                rounds = decode_rounds(driver, forwards, groups=groups,
                                       batch=len(prompts) // groups, new_tokens=max_new_tokens)
        finally:
            self.unbind(driver)
        return driver, forwards, rounds

    def generate(self, prompts: list[list[int]], max_new_tokens: int, *, policy: Policy,
                 capacity: int, record_trace: bool = False) -> GenerationResult:
        """Greedy-decode ``max_new_tokens`` after each prompt, all prompts in one batch."""
        recorder = StepRecorder(self.preset, self.sites, len(prompts)) if record_trace else None
        driver, run, _ = self.decode(prompts, max_new_tokens, policy=policy, capacity=capacity,
                                     recorder=recorder)
        n_new = len(prompts) * max_new_tokens
        executor = driver.executor
        metrics = RunMetrics(
            policy=getattr(policy, "name", type(policy).__name__),
            tokens_per_s=n_new / run.total_s, ttft_s=run.ttft_s,
            tpot_s=(run.total_s - run.ttft_s) / max(1, max_new_tokens - 1), total_s=run.total_s,
            **driver.counters.cache_metrics(), peak_slots=executor.peak_slots, capacity=capacity,
            **self.memory_metrics(executor))
        trace = recorder.finish() if recorder else None
        overheads = policy.overheads() if hasattr(policy, "overheads") else None
        return GenerationResult(run.tokens, metrics, trace, overheads)

    def device_weight_bytes(self) -> int:
        """Bytes of the parameters and buffers the offloaded model keeps on the device."""
        tensors = list(self.model.parameters()) + list(self.model.buffers())
        return sum(t.numel() * t.element_size() for t in tensors if t.device.type == self.device.type)

    def memory_metrics(self, executor: Executor) -> dict:
        """The run's peak device memory, measured (see ``RunMetrics``), and what holding every
        expert would take on the same device."""
        slot = executor.slots[0] if executor.slots else None
        slot_bytes = slot.numel() * slot.element_size() if slot is not None else self.layout.nbytes
        weights = self.device_weight_bytes()
        expert = executor.peak_slots * slot_bytes
        all_experts = self.num_layers * self.preset.num_experts * slot_bytes
        if self.device.type == "cuda":
            peak, source = torch.cuda.max_memory_allocated(self.device), "cuda allocator peak"
        else:
            peak, source = weights + expert, "tensor bytes held (weights + occupied slots)"
        return dict(peak_device_bytes=peak, peak_expert_bytes=expert, non_expert_bytes=weights,
                    resident_bytes_all=weights + all_experts, memory_source=source)
