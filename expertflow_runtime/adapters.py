"""Adapters over the transformers 5 MoE models: config from a preset, weights, and the swap of
each layer's ``mlp.experts`` for an offloaded module with the same call signature.

Verified against transformers 5.x sources: Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE and DeepSeek-V2
call ``self.experts(hidden [T, H], top_k_index [T, K], top_k_weights [T, K])`` on fused 3-D
parameters (``gate_up_proj [E, 2I, H]``, ``down_proj [E, H, I]``); the router is ``mlp.gate``
returning ``(logits, top_k_weights, top_k_index)``. SwitchTransformers keeps separate
``expert_{i}`` modules (``wi [I, H]``, ``wo [H, I]``) called as ``experts(hidden [T, H],
one_hot [T, 1, E], probs [T, 1])`` with router ``mlp.router`` returning ``(one_hot, probs,
logits)``; a token dropped by capacity has an all-zero one-hot row. Because only the experts
module is replaced, the router stays authoritative.

The DeepSeek family maps to DeepseekV2 (routed + shared experts, first dense layers); its attention
is MLA where DeepSeek-MoE-16B has plain MHA, which changes nothing about expert traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from expertflow_runtime.errors import CheckpointError
from expertflow_runtime.execution.store import ExpertLayout, ExpertStore
from expertflow_runtime.presets import ModelPreset

PAD_ID, BOS_ID, EOS_ID = 256, 257, 258  # byte-level ids of the tiny presets


def build_config(p: ModelPreset):
    """The transformers config object of preset ``p`` (eval settings: no router noise)."""
    import transformers as tf

    head_dim = p.head_dim or p.hidden // p.num_heads
    common = dict(vocab_size=p.vocab_size, hidden_size=p.hidden, num_hidden_layers=p.num_layers,
                  num_attention_heads=p.num_heads, num_key_value_heads=p.num_kv_heads,
                  max_position_embeddings=p.max_positions, tie_word_embeddings=False,
                  num_experts_per_tok=p.top_k)
    if p.tiny:
        common.update(bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID)
    if p.family == "mixtral":
        return tf.MixtralConfig(intermediate_size=p.intermediate, num_local_experts=p.num_experts,
                                router_jitter_noise=0.0, **common)
    if p.family == "qwen2_moe":
        return tf.Qwen2MoeConfig(intermediate_size=p.shared_intermediate or p.intermediate,
                                 moe_intermediate_size=p.intermediate,
                                 shared_expert_intermediate_size=p.shared_intermediate,
                                 num_experts=p.num_experts, norm_topk_prob=False,
                                 decoder_sparse_step=1, **common)
    if p.family == "qwen3_moe":
        return tf.Qwen3MoeConfig(intermediate_size=4 * p.hidden, moe_intermediate_size=p.intermediate,
                                 num_experts=p.num_experts, norm_topk_prob=True, head_dim=head_dim,
                                 decoder_sparse_step=1, **common)
    if p.family == "olmoe":
        return tf.OlmoeConfig(intermediate_size=p.intermediate, num_experts=p.num_experts,
                              norm_topk_prob=False, **common)
    if p.family == "deepseek":
        return tf.DeepseekV2Config(intermediate_size=p.dense_intermediate or 4 * p.hidden,
                                   moe_intermediate_size=p.intermediate,
                                   n_routed_experts=p.num_experts,
                                   n_shared_experts=p.num_shared_experts,
                                   first_k_dense_replace=p.first_dense_layers,
                                   kv_lora_rank=max(16, p.hidden // 4), q_lora_rank=None,
                                   qk_nope_head_dim=head_dim, qk_rope_head_dim=head_dim // 2,
                                   v_head_dim=head_dim, topk_method="greedy", n_group=1,
                                   topk_group=1, routed_scaling_factor=1.0, **common)
    if p.family == "switch":
        return tf.SwitchTransformersConfig(
            vocab_size=p.vocab_size, d_model=p.hidden, d_ff=p.intermediate, d_kv=head_dim,
            num_layers=p.num_layers, num_decoder_layers=p.decoder_layers,
            num_heads=p.num_heads, num_experts=p.num_experts,
            num_sparse_encoder_layers=p.num_layers // p.sparse_step,
            num_sparse_decoder_layers=p.decoder_layers // p.sparse_step,
            expert_capacity=1 << 30,  # never drop a token: identical outputs for every policy
            router_jitter_noise=0.0, dropout_rate=0.0, tie_word_embeddings=False,
            pad_token_id=PAD_ID if p.tiny else 0, eos_token_id=EOS_ID if p.tiny else 1,
            decoder_start_token_id=BOS_ID if p.tiny else 0)
    raise ValueError(f"unknown family {p.family!r}")


def model_class(p: ModelPreset):
    import transformers as tf

    return {"mixtral": tf.MixtralForCausalLM, "qwen2_moe": tf.Qwen2MoeForCausalLM,
            "qwen3_moe": tf.Qwen3MoeForCausalLM, "olmoe": tf.OlmoeForCausalLM,
            "deepseek": tf.DeepseekV2ForCausalLM,
            "switch": tf.SwitchTransformersForConditionalGeneration}[p.family]


def load_model(p: ModelPreset, checkpoint: str | Path | None = None, *, seed: int = 0,
               dtype: torch.dtype | None = None, init_device: str | None = None) -> nn.Module:
    """The HF model of preset ``p``: from a local checkpoint directory, else random init.

    ``dtype`` defaults to float32 for tiny presets and bfloat16 for full-size ones. A random
    init runs on ``init_device`` (default the CPU): on a GPU a full-size stack is initialised in
    seconds instead of minutes; the engine then moves its experts to the host store.
    """
    dtype = dtype or (torch.float32 if p.tiny else torch.bfloat16)
    cls = model_class(p)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # keep stderr to our one-line messages
    if checkpoint is not None:
        path = Path(checkpoint)
        if not (path / "config.json").is_file():
            raise CheckpointError(f"checkpoint directory {str(path)!r} has no config.json; pass "
                                  "a directory written by `sovereign runtime train` or an HF "
                                  "checkpoint of the preset's family")
        model = cls.from_pretrained(path, dtype=dtype)
    else:
        torch.manual_seed(seed)
        with torch.device(init_device or "cpu"):
            model = cls._from_config(build_config(p), dtype=dtype)  # init directly in ``dtype``
    return model.eval()


@dataclass
class MoESite:
    """One MoE layer of a model: its block, global MoE index, and whether it is in a decoder."""

    layer: int
    block: nn.Module  # the module owning .experts and the router
    decoder: bool  # False only for the encoder of an encoder-decoder model


def moe_sites(model: nn.Module, p: ModelPreset) -> list[MoESite]:
    """Every MoE block in execution order (Switch: encoder blocks, then decoder blocks)."""
    sites: list[MoESite] = []
    if p.family == "switch":
        for stack, is_dec in ((model.encoder, False), (model.decoder, True)):
            for blk in stack.block:
                ff = blk.layer[-1]
                if ff.is_sparse:
                    sites.append(MoESite(len(sites), ff.mlp, is_dec))
        return sites
    for layer in model.model.layers:
        experts = getattr(layer.mlp, "experts", None)
        if experts is not None:
            sites.append(MoESite(len(sites), layer.mlp, True))
    return sites


def router_of(site: MoESite) -> nn.Module:
    return site.block.router if hasattr(site.block, "router") else site.block.gate


def route(router: nn.Module, hidden: torch.Tensor, switch: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply a router to hidden [T, H]: (top_k_index [T, K], top_k_weights [T, K])."""
    if switch:
        one_hot, probs, _ = router(hidden[None])
        return one_hot[0].argmax(-1, keepdim=True), probs[0]
    _, weights, index = router(hidden)
    return index, weights


