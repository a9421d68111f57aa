"""Grouped decoding: a pool of G micro-batches decoded in rounds, regrouped by the scheduler.

ExpertFlow's token scheduler merges two consecutive batches and re-splits them by predicted
routing path. In decoder-only serving a token belongs to a live sequence with a KV cache, so a
regroup moves sequences between micro-batches: here every round (one new token for every
sequence of the pool) starts with ``policy.regroup(pool, B)`` when the policy wants it, and the
returned permutation is applied to the KV caches (gather along the batch axis of every layer's
keys/values), the attention masks, positions, pending tokens and the output bookkeeping, all
inside the timed region. Every policy runs the same G x B workload, so throughput compares like
with like; policies without ``regroup`` simply keep their groups.

This drives the ``Engine`` (model, offloaded layers, executor, link) through its per-step hook
``start_step``; the metrics are the engine's ``RunMetrics`` plus the predictor's and
scheduler's own time per step and the KV regrouping time.

Legend: P pool sequences, G groups, B = P / G, S padded prompt length, L layers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from expertflow_runtime.adapters import PAD_ID
from expertflow_runtime.errors import RuntimeInputError
from expertflow_runtime.plan import Phase, StepInfo


@dataclass
class GroupedRun:
    """Generated ids per prompt (prompt order) and the run's metrics (a flat JSON-able dict)."""

    tokens: list[list[int]]
    metrics: dict


def regroup_caches(caches: list, perm: torch.Tensor, group_size: int) -> None:
    """Permute sequences across the groups' DynamicCaches in place.

    New pool position i takes old pool position perm[i]; group g holds positions
    [g*B, (g+1)*B). All caches must have the same layers and sequence length.
    """
    for li in range(len(caches[0].layers)):
        for attr in ("keys", "values"):
            pool = torch.cat([getattr(c.layers[li], attr) for c in caches])  # [P, kv, S, d]
            pool = pool.index_select(0, perm)
            for g, c in enumerate(caches):
                setattr(c.layers[li], attr, pool[g * group_size : (g + 1) * group_size])


def generate_grouped(engine, prompts: list[list[int]], max_new_tokens: int, *, policy,
                     capacity: int, groups: int = 2) -> GroupedRun:
    """Greedy-decode every prompt, the pool split into ``groups`` micro-batches per round."""
    P = len(prompts)
    if engine.preset.family == "switch":
        raise RuntimeInputError("grouped decoding is for decoder-only presets; "
                                f"{engine.preset.name!r} is encoder-decoder")
    if groups < 1 or P % groups:
        raise RuntimeInputError(f"{P} prompts cannot split into {groups} equal groups")
    B = P // groups
    rt = engine.runtime
    executor = engine.bind(policy, capacity)
    try:
        out, timing = _loop(engine, prompts, max_new_tokens, policy, executor, B, groups)
    finally:
        engine.unbind(executor)
    c = rt.counters
    total, ttft = timing["total_s"], timing["ttft_s"]
    over = getattr(policy, "overheads", lambda: {})()
    decode_steps = max(1, timing["steps"])
    metrics = dict(
        policy=getattr(policy, "name", type(policy).__name__),
        tokens_per_s=P * max_new_tokens / total, ttft_s=ttft,
        tpot_s=(total - ttft) / max(1, max_new_tokens - 1), total_s=total,
        **c.cache_metrics(), peak_slots=executor.peak_slots, capacity=capacity,
        **engine.memory_metrics(executor), steps=timing["steps"], groups=groups, batch=B,
        predictor_s_per_step=over.get("predictor_s", 0.0) / decode_steps,
        scheduler_s_per_step=over.get("scheduler_s", 0.0) / decode_steps,
        kv_regroup_s=timing["kv_regroup_s"], regroups=timing["regroups"],
    )
    return GroupedRun(out, metrics)


@torch.inference_mode()
def _loop(engine, prompts, max_new_tokens, policy, executor, B, G):
    P, S, dev, model, rt = len(prompts), max(len(p) for p in prompts), engine.device, engine.model, engine.runtime
    ids = torch.full((P, S), PAD_ID if engine.preset.tiny else 0, dtype=torch.long)
    mask = torch.zeros((P, S), dtype=torch.long)
    for b, p in enumerate(prompts):  # left padding, one S for the whole pool so groups can mix
        ids[b, S - len(p):] = torch.tensor(p)
        mask[b, S - len(p):] = 1
    ids, mask = ids.to(dev), mask.to(dev)
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    order = list(range(P))  # pool position -> prompt index
    seqs = [list(p) for p in prompts]
    out_tokens: list[list[int]] = [[] for _ in range(P)]
    caches, firsts, step = [], [], 0
    kv_s, regroups = 0.0, 0
    t0 = time.perf_counter()
    for g in range(G):  # prefill every micro-batch
        sl = slice(g * B, (g + 1) * B)
        engine.start_step(step, Phase.PREFILL, [seqs[i] for i in order[sl]],
                          [len(prompts[i]) for i in order[sl]], policy, executor)
        rt.token_mask = mask[sl].reshape(-1).bool()
        out = model(input_ids=ids[sl], attention_mask=mask[sl], position_ids=pos[sl],
                    use_cache=True, logits_to_keep=1)
        rt.token_mask = None
        caches.append(out.past_key_values)
        firsts.append(out.logits[:, -1].argmax(-1))
        step += 1
    nxt = torch.cat(firsts)  # [P] pool order
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    ttft = time.perf_counter() - t0
    decode_steps = 0
    for r in range(1, max_new_tokens + 1):
        toks = nxt.tolist()
        for i, t in enumerate(toks):
            out_tokens[order[i]].append(t)
            seqs[order[i]].append(t)
        if r == max_new_tokens:
            break
        if getattr(policy, "wants_regroup", False) and G > 1:
            pool = StepInfo(step, Phase.DECODE, tuple(tuple(seqs[i]) for i in order), (1,) * P)
            perm = policy.regroup(pool, B)
            if perm is not None:
                k0 = time.perf_counter()
                idx = torch.tensor(perm, dtype=torch.long, device=dev)
                order = [order[i] for i in perm]
                nxt, mask, pos = nxt[idx], mask[idx], pos[idx]
                regroup_caches(caches, idx, B)
                kv_s += time.perf_counter() - k0
                regroups += 1
        mask = torch.cat([mask, mask.new_ones((P, 1))], dim=1)
        pos = pos[:, -1:] + 1
        new = []
        for g in range(G):
            sl = slice(g * B, (g + 1) * B)
            # the next micro-batch of this round: its tokens are known (the first micro-batch
            # of the next round is not: it waits for the regroup, which needs this one's tokens)
            upcoming = tuple(tuple(seqs[i]) for i in order[sl.stop : sl.stop + B])
            engine.start_step(step, Phase.DECODE, [seqs[i] for i in order[sl]], [1] * B,
                              policy, executor, upcoming)
            out = model(input_ids=nxt[sl, None], attention_mask=mask[sl], position_ids=pos[sl],
                        past_key_values=caches[g], use_cache=True)
            caches[g] = out.past_key_values
            new.append(out.logits[:, -1].argmax(-1))
            step += 1
            decode_steps += 1
        nxt = torch.cat(new)
    executor.drain()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    total = time.perf_counter() - t0
    return out_tokens, dict(total_s=total, ttft_s=ttft, steps=decode_steps, kv_regroup_s=kv_s,
                            regroups=regroups)
