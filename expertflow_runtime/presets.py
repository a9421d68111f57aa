"""Model presets (full-size shapes and CPU-sized variants) and hardware profiles.

Full-size numbers are those of the models' published Hugging Face ``config.json`` files (repo ids
in ``source``). Tiny variants keep the family (architecture class, routing style, shared experts,
top-k) at sizes that run on two CPU cores in seconds; they use a byte-level vocabulary (259 ids)
so the runtime needs no tokenizer download.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from expertflow_runtime.errors import UnknownNameError

FAMILIES = ("mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "deepseek", "switch")
BYTE_VOCAB = 259  # 256 bytes + pad(256) + bos(257) + eos(258)


@dataclass(frozen=True)
class ModelPreset:
    """Shape of one MoE model. Sizes in elements; ``expert_bytes`` in bytes at ``dtype_bytes``.

    ``num_layers`` counts transformer blocks; ``moe_layers`` those with routed experts (Switch:
    every other block of encoder and decoder; DeepSeek: all but the first ``first_dense_layers``).
    """

    name: str
    family: str
    num_layers: int
    hidden: int
    intermediate: int  # one routed expert's FFN width
    num_experts: int
    top_k: int
    num_heads: int
    num_kv_heads: int
    vocab_size: int
    num_shared_experts: int = 0
    shared_intermediate: int = 0  # total width of the shared expert(s)
    dense_intermediate: int = 0  # FFN width of dense (non-MoE) blocks
    first_dense_layers: int = 0
    decoder_layers: int = 0  # Switch (encoder-decoder) only; num_layers = encoder layers
    sparse_step: int = 1  # Switch: every sparse_step-th block is MoE
    head_dim: int = 0  # 0: hidden // num_heads
    max_positions: int = 4096
    dtype_bytes: int = 2  # bf16 for full-size models
    source: str = ""
    tiny: bool = False

    @property
    def moe_layers(self) -> int:
        if self.family == "switch":
            return self.num_layers // self.sparse_step + self.decoder_layers // self.sparse_step
        return self.num_layers - self.first_dense_layers

    @property
    def expert_params(self) -> int:
        """Parameters of one routed expert (Switch: wi, wo; others: gate, up, down)."""
        mats = 2 if self.family == "switch" else 3
        return mats * self.hidden * self.intermediate

    @property
    def expert_bytes(self) -> int:
        return self.expert_params * self.dtype_bytes

    @property
    def total_expert_slots(self) -> int:
        return self.moe_layers * self.num_experts

    def with_layers(self, num_layers: int) -> ModelPreset:
        """The same shape cut to ``num_layers`` blocks (a layer stack for a time-limited bench)."""
        if self.family == "switch":
            return replace(self, num_layers=num_layers, decoder_layers=num_layers)
        return replace(self, num_layers=num_layers, first_dense_layers=min(self.first_dense_layers,
                                                                           num_layers - 1))


_FULL = [
    # google/switch-base-{32,64,128}: d_model 768, d_ff 3072, 12+12 blocks, experts every 2nd.
    *[
        ModelPreset(f"switch-base-{e}", "switch", num_layers=12, decoder_layers=12, sparse_step=2,
                    hidden=768, intermediate=3072, num_experts=e, top_k=1, num_heads=12,
                    num_kv_heads=12, vocab_size=32128, head_dim=64, max_positions=512,
                    dtype_bytes=4, source=f"google/switch-base-{e}")
        for e in (32, 64, 128)
    ],
    ModelPreset("mixtral-8x7b", "mixtral", num_layers=32, hidden=4096, intermediate=14336,
                num_experts=8, top_k=2, num_heads=32, num_kv_heads=8, vocab_size=32000,
                max_positions=32768, source="mistralai/Mixtral-8x7B-v0.1"),
    ModelPreset("mixtral-8x22b", "mixtral", num_layers=56, hidden=6144, intermediate=16384,
                num_experts=8, top_k=2, num_heads=48, num_kv_heads=8, vocab_size=32000,
                max_positions=65536, source="mistralai/Mixtral-8x22B-v0.1"),
    ModelPreset("qwen1.5-moe-a2.7b", "qwen2_moe", num_layers=24, hidden=2048, intermediate=1408,
                num_experts=60, top_k=4, num_heads=16, num_kv_heads=16, vocab_size=151936,
                num_shared_experts=1, shared_intermediate=5632, max_positions=8192,
                source="Qwen/Qwen1.5-MoE-A2.7B"),
    ModelPreset("deepseek-moe-16b", "deepseek", num_layers=28, hidden=2048, intermediate=1408,
                num_experts=64, top_k=6, num_heads=16, num_kv_heads=16, vocab_size=102400,
                num_shared_experts=2, shared_intermediate=2 * 1408, dense_intermediate=10944,
                first_dense_layers=1, max_positions=4096,
                source="deepseek-ai/deepseek-moe-16b-base"),
    ModelPreset("olmoe-1b-7b", "olmoe", num_layers=16, hidden=2048, intermediate=1024,
                num_experts=64, top_k=8, num_heads=16, num_kv_heads=16, vocab_size=50304,
                source="allenai/OLMoE-1B-7B-0924"),
    ModelPreset("qwen3-moe", "qwen3_moe", num_layers=48, hidden=2048, intermediate=768,
                num_experts=128, top_k=8, num_heads=32, num_kv_heads=4, vocab_size=151936,
                head_dim=128, max_positions=40960, source="Qwen/Qwen3-30B-A3B"),
]

_TINY_COMMON = dict(vocab_size=BYTE_VOCAB, max_positions=1024, dtype_bytes=4, tiny=True,
                    source="tiny variant (this repo)")
_TINY = [
    ModelPreset("mixtral-tiny", "mixtral", num_layers=4, hidden=128, intermediate=256,
                num_experts=8, top_k=2, num_heads=4, num_kv_heads=2, **_TINY_COMMON),
    ModelPreset("qwen-moe-tiny", "qwen2_moe", num_layers=4, hidden=128, intermediate=96,
                num_experts=16, top_k=4, num_heads=4, num_kv_heads=4, num_shared_experts=1,
                shared_intermediate=256, **_TINY_COMMON),
    ModelPreset("qwen3-moe-tiny", "qwen3_moe", num_layers=4, hidden=128, intermediate=64,
                num_experts=16, top_k=4, num_heads=4, num_kv_heads=2, head_dim=32,
                **_TINY_COMMON),
    ModelPreset("olmoe-tiny", "olmoe", num_layers=4, hidden=128, intermediate=64,
                num_experts=16, top_k=4, num_heads=4, num_kv_heads=4, **_TINY_COMMON),
    ModelPreset("deepseek-tiny", "deepseek", num_layers=4, hidden=128, intermediate=96,
                num_experts=16, top_k=4, num_heads=4, num_kv_heads=4, num_shared_experts=2,
                shared_intermediate=192, dense_intermediate=384, first_dense_layers=1,
                **_TINY_COMMON),
    ModelPreset("switch-tiny", "switch", num_layers=4, decoder_layers=4, sparse_step=2,
                hidden=128, intermediate=256, num_experts=8, top_k=1, num_heads=4,
                num_kv_heads=4, head_dim=32, **_TINY_COMMON),
]

PRESETS: dict[str, ModelPreset] = {p.name: p for p in _FULL + _TINY}


def from_name(name: str) -> ModelPreset:
    """The preset called ``name``; raises UnknownNameError listing the valid names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownNameError("preset", name, list(PRESETS)) from None


