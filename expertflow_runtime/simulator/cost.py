"""Cost model of the trace-driven simulator: seconds per layer, per expert and per copy.

Two ways to get one:

* ``CostModel.from_preset(preset, profile)``: a roofline from the preset's shapes and a published
  hardware profile (presets.HardwareProfile): every matrix costs max(2·params·tokens / FLOP/s,
  bytes / memory bandwidth); attention also reads the KV cache; a copy of one expert costs
  expert_bytes / achieved link bandwidth. Switch (encoder–decoder) is modelled as a stack of its
  MoE blocks, each carrying the dense blocks between them — an approximation, stated here.
* ``CostModel.fit(...)``: constants measured from an all-resident run of the real engine (compute
  only, no copies), plus the copy time the engine's link charges per expert; then
  ``fit_host_costs`` fits the executor's own host time per operation (per copy issued, per
  blocking wait on a copy) on two more measured runs: a policy whose every copy is waited for
  (on-demand) and one whose prefetches mostly land before they are needed (se-moe). This is
  how the simulator is calibrated against emulated runs on tiny presets; every other policy is
  then a prediction.

Units: seconds, tokens, bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from expertflow_runtime.presets import HardwareProfile, ModelPreset


@dataclass(frozen=True)
class CostModel:
    """Per forward pass: ``step_fixed_s + per_token_s·T`` (embedding, LM head, sampling, launch);
    per MoE layer: ``layer_fixed_s + layer_token_s·T + kv_read_s_per_token·context`` (attention,
    router, shared experts, dense blocks); per computed expert: ``expert_fixed_s +
    expert_token_s·n``; per copied expert: ``transfer_s`` on a single link, plus ``copy_issue_s`` of host time on the
    compute path to issue it; per wait of the compute path on a copy, ``wait_resume_s`` to resume;
    per regroup of the pool: ``regroup_s``. The three host terms are 0 for a roofline model and
    fitted by ``fit_host_costs`` against emulated runs."""

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
    # host time for the compute path to resume once a copy it blocked on has landed (the link
    # signals, the waiting thread is scheduled again): paid per blocking wait, not per copy
    wait_resume_s: float = 0.0
    regroup_s: float = 0.0  # one regroup of the pool's KV caches (grouped decoding)

    def forward_s(self, tokens: int) -> float:
        return self.step_fixed_s + self.per_token_s * tokens

    def layer_s(self, tokens: int, context: int) -> float:
        return self.layer_fixed_s + self.layer_token_s * tokens + self.kv_read_s_per_token * context

    def expert_s(self, tokens: int) -> float:
        return self.expert_fixed_s + self.expert_token_s * tokens

    def scaled_compute(self, factor: float) -> CostModel:
        """Every compute term times ``factor`` (copies and host terms unchanged)."""
        return replace(self, step_fixed_s=self.step_fixed_s * factor,
                       per_token_s=self.per_token_s * factor,
                       layer_fixed_s=self.layer_fixed_s * factor,
                       layer_token_s=self.layer_token_s * factor,
                       kv_read_s_per_token=self.kv_read_s_per_token * factor,
                       expert_fixed_s=self.expert_fixed_s * factor,
                       expert_token_s=self.expert_token_s * factor)

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


@dataclass(frozen=True)
class HostCostFit:
    """What ``fit_host_costs`` found: the model and, per calibration run, measured vs simulated."""

    cost: CostModel
    measured_s: dict[str, float]
    simulated_s: dict[str, float]


def fit_compute_scale(cost: CostModel, simulate: Callable[[CostModel], float], measured_s: float,
                      tol: float = 1e-3) -> CostModel:
    """``cost`` with its compute terms scaled so that the simulated wall time of a run without
    copies (all-resident; ``simulate(cost)`` -> seconds) meets the measured one: the split of
    one measured step into terms (``fit``) leaves the total to this."""
    lo, hi = 0.25, 4.0
    for _ in range(40):
        mid = (lo + hi) / 2
        got = simulate(cost.scaled_compute(mid))
        if abs(got - measured_s) <= tol * measured_s:
            break
        lo, hi = (mid, hi) if got < measured_s else (lo, mid)
    return cost.scaled_compute(mid)


def _bisect(f: Callable[[float], float], target: float, lo: float, hi: float,
            tol: float) -> float:
    """x in [lo, hi] where the non-decreasing ``f(x)`` meets ``target``, to ``tol`` of it."""
    mid = (lo + hi) / 2
    for _ in range(40):
        mid = (lo + hi) / 2
        got = f(mid)
        if abs(got - target) <= tol * target:
            break
        lo, hi = (mid, hi) if got < target else (lo, mid)
    return mid


def _solve(f: Callable[[float], float], target: float, tol: float) -> float:
    """The x >= 0 at which the non-decreasing ``f(x)`` meets ``target`` (0 when it is above
    already)."""
    if f(0.0) >= target:
        return 0.0
    hi = 1e-5
    while f(hi) < target:
        hi *= 2
        if hi > 1.0:  # a second of host time per operation: the gap is not per operation
            return hi / 2
    return _bisect(f, target, hi / 2, hi, tol)


def fit_host_costs(cost: CostModel, simulate: Callable[[CostModel, str], float],
                   measured_s: dict[str, float], *, every_copy_waited: str = "on-demand",
                   prefetching: str | None = "se-moe", tol: float = 1e-3) -> HostCostFit:
    """Fit ``copy_issue_s`` and ``wait_resume_s`` so that the simulated time (``simulate(cost,
    name)`` -> seconds) of two measured runs (``measured_s[name]``, seconds) meets it.

    On ``every_copy_waited`` (on-demand) each copy is issued and then waited for, so that run
    fixes their sum; ``prefetching`` (se-moe) waits for fewer copies than it issues, which
    separates them. Host time on the compute path can hide behind copies still on the link, so
    the times are not linear in the terms: for each issue cost the wait term that meets the
    first run is solved for, and the issue cost is solved for on the second run along that
    line (where its time is monotonic; when it is not met on the line, the nearer end).
    Evictions are not a term of their own: every copy into a full table evicts one expert, so
    their cost is inside ``copy_issue_s``.
    Without a ``prefetching`` run, the first run's time per copy all goes to ``wait_resume_s``
    (``copy_issue_s`` stays as given).
    """
    first = every_copy_waited

    def resume_for(issue: float) -> float:
        c = replace(cost, copy_issue_s=issue)
        return _solve(lambda x: simulate(replace(c, wait_resume_s=x), first), measured_s[first],
                      tol)

    if prefetching is None:
        cost = replace(cost, wait_resume_s=resume_for(cost.copy_issue_s))
    else:
        def second(issue: float) -> float:
            return simulate(replace(cost, copy_issue_s=issue, wait_resume_s=resume_for(issue)),
                            prefetching)

        target = measured_s[prefetching]
        # the issue cost that leaves no wait term: the whole of the first run's time per copy
        top = _solve(lambda x: simulate(replace(cost, copy_issue_s=x, wait_resume_s=0.0), first),
                     measured_s[first], tol)
        low, high = second(0.0), second(top)
        if (low - target) * (high - target) > 0:  # not between: the nearer end
            issue = 0.0 if abs(low - target) <= abs(high - target) else top
        elif low <= high:
            issue = _bisect(second, target, 0.0, top, tol)
        else:  # the second run's time falls as issue time replaces wait time
            issue = _bisect(lambda x: -second(x), -target, 0.0, top, tol)
        cost = replace(cost, copy_issue_s=issue, wait_resume_s=resume_for(issue))
    simulated = {name: simulate(cost, name) for name in (first, prefetching) if name}
    return HostCostFit(cost, {n: measured_s[n] for n in simulated}, simulated)
