"""Cost model of the trace-driven simulator: seconds per layer, per expert and per copy.

Two ways to get one:

* ``CostModel.from_preset(preset, profile)``: a roofline from the preset's shapes and a published
  hardware profile (presets.HardwareProfile): every matrix costs max(2·params·tokens / FLOP/s,
  bytes / memory bandwidth); attention also reads the KV cache; a copy of one expert costs
  expert_bytes / achieved link bandwidth. Switch (encoder–decoder) is modelled as a stack of its
  MoE blocks, each carrying the dense blocks between them — an approximation, stated here.
* ``CostModel.fit(...)``: constants measured from an all-resident run of the real engine (compute
  only, no copies), plus the copy time the engine's link charges per expert. This is how the
  simulator is calibrated against emulated runs on tiny presets.

Units: seconds, tokens, bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from expertflow_runtime.presets import HardwareProfile, ModelPreset


@dataclass(frozen=True)
class CostModel:
    """Per forward pass: ``step_fixed_s + per_token_s·T`` (embedding, LM head, sampling, launch);
    per MoE layer: ``layer_fixed_s + layer_token_s·T + kv_read_s_per_token·context`` (attention,
    router, shared experts, dense blocks); per computed expert: ``expert_fixed_s +
    expert_token_s·n``; per copied expert: ``transfer_s`` on a single link, plus ``copy_issue_s`` of host time on the
    compute path to issue it."""

    name: str
    step_fixed_s: float
    per_token_s: float
    layer_fixed_s: float
    layer_token_s: float
    kv_read_s_per_token: float
    expert_fixed_s: float
    expert_token_s: float
    transfer_s: float
    expert_bytes: int
    copy_issue_s: float = 0.0  # host time on the compute path to issue one copy (and wake its waiter)
    non_expert_bytes: int = 0  # weights that stay on the device (0: unknown, e.g. a fitted model)

    def forward_s(self, tokens: int) -> float:
        return self.step_fixed_s + self.per_token_s * tokens

    def layer_s(self, tokens: int, context: int) -> float:
        return self.layer_fixed_s + self.layer_token_s * tokens + self.kv_read_s_per_token * context

    def expert_s(self, tokens: int) -> float:
        return self.expert_fixed_s + self.expert_token_s * tokens

    def with_transfer(self, transfer_s: float) -> CostModel:
        return replace(self, transfer_s=transfer_s)

    @classmethod
    def from_preset(cls, preset: ModelPreset, profile: HardwareProfile) -> CostModel:
        d = preset.dtype_bytes
        head_dim = preset.head_dim or preset.hidden // preset.num_heads
        attn = preset.hidden * head_dim * (2 * preset.num_heads + 2 * preset.num_kv_heads)
        router = preset.hidden * preset.num_experts
        shared = 3 * preset.hidden * preset.shared_intermediate
        dense_blocks = 0
        if preset.family == "switch":  # sparse_step - 1 dense FFN blocks (+ their attention) per MoE block
            dense_blocks = (preset.sparse_step - 1) * (2 * preset.hidden * preset.intermediate + attn)
        per_layer = attn + router + shared + dense_blocks
        dense_total = preset.first_dense_layers * (attn + 3 * preset.hidden * preset.dense_intermediate)
        head = preset.vocab_size * preset.hidden
        flops, bw = profile.flops, profile.hbm_bw
        kv_bytes_per_token = 2 * preset.num_kv_heads * head_dim * d
        return cls(
            name=f"{preset.name}@{profile.name}",
            # weights read once per pass (memory bound at decode), FLOPs grow with tokens
            step_fixed_s=(head + dense_total) * d / bw,
            per_token_s=2 * (head + dense_total) / flops,
            layer_fixed_s=per_layer * d / bw,
            layer_token_s=2 * per_layer / flops,
            kv_read_s_per_token=kv_bytes_per_token / bw,
            expert_fixed_s=preset.expert_params * d / bw,
            expert_token_s=2 * preset.expert_params / flops,
            transfer_s=profile.transfer_s(preset.expert_bytes),
            expert_bytes=preset.expert_bytes,
            # embeddings and LM head (untied), every layer's attention, router, shared experts
            # and dense blocks, the leading dense layers
            non_expert_bytes=(2 * head + dense_total + per_layer * preset.moe_layers) * d,
        )

    @classmethod
    def fit(cls, name: str, *, step_s: float, tokens_per_step: float, num_layers: int,
            experts_per_layer: float, transfer_s: float, expert_bytes: int,
            expert_share: float = 0.5, fixed_share: float = 0.2,
            prefill_s: float | None = None, prefill_tokens: float | None = None) -> CostModel:
        """Constants from one measured all-resident decode step.

        ``step_s``: measured seconds of one forward with ``tokens_per_step`` tokens in which each
        layer computed ``experts_per_layer`` experts on average. The time is split: a
        ``fixed_share`` outside the layers, ``expert_share`` of the layer time in expert calls
        (a per-call cost: tiny experts are launch/dispatch bound), the rest per layer. With a
        measured prefill (``prefill_s`` for ``prefill_tokens`` tokens) the extra tokens' cost
        becomes a per-token term of the forward pass.
        """
        fixed = step_s * fixed_share
        layer_total = (step_s - fixed) / num_layers
        expert_call = layer_total * expert_share / max(experts_per_layer, 1e-9)
        per_token = 0.0
        if prefill_s is not None and prefill_tokens and prefill_tokens > tokens_per_step:
            per_token = max(0.0, (prefill_s - step_s) / (prefill_tokens - tokens_per_step))
        return cls(
            name=name, step_fixed_s=fixed - per_token * tokens_per_step, per_token_s=per_token,
            layer_fixed_s=layer_total * (1 - expert_share), layer_token_s=0.0,
            kv_read_s_per_token=0.0, expert_fixed_s=expert_call, expert_token_s=0.0,
            transfer_s=transfer_s, expert_bytes=expert_bytes,
        )
