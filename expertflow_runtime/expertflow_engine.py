"""Grouped decoding: a pool of G micro-batches decoded in rounds, regrouped by the scheduler.

ExpertFlow's token scheduler merges two consecutive batches and re-splits them by predicted
routing path. In decoder-only serving a token belongs to a live sequence with a KV cache, so a
regroup moves sequences between micro-batches: here every round (one new token for every
sequence of the pool) starts with ``policy.regroup(pool, B)`` when the policy wants it, and the
returned permutation is applied to the KV caches (gather along the batch axis of every layer's
keys/values), the attention masks, positions, pending tokens and the output bookkeeping, all
inside the timed region. Every policy runs the same G x B workload, so throughput compares like
with like; policies without ``regroup`` simply keep their groups.

The loop is the step driver's (``step_driver.decode_rounds``, the one the plain engine and the
simulator run too) over the engine's model (``forwards.ModelForwards``); the metrics are the
engine's ``RunMetrics`` plus the predictor's and scheduler's own time per step and the KV
regrouping time.

Legend: P pool sequences, G groups, B = P / G, S padded prompt length, L layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from expertflow_runtime.errors import BadInput


@dataclass
class GroupedRun:
    """Generated ids per prompt (prompt order) and the run's metrics (a flat JSON-able dict)."""

    tokens: list[list[int]]
    metrics: dict


def generate_grouped(engine, prompts: list[list[int]], max_new_tokens: int, *, policy,
                     capacity: int, groups: int = 2) -> GroupedRun:
    """Greedy-decode every prompt, the pool split into ``groups`` micro-batches per round."""
    P = len(prompts)
    if engine.preset.family == "switch":
        raise BadInput("grouped decoding is for decoder-only presets; "
                       f"{engine.preset.name!r} is encoder-decoder")
    if groups < 1 or P % groups:
        raise BadInput(f"{P} prompts cannot split into {groups} equal groups")
    driver, run, rounds = engine.decode(prompts, max_new_tokens, policy=policy,
                                        capacity=capacity, groups=groups)
    executor = driver.executor
    total, ttft = run.total_s, run.ttft_s
    over = getattr(policy, "overheads", lambda: {})()
    decode_steps = max(1, rounds.decode_steps)
    metrics = dict(
        policy=getattr(policy, "name", type(policy).__name__),
        tokens_per_s=P * max_new_tokens / total, ttft_s=ttft,
        tpot_s=(total - ttft) / max(1, max_new_tokens - 1), total_s=total,
        **driver.counters.cache_metrics(), peak_slots=executor.peak_slots, capacity=capacity,
        **engine.memory_metrics(executor), steps=rounds.decode_steps, groups=groups,
        batch=P // groups,
        predictor_s_per_step=over.get("predictor_s", 0.0) / decode_steps,
        scheduler_s_per_step=over.get("scheduler_s", 0.0) / decode_steps,
        kv_regroup_s=run.kv_regroup_s, regroups=rounds.regroups,
    )
    return GroupedRun(run.tokens, metrics)
