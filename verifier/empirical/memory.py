"""Device memory of a full-size model holding some of its experts, from the preset's shape.

    device bytes = non-expert weights (attention, routers, shared/dense FFNs, embeddings)
                 + resident expert slots × one expert's bytes

Activations and the KV cache are not counted (they do not depend on the caching policy at a
given batch), which is stated as a caveat wherever a figure from here is shown.
"""

from __future__ import annotations

from expertflow_runtime.presets import ModelPreset

GB = 1e9


def non_expert_params(p: ModelPreset) -> int:
    """Parameters that stay on the device whatever the policy does."""
    head_dim = p.head_dim or p.hidden // p.num_heads
    attn = p.hidden * head_dim * 2 * (p.num_heads + p.num_kv_heads)  # q, o + k, v
    router = p.hidden * p.num_experts
    if p.family == "switch":
        blocks = p.num_layers + p.decoder_layers
        dense_blocks = blocks - p.moe_layers
        attention = (p.num_layers + 2 * p.decoder_layers) * attn  # decoder: self + cross
        dense_ffn = dense_blocks * 2 * p.hidden * p.intermediate
        embeddings = p.vocab_size * p.hidden  # tied input / output embedding
        return attention + dense_ffn + p.moe_layers * router + embeddings
    shared = 3 * p.hidden * p.shared_intermediate
    dense_ffn = p.first_dense_layers * 3 * p.hidden * p.dense_intermediate
    embeddings = 2 * p.vocab_size * p.hidden  # untied input embedding and LM head
    return p.num_layers * attn + p.moe_layers * (router + shared) + dense_ffn + embeddings


def device_gb(p: ModelPreset, resident_experts: float) -> float:
    """GB on the device with ``resident_experts`` routed experts (over all layers) held."""
    return (non_expert_params(p) * p.dtype_bytes + resident_experts * p.expert_bytes) / GB


def all_resident_gb(p: ModelPreset) -> float:
    return device_gb(p, p.total_expert_slots)


def memory_at_fraction(p: ModelPreset, slot_fraction: float) -> dict[str, float]:
    """Device GB when ``slot_fraction`` of all expert slots is resident at the peak, beside the
    all-resident footprint, and the saving in % (what "reduces GPU memory by X%" claims)."""
    full = all_resident_gb(p)
    used = device_gb(p, slot_fraction * p.total_expert_slots)
    return {"all_resident_gb": round(full, 3), "device_gb": round(used, 3),
            "saving_pct": round(100.0 * (1.0 - used / full), 2)}


def saving_at_budget(p: ModelPreset, per_layer: int) -> tuple[float, float]:
    """(% saved, device GB) when every MoE layer holds ``per_layer`` routed experts."""
    used = device_gb(p, per_layer * p.moe_layers)
    return 100.0 * (1.0 - used / all_resident_gb(p)), used


def footprint_gb(p: ModelPreset, held_fraction: float) -> float:
    """Device GB at the full-size shape when ``held_fraction`` of all expert slots is resident
    (the peak share a run actually held, measured at whatever scale it ran)."""
    return device_gb(p, held_fraction * p.total_expert_slots)
