"""The offloaded model's forward passes, as the step driver's decode loop drives them.

``ModelForwards`` holds one decode of a pool of P prompts split into G micro-batches of B
(``step_driver.decode_rounds`` decides the order): left-padded prompt ids, attention masks,
positions, one KV cache per micro-batch, the pending tokens and the generated ids. A regroup
moves sequences between micro-batches: the permutation is applied to the KV caches (gather along
the batch axis of every layer's keys/values), masks, positions and pending tokens, inside the
timed region (``kv_regroup_s``). Encoder-decoder presets (Switch) run with G = 1: the encoder
runs at prefill with the decoder's start token, decode steps feed the decoder.

Timing: ``t0`` when the object is made (after the policy's warm start), ``ttft_s`` when every
micro-batch is prefilled, ``total_s`` when the last token exists and no copy is in flight.

Legend: P pool sequences, G groups, B = P / G, S padded prompt length.
"""

from __future__ import annotations

import time

import torch

from expertflow_runtime.adapters import BOS_ID, PAD_ID


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


class ModelForwards:
    """``step_driver.Forwards`` over the engine's model; ``recorder`` (a ``StepRecorder``, G = 1
    only) records every step's routes."""

    def __init__(self, engine, prompts: list[list[int]], batch: int, executor, recorder=None):
        self.engine, self.model, self.rt = engine, engine.model, engine.runtime
        self.executor, self.recorder, self.prompts, self.B = executor, recorder, prompts, batch
        self.dev = dev = engine.device
        self.switch = engine.preset.family == "switch"
        P, S = len(prompts), max(len(p) for p in prompts)
        ids = torch.full((P, S), PAD_ID if engine.preset.tiny else 0, dtype=torch.long)
        mask = torch.zeros((P, S), dtype=torch.long)
        for b, p in enumerate(prompts):  # left padding: the last column is every prompt's end
            ids[b, S - len(p):] = torch.tensor(p)
            mask[b, S - len(p):] = 1
        self.ids, self.mask = ids.to(dev), mask.to(dev)
        self.pos = (self.mask.cumsum(-1) - 1).clamp(min=0)
        # what each step shows a policy: for encoder-decoder, the prompt, then the decoder's
        # start token (it runs at step 0), then the generated tokens — the token sequence a
        # recorded trace holds (tracing.record_prefill), so the oracle's lookups match
        self.seqs = [list(p) + [BOS_ID] if self.switch else list(p) for p in prompts]
        self.order = list(range(P))  # pool position -> prompt index
        self.tokens: list[list[int]] = [[] for _ in range(P)]
        self.caches: list = []
        self.encoded: list = []
        self.pending: list[torch.Tensor] = []  # next-token ids of the forwards of this round
        self.nxt: torch.Tensor | None = None  # [P] pool order
        self.fed: list[int] = []
        self.step = 0
        self.kv_regroup_s = self.ttft_s = self.total_s = 0.0
        self.t0 = time.perf_counter()

    def contexts(self, members: list[int]) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(self.seqs[i]) for i in members)

    def prefill_tokens(self, members: list[int]) -> list[int]:
        return [len(self.seqs[i]) for i in members]

    def _begin(self, members: list[int], new: list[int]) -> None:
        self.rt.step_routes.clear()
        self.rt.step_weights.clear()
        if self.rt.forced is not None:
            self.rt.forced.begin_step([self.seqs[i] for i in members], new)

    def _sync(self) -> None:
        if self.dev.type == "cuda":
            torch.cuda.synchronize(self.dev)

    def prefill(self, group: int, members: list[int]) -> None:
        sl, rt = slice(group * self.B, (group + 1) * self.B), self.rt
        self._begin(members, self.prefill_tokens(members))
        rt.token_mask = self.mask[sl].reshape(-1).bool()
        if self.switch:
            enc = self.model.get_encoder()(input_ids=self.ids[sl], attention_mask=self.mask[sl])
            start = torch.full((self.B, 1), self.model.config.decoder_start_token_id,
                               device=self.dev)
            rt.token_mask = None  # decoder tokens are never padding
            out = self.model(encoder_outputs=enc, attention_mask=self.mask[sl],
                             decoder_input_ids=start, use_cache=True)
            self.encoded.append(enc)
        else:
            out = self.model(input_ids=self.ids[sl], attention_mask=self.mask[sl],
                             position_ids=self.pos[sl], use_cache=True, logits_to_keep=1)
        rt.token_mask = None
        self.caches.append(out.past_key_values)
        self.pending.append(out.logits[:, -1].argmax(-1))
        if self.recorder:
            self.recorder.record_prefill(self.step, rt, self.prompts, self.mask.cpu(), self.switch)
        self.step += 1

    def prefill_done(self) -> None:
        self._collect()
        self._sync()
        self.ttft_s = time.perf_counter() - self.t0

    def _collect(self) -> None:
        """The round's next tokens join the contexts and the output."""
        self.nxt = torch.cat(self.pending)
        self.pending = []
        self.fed = self.nxt.tolist()
        for i, t in enumerate(self.fed):
            self.tokens[self.order[i]].append(t)
            self.seqs[self.order[i]].append(t)

    def next_round(self) -> None:
        if self.pending:
            self._collect()
        if not self.switch:
            self.mask = torch.cat([self.mask, self.mask.new_ones((len(self.seqs), 1))], dim=1)
            self.pos = self.pos[:, -1:] + 1

    def permute(self, perm: list[int]) -> None:
        start = time.perf_counter()
        idx = torch.tensor(perm, dtype=torch.long, device=self.dev)
        self.order = [self.order[i] for i in perm]
        self.nxt, self.mask, self.pos = self.nxt[idx], self.mask[idx], self.pos[idx]
        self.fed = [self.fed[i] for i in perm]
        regroup_caches(self.caches, idx, self.B)
        self.kv_regroup_s += time.perf_counter() - start

    def decode(self, group: int, members: list[int]) -> None:
        sl = slice(group * self.B, (group + 1) * self.B)
        self._begin(members, [1] * len(members))
        fed = self.nxt[sl, None]
        if self.switch:
            out = self.model(encoder_outputs=self.encoded[group], attention_mask=self.mask[sl],
                             decoder_input_ids=fed, past_key_values=self.caches[group],
                             use_cache=True)
        else:
            out = self.model(input_ids=fed, attention_mask=self.mask[sl],
                             position_ids=self.pos[sl], past_key_values=self.caches[group],
                             use_cache=True)
        self.caches[group] = out.past_key_values
        self.pending.append(out.logits[:, -1].argmax(-1))
        if self.recorder:
            self.recorder.record_decode(self.step, self.rt, self.fed[sl])
        self.step += 1

    def finish(self) -> None:
        if self.pending:
            self._collect()
        self.executor.drain()
        self._sync()
        self.total_s = time.perf_counter() - self.t0


def time_regroup(num_layers: int, batch: int, groups: int, kv_heads: int, head_dim: int,
                 seq_len: int, dtype: torch.dtype = torch.float32, repeats: int = 7) -> float:
    """Median seconds of one ``regroup_caches`` of ``groups`` caches, each ``batch`` sequences of
    ``seq_len`` tokens over ``num_layers`` attention layers: what one regroup of that pool costs
    on this machine (the simulator's ``regroup_s``)."""
    from types import SimpleNamespace

    def layer():
        shape = (batch, kv_heads, seq_len, head_dim)
        return SimpleNamespace(keys=torch.randn(shape, dtype=dtype),
                               values=torch.randn(shape, dtype=dtype))

    caches = [SimpleNamespace(layers=[layer() for _ in range(num_layers)]) for _ in range(groups)]
    perm = torch.randperm(batch * groups, generator=torch.Generator().manual_seed(0))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        regroup_caches(caches, perm, batch)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]
