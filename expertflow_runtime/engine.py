"""The engine: an offloaded model, batched prefill and greedy decode with the KV cache, metrics.

    engine = Engine.build(preset, checkpoint=None, link="emulated:a40-pcie4", batch_hint=16)
    result = engine.generate(prompts, max_new_tokens=32, policy=make_policy("lru"),
                             capacity=2 * preset.moe_layers)

One ``Engine`` holds the model once (experts moved to the host store); every ``generate`` call
arms a fresh policy and executor (slot pool of ``capacity`` experts), so a benchmark compares
policies on the same weights. The timed region starts after the policy's warm start and covers
planning, copies, stalls and compute; it ends when the last token exists and no copy is in flight.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from expertflow_runtime import emulation
from expertflow_runtime.adapters import (
    BOS_ID,
    PAD_ID,
    expert_layout,
    load_model,
    moe_sites,
    offload,
    router_of,
)
from expertflow_runtime.errors import BudgetError
from expertflow_runtime.executor import Executor
from expertflow_runtime.links import CudaLink, EmulatedLink, Link, LinkSpec, parse_link
from expertflow_runtime.moe_layer import LayerRuntime, RunCounters
from expertflow_runtime.plan import CacheSpec, Phase, StepInfo
from expertflow_runtime.policies.base import Policy
from expertflow_runtime.presets import ModelPreset
from expertflow_runtime.store import ExpertStore
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

    def bind(self, policy: Policy, capacity: int, *, record_weights: bool = False) -> Executor:
        """Give ``policy`` a slot table of ``capacity`` slots, carry out its warm start, and make
        it and a fresh executor the ones the offloaded layers call; counters start at zero.
        Every decode loop (plain or grouped) starts here and ends with ``unbind``."""
        if getattr(policy, "needs_full_budget", False):
            capacity = max(capacity, self.num_layers * self.preset.num_experts)
        if capacity < self.num_layers:
            raise BudgetError(f"capacity {capacity} is below one expert per layer "
                              f"({self.num_layers} MoE layers)")
        executor = Executor(self.store, capacity, self._make_link(), self.device,
                            self.num_layers, self.preset.num_experts)
        policy.attach(CacheSpec(self.num_layers, self.preset.num_experts, self.preset.top_k,
                                capacity, self.layout.nbytes))
        rt = self.runtime
        rt.policy, rt.executor, rt.counters = policy, executor, RunCounters()
        rt.record_weights = record_weights
        try:
            executor.execute(policy.warm_start(executor.view()))
            executor.drain()
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
                torch.cuda.reset_peak_memory_stats(self.device)
        except BaseException:
            self.unbind(executor)
            raise
        rt.counters = RunCounters()
        return executor

    def unbind(self, executor: Executor) -> None:
        executor.close()
        self.runtime.policy = self.runtime.executor = None

    def generate(self, prompts: list[list[int]], max_new_tokens: int, *, policy: Policy,
                 capacity: int, record_trace: bool = False) -> GenerationResult:
        """Greedy-decode ``max_new_tokens`` after each prompt, all prompts in one batch."""
        rt = self.runtime
        recorder = StepRecorder(self.preset, self.sites, len(prompts)) if record_trace else None
        executor = self.bind(policy, capacity, record_weights=record_trace)
        try:
            tokens, ttft, total = self._decode_loop(prompts, max_new_tokens, policy, executor,
                                                    recorder)
        finally:
            self.unbind(executor)
        c = rt.counters
        n_new = len(prompts) * max_new_tokens
        metrics = RunMetrics(
            policy=getattr(policy, "name", type(policy).__name__),
            tokens_per_s=n_new / total, ttft_s=ttft,
            tpot_s=(total - ttft) / max(1, max_new_tokens - 1), total_s=total,
            **c.cache_metrics(), peak_slots=executor.peak_slots, capacity=capacity,
            **self.memory_metrics(executor))
        trace = recorder.finish() if recorder else None
        overheads = policy.overheads() if hasattr(policy, "overheads") else None
        return GenerationResult(tokens, metrics, trace, overheads)

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

    def start_step(self, step: int, phase: Phase, seqs: list[list[int]], new: list[int],
                   policy: Policy, executor: Executor,
                   upcoming: tuple[tuple[int, ...], ...] = ()) -> None:
        """Open engine step ``step``: clear the recorded routes, begin forced routes and run the
        policy's step-start plan (the grouped ExpertFlow decoder opens its steps through it too)."""
        executor.step = step
        info = StepInfo(step, phase, tuple(map(tuple, seqs)), tuple(new), upcoming)
        self.runtime.step_routes.clear()
        self.runtime.step_weights.clear()
        if self.runtime.forced is not None:
            self.runtime.forced.begin_step(seqs, new)
        self.runtime.execute(policy.on_step_start(info, executor.view()))

    @torch.inference_mode()
    def _decode_loop(self, prompts, max_new_tokens, policy, executor, recorder):
        B = len(prompts)
        S = max(len(p) for p in prompts)
        dev = self.device
        ids = torch.full((B, S), PAD_ID if self.preset.tiny else 0, dtype=torch.long)
        mask = torch.zeros((B, S), dtype=torch.long)
        for b, p in enumerate(prompts):  # left padding: the last column is every prompt's end
            ids[b, S - len(p):] = torch.tensor(p)
            mask[b, S - len(p):] = 1
        ids, mask = ids.to(dev), mask.to(dev)
        switch = self.preset.family == "switch"
        # what each step's StepInfo shows a policy: for encoder-decoder, the prompt, then the
        # decoder's start token (it runs at step 0), then the generated tokens — the token
        # sequence a recorded trace holds (tracing.record_prefill), so the oracle's lookups match
        seqs = [list(p) + [BOS_ID] if switch else list(p) for p in prompts]
        out_tokens: list[list[int]] = [[] for _ in range(B)]
        rt = self.runtime
        t0 = time.perf_counter()
        # ---- prefill (step 0)
        self.start_step(0, Phase.PREFILL, seqs, [len(s) for s in seqs], policy, executor)
        rt.token_mask = mask.reshape(-1).bool()
        if switch:
            enc = self.model.get_encoder()(input_ids=ids, attention_mask=mask)
            dec_in = torch.full((B, 1), self.model.config.decoder_start_token_id, device=dev)
            rt.token_mask = None  # decoder tokens are never padding
            out = self.model(encoder_outputs=enc, attention_mask=mask, decoder_input_ids=dec_in,
                             use_cache=True)
            pos = None
        else:
            pos = (mask.cumsum(-1) - 1).clamp(min=0)
            out = self.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True,
                             logits_to_keep=1)
        rt.token_mask = None
        nxt = out.logits[:, -1].argmax(-1)  # [B]
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        ttft = time.perf_counter() - t0
        if recorder:
            recorder.record_prefill(0, rt, prompts, mask.cpu(), switch)
        cache = out.past_key_values
        for step in range(1, max_new_tokens + 1):
            toks = nxt.tolist()
            for b in range(B):
                out_tokens[b].append(toks[b])
                seqs[b].append(toks[b])
            if step == max_new_tokens:
                break
            self.start_step(step, Phase.DECODE, seqs, [1] * B, policy, executor)
            if switch:
                out = self.model(encoder_outputs=enc, attention_mask=mask,
                                 decoder_input_ids=nxt[:, None], past_key_values=cache,
                                 use_cache=True)
            else:
                mask = torch.cat([mask, mask.new_ones((B, 1))], dim=1)
                pos = pos[:, -1:] + 1
                out = self.model(input_ids=nxt[:, None], attention_mask=mask, position_ids=pos,
                                 past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            nxt = out.logits[:, -1].argmax(-1)
            if recorder:
                recorder.record_decode(step, rt, toks)
        executor.drain()
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        total = time.perf_counter() - t0
        return out_tokens, ttft, total