def expert_layout(p: ModelPreset, dtype: torch.dtype) -> ExpertLayout:
    return ExpertLayout(hidden=p.hidden, intermediate=p.intermediate,
                        gated=p.family != "switch", dtype=dtype)


class OffloadedExperts(nn.Module):
    """Drop-in for ``mlp.experts``: same call, weights from the runtime's slots.

    ``runtime.run_layer(layer, hidden [T, H], top_k_index [T, K], top_k_weights [T, K])`` does
    the planning, copies and compute; index ``E`` (one past the last expert) marks a token that
    routes nowhere (a dropped Switch token or a padding token).
    """

    def __init__(self, runtime, layer: int, num_experts: int, switch: bool):
        super().__init__()
        self.runtime, self.layer, self.num_experts, self.switch = runtime, layer, num_experts, switch

    def forward(self, hidden_states, top_k_index, top_k_weights):
        if self.switch:  # one-hot [T, 1, E] -> index [T, 1]; dropped rows -> E
            routed = top_k_index.sum(-1) > 0  # [T, 1]
            index = top_k_index.argmax(-1)
            index = torch.where(routed, index, torch.full_like(index, self.num_experts))
            return self.runtime.run_layer(self.layer, hidden_states, index, top_k_weights)
        return self.runtime.run_layer(self.layer, hidden_states, top_k_index, top_k_weights)


def offload(model: nn.Module, p: ModelPreset, runtime, store: ExpertStore) -> list[MoESite]:
    """Move every routed expert of ``model`` into ``store`` and swap in ``OffloadedExperts``.

    Frees the fused parameters (the store holds the only copy afterwards). Returns the sites.
    """
    sites = moe_sites(model, p)
    for site in sites:
        store.add_layer(site.layer, site.block.experts)
        site.block.experts = OffloadedExperts(runtime, site.layer, p.num_experts,
                                              p.family == "switch")
    return sites