def small_variant(preset: ModelPreset) -> ModelPreset:
    """The tiny preset of ``preset``'s family (itself when tiny): the model the runtime trains,
    whose measured figures (e.g. its predictor's recall) stand for the full-size shape."""
    if preset.tiny:
        return preset
    return next(p for p in _TINY if p.family == preset.family)


@dataclass(frozen=True)
class HardwareProfile:
    """Published figures of one accelerator + host link. Bandwidths in bytes/s, compute in FLOP/s.

    ``link_bw`` is the achieved pinned host-to-device bandwidth (what a copy really gets), not
    the PCIe peak, which is kept in ``link_peak_bw`` for reference.
    """

    name: str
    device: str
    memory_bytes: int
    hbm_bw: float
    flops: float
    link_peak_bw: float
    link_bw: float
    source: str

    def expert_compute_s(self, params: int, tokens: int, dtype_bytes: int = 2) -> float:
        """Roofline time of one expert over ``tokens`` tokens: max(FLOPs bound, weight read)."""
        return max(2.0 * params * tokens / self.flops, params * dtype_bytes / self.hbm_bw)

    def transfer_s(self, nbytes: int) -> float:
        return nbytes / self.link_bw


GB = 1e9
_PROFILES = [
    # NVIDIA A40 datasheet: 48 GB GDDR6, 696 GB/s, ~150 TFLOP/s bf16 dense (299 with sparsity);
    # PCIe 4.0 x16: 31.5 GB/s peak, ~25 GB/s achieved host->device from pinned memory.
    HardwareProfile("a40-pcie4", "NVIDIA A40", 48 * GB, 696 * GB, 150e12, 31.5 * GB, 25 * GB,
                    "NVIDIA A40 datasheet; PCIe 4.0 x16 spec"),
    # NVIDIA H100 SXM datasheet: 80 GB HBM3, 3.35 TB/s, ~990 TFLOP/s bf16 dense;
    # PCIe 5.0 x16: 63 GB/s peak, ~50 GB/s achieved.
    HardwareProfile("h100-pcie5", "NVIDIA H100", 80 * GB, 3350 * GB, 990e12, 63 * GB, 50 * GB,
                    "NVIDIA H100 datasheet; PCIe 5.0 x16 spec"),
    # NVIDIA H200 datasheet: 141 GB HBM3e, 4.8 TB/s; same tensor cores as H100 (~990 TFLOP/s).
    # Link: measured, not assumed: 55.2 GB/s pinned host->device (1 GiB copies, best of 5) on an
    # H200 with PCIe 5.0 x16 (benchmarks/gpu_stack.py, benchmarks/results/gpu_stack_h200.json).
    HardwareProfile("h200-pcie5", "NVIDIA H200", 141 * GB, 4800 * GB, 990e12, 63 * GB, 55.2 * GB,
                    "NVIDIA H200 datasheet; host->device link measured on an H200 "
                    "(benchmarks/gpu_stack.py)"),
]
PROFILES: dict[str, HardwareProfile] = {p.name: p for p in _PROFILES}
PROFILES["h200"] = PROFILES["h200-pcie5"]


def profile_from_name(name: str) -> HardwareProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownNameError("hardware profile", name, list(PROFILES)) from None
