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

from expertflow_runtime.execution.store import ExpertLayout
from expertflow_runtime.presets import HardwareProfile, ModelPreset


def transfer_compute_ratio(preset: ModelPreset, profile: HardwareProfile, tokens: int) -> float:
    """r = copy time / compute time of one expert on the profile (bf16 weights)."""
    params = preset.expert_params
    return profile.transfer_s(params * 2) / profile.expert_compute_s(params, tokens, 2)


def cpu_expert_seconds(layout: ExpertLayout, act, tokens: int, repeats: int = 100, blocks: int = 5,
                       gap_s: float = 0.1) -> float:
    """Wall time of one expert forward over ``tokens`` tokens on this machine: the lowest of
    ``blocks`` 20th percentiles, each over ``repeats`` timings, the blocks ``gap_s`` apart.

    A busy or descheduled CPU only ever slows a timing down, so a low percentile is what this
    machine computes at. The blocks are spread out because this 2-vCPU machine runs the same op
    at two speeds (about 41 and 63 us here) for seconds at a time: one short window calibrated
    the emulated copy time to 1.3 or 2.0 ms depending on when the engine was built.
    """
    torch.manual_seed(0)
    flat = torch.randn(layout.numel, dtype=layout.dtype) * 0.02
    first, second = layout.views(flat)
    x = torch.randn(tokens, layout.hidden, dtype=layout.dtype)
    best = float("inf")
    with torch.inference_mode():
        for block in range(blocks):
            if block:
                time.sleep(gap_s)
            times = []
            for _ in range(repeats + repeats // 4):  # the first quarter warms up
                t0 = time.perf_counter()
                if layout.gated:
                    g, u = nn.functional.linear(x, first).chunk(2, dim=-1)
                    h = act(g) * u
                else:
                    h = act(nn.functional.linear(x, first))
                nn.functional.linear(h, second)
                times.append(time.perf_counter() - t0)
            kept = sorted(times[repeats // 4:])
            best = min(best, kept[len(kept) // 5])
    return best


def decode_tokens_per_expert(preset: ModelPreset, batch: int) -> int:
    return max(1, round(batch * preset.top_k / preset.num_experts))


def seconds_per_byte(preset: ModelPreset, profile: HardwareProfile, layout: ExpertLayout, act,
                     batch: int) -> float:
    n = decode_tokens_per_expert(preset, batch)
    copy_s = transfer_compute_ratio(preset, profile, n) * cpu_expert_seconds(layout, act, n)
    return copy_s / layout.nbytes
