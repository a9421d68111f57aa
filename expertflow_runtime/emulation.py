"""Calibration of the emulated link: keep the profile's transfer:compute ratio on this CPU.

On the target (profile) an expert copy takes ``bytes / link_bw`` and one expert's compute over the
n tokens routed to it at decode takes the roofline time ``max(2*P*n / FLOP/s, P*bytes / HBM)``.
Their ratio r is what decides how much offloading hurts. Here compute is real and slower, so the
emulated copy of one expert is made to take ``r * t_cpu``, where ``t_cpu`` is the measured time of
the same expert compute on this CPU. For A40 + PCIe 4.0 at decode (memory-bound), r is about
696 / 25 = 28 whatever the model size, so a miss costs what it costs on the real machine relative
to compute. n = max(1, round(batch * top_k / experts)), the mean tokens per expert at decode.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from expertflow_runtime.presets import HardwareProfile, ModelPreset
from expertflow_runtime.store import ExpertLayout


def transfer_compute_ratio(preset: ModelPreset, profile: HardwareProfile, tokens: int) -> float:
    """r = copy time / compute time of one expert on the profile (bf16 weights)."""
    params = preset.expert_params
    return profile.transfer_s(params * 2) / profile.expert_compute_s(params, tokens, 2)


def cpu_expert_seconds(layout: ExpertLayout, act, tokens: int, repeats: int = 200) -> float:
    """Wall time of one expert forward over ``tokens`` tokens on this machine: the 20th
    percentile of ``repeats`` timings after a warm-up quarter. A busy or descheduled CPU only
    ever slows a timing down, so a low percentile is what this machine computes at; the median
    of a shared machine moved the emulated copy time by half from one build to the next."""
    torch.manual_seed(0)
    flat = torch.randn(layout.numel, dtype=layout.dtype) * 0.02
    first, second = layout.views(flat)
    x = torch.randn(tokens, layout.hidden, dtype=layout.dtype)
    times = []
    with torch.inference_mode():
        for _ in range(repeats):
            t0 = time.perf_counter()
            if layout.gated:
                g, u = nn.functional.linear(x, first).chunk(2, dim=-1)
                h = act(g) * u
            else:
                h = act(nn.functional.linear(x, first))
            nn.functional.linear(h, second)
            times.append(time.perf_counter() - t0)
    kept = sorted(times[repeats // 4:])
    return kept[len(kept) // 5]


def decode_tokens_per_expert(preset: ModelPreset, batch: int) -> int:
    return max(1, round(batch * preset.top_k / preset.num_experts))


def seconds_per_byte(preset: ModelPreset, profile: HardwareProfile, layout: ExpertLayout, act,
                     batch: int) -> float:
    n = decode_tokens_per_expert(preset, batch)
    copy_s = transfer_compute_ratio(preset, profile, n) * cpu_expert_seconds(layout, act, n)
    return copy_s / layout.nbytes
