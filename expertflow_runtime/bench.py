"""``sovereign runtime bench``: every policy on the same model, prompts and link.

Returns (and the CLI prints) one document::

    {"config": {preset, layers, weights, checkpoint, link, budget_per_layer, capacity, batch,
                prompt_len, new_tokens, emulated_copy_ms, device, ...},
     "results": [{"policy", "tokens_per_s", "hit_rate", "ttft_s", "tpot_s", "experts_loaded",
                  "bytes_moved", "stall_s", "peak_slots", "identical_to_all_resident", ...}]}

The all-resident run is always made first as the reference (tokens and routing trace); it is
listed only when asked for. ``static`` gets its popularity profile from an all-resident run on
separate calibration prompts (training text), never from the measured prompts; policies that
take ``oracle_trace`` (expertflow-oracle, belady) get the routes of a recorded all-resident run
of the measured prompts. Decoder-only presets decode ``groups`` micro-batches of ``batch``
sequences in rounds (default 2, so ExpertFlow's scheduler has two batches to merge; every
policy runs that same workload); encoder-decoder presets decode one batch. Each policy runs
``repeats`` times, interleaved across policies, and its median run by throughput is reported
(tokens must match all-resident in every one); ``comparison`` holds each predictive policy's
ratio to the strongest non-predictive one and to the references.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import torch

from expertflow_runtime import corpus
from expertflow_runtime.engine import Engine
from expertflow_runtime.errors import BadInput, BudgetError
from expertflow_runtime.execution.links import measure_h2d_bandwidth
from expertflow_runtime.expertflow_engine import generate_grouped
from expertflow_runtime.policies import NON_PREDICTIVE, make_policy, policy_factory, policy_names
from expertflow_runtime.presets import ModelPreset, from_name
from expertflow_runtime.training import checkpoint_dir, require_checkpoint

RESULT_KEYS = ("policy", "tokens_per_s", "hit_rate", "ttft_s", "tpot_s", "experts_loaded",
               "bytes_moved", "stall_s", "peak_slots", "identical_to_all_resident")


def parse_budget(budget: str | int, preset: ModelPreset, moe_layers: int) -> int:
    """Experts per layer from ``N`` (experts per layer) or ``X GiB`` / ``X GB`` (total)."""
    text = str(budget).strip()
    m = re.fullmatch(r"([0-9.]+)\s*(GiB|GB|gib|gb)", text)
    E = preset.num_experts
    if m:
        unit = 2**30 if m.group(2).lower() == "gib" else 10**9
        per_layer = int(float(m.group(1)) * unit // (preset.expert_bytes * moe_layers))
    elif text.isdigit():
        per_layer = int(text)
    else:
        raise BudgetError(f"budget {text!r} is not a number of experts per layer or '<X>GiB'; "
                          f"valid: 1..{E} experts per layer")
    if per_layer < 1:
        raise BudgetError(f"budget {text!r} is below one expert per layer; valid: 1..{E} experts "
                          f"per layer (one expert = {preset.expert_bytes / 2**20:.1f} MiB)")
    if per_layer > E:
        raise BudgetError(f"budget {text!r} is larger than the model ({E} experts per layer); "
                          f"valid: 1..{E}")
    return per_layer


def _policy_kwargs(name: str, available: dict) -> dict:
    """The subset of ``available`` the policy's factory accepts (all of it for **kwargs)."""
    params = inspect.signature(policy_factory(name)).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(available)
    return {k: v for k, v in available.items() if k in params}


def resolve_weights(preset: ModelPreset, checkpoint: str | Path | None,
                    weights: str) -> tuple[Path | None, str]:
    """(checkpoint dir or None, label). ``weights``: auto | trained | random."""
    if weights not in ("auto", "trained", "random"):
        raise BadInput(f"weights {weights!r}; valid: auto, trained, random")
    if checkpoint is not None:
        return require_checkpoint(checkpoint), "checkpoint"
    if weights == "random":
        return None, "random"
    trained = checkpoint_dir(preset)
    if (trained / "config.json").is_file():
        return trained, "trained"
    if weights == "trained":
        require_checkpoint(trained)  # raises CheckpointError naming the command to run
    return None, "random"


def bench(preset: str, policies: list[str], *, budget: str | int = 2, batch: int = 16,
          link: str = "emulated:a40-pcie4", prompt_len: int = 64, new_tokens: int = 32,
          checkpoint: str | Path | None = None, weights: str = "auto", layers: int | None = None,
          seed: int = 0, trace_out: str | Path | None = None, threads: int | None = None,
          repeats: int = 3, groups: int | None = None, routes: str | Path | None = None,
          recall: float | None = None, log=None) -> dict:
    """Run ``policies`` on ``preset`` and return the benchmark document (see module doc)."""
    p = from_name(preset)
    valid = policy_names()
    for name in policies:
        if name not in valid:
            raise BadInput(f"unknown policy {name!r}; valid: {', '.join(valid)}")
    if not policies:
        raise BadInput(f"no policies given; valid: {', '.join(valid)}")
    if min(batch, prompt_len, new_tokens, repeats) < 1:
        raise BadInput("batch, prompt length, new tokens and repeats must be >= 1")
    switch = p.family == "switch"
    groups = (1 if switch else 2) if groups is None else groups
    if groups < 1 or (switch and groups > 1):
        raise BadInput(f"groups {groups}; valid: 1 for encoder-decoder presets, >= 1 "
                       "otherwise")
    if layers is not None:
        if not 2 <= layers <= p.num_layers:
            raise BadInput(f"layers {layers} outside [2, {p.num_layers}] for {p.name}")
        p = p.with_layers(layers)
    ckpt, weights_label = resolve_weights(p, checkpoint, weights)
    per_layer = parse_budget(budget, p, p.moe_layers)
    set_cpu_threads(p, threads)
    engine = Engine.build(p, checkpoint=ckpt, link=link, seed=seed, batch_hint=batch)
    capacity = engine.capacity_for(per_layer)
    prompts = corpus.prompts(batch * groups, prompt_len, split="heldout", seed=seed)
    say = log or (lambda _msg: None)
    if routes is not None:
        engine.runtime.forced = _forced_routes(routes, p, prompts)
    if recall is not None and not 0.0 <= recall <= 1.0:
        raise BadInput(f"recall {recall} outside [0, 1]")

    def run(policy) -> tuple[list[list[int]], dict, dict | None]:
        """One timed decode of every prompt: (tokens, metrics, the policy's overheads)."""
        if groups == 1:
            r = engine.generate(prompts, new_tokens, policy=policy, capacity=capacity)
            return r.tokens, r.metrics.as_dict(), r.overheads
        g = generate_grouped(engine, prompts, new_tokens, policy=policy, capacity=capacity,
                             groups=groups)
        return g.tokens, g.metrics, getattr(policy, "overheads", lambda: None)()

    # Warm-up (allocator, kernels) so the first measured policy is not penalised; the
    # reference tokens come from an all-resident decode of the same workload, and the routes
    # the oracle and Belady read from a recorded all-resident run of the same prompts.
    engine.generate(prompts[:2], 2, policy=make_policy("all-resident"), capacity=capacity)
    ref_tokens, ref_metrics, _ = run(make_policy("all-resident"))
    say(f"all-resident: {ref_metrics['tokens_per_s']:.1f} tok/s")
    recorded = engine.generate(prompts, new_tokens, policy=make_policy("all-resident"),
                               capacity=capacity, record_trace=True)
    if trace_out:
        recorded.trace.save(trace_out)
    available: dict = {"oracle_trace": recorded.trace}
    if ckpt is not None:
        available["checkpoint_dir"] = ckpt
    if "static" in policies:
        calib = corpus.prompts(batch, prompt_len, split="train", seed=seed + 1)
        prof = engine.generate(calib, min(new_tokens, 8), policy=make_policy("all-resident"),
                               capacity=capacity, record_trace=True)
        available["popularity"] = prof.trace.popularity().tolist()

    # Repeats interleaved (every policy once, then again): machine drift moves every policy
    # alike instead of whichever ran at the time. The median run by throughput is reported.
    runs: dict[str, list[tuple]] = {name: [] for name in policies}
    kwargs = {name: _policy_kwargs(name, available) for name in policies}
    if recall is not None and "expertflow" in kwargs:
        # the predictor stood in for by the recorded routes at a stated per-expert recall
        from expertflow_runtime.expertflow_sources import NoisyTraceSource

        kwargs["expertflow"]["source"] = NoisyTraceSource(recorded.trace, recall, seed)
    for rep in range(repeats):
        for name in policies:
            runs[name].append(run(make_policy(name, **kwargs[name])))
            say(f"round {rep + 1}/{repeats}: {name} {runs[name][-1][1]['tokens_per_s']:.1f} tok/s")
    results = []
    for name in policies:
        done = sorted(runs[name], key=lambda r: r[1]["tokens_per_s"])
        tokens, metrics, overheads = done[len(done) // 2]
        row = dict(metrics)
        row["policy"] = name
        row["repeats"] = len(done)
        row["tokens_per_s_runs"] = [r[1]["tokens_per_s"] for r in done]
        row["identical_to_all_resident"] = all(r[0] == ref_tokens for r in done)
        if overheads:
            row["overheads"] = overheads
        results.append(row)
        say(f"{name}: {row['tokens_per_s']:.1f} tok/s (median of {len(done)}), hit rate "
            f"{row['hit_rate']:.3f}, on time {row['on_time_hit_rate']:.3f}")
    config = dict(preset=p.name, layers=p.num_layers, moe_layers=engine.num_layers,
                  weights=weights_label, checkpoint=str(ckpt) if ckpt else None,
                  link=engine.link_spec.label, budget_per_layer=per_layer, capacity=capacity,
                  batch=batch, groups=groups, sequences=batch * groups, prompt_len=prompt_len,
                  new_tokens=new_tokens, seed=seed, repeats=repeats,
                  repeats_note="interleaved across policies; each row is the median run",
                  routes=str(routes) if routes else "the model's own routers",
                  routes_window=engine.runtime.forced.window if routes else None,
                  expertflow_source=(f"recorded routes at recall {recall} (stated, not a trained "
                                     "predictor)" if recall is not None else "trained predictor"),
                  expert_bytes=engine.layout.nbytes, device=_device_name(engine.device),
                  cpu_threads=torch.get_num_threads(),
                  emulated_copy_ms=(engine.seconds_per_byte * engine.layout.nbytes * 1e3
                                    if engine.link_spec.kind == "emulated" else None),
                  h2d_gbps=(measure_h2d_bandwidth(engine.device) / 1e9
                            if engine.device.type == "cuda" else None))
    copy_s = engine.seconds_per_byte * engine.layout.nbytes if engine.link_spec.kind == "emulated" else None
    return {"config": config, "results": results, "comparison": compare(results, copy_s)}


def _forced_routes(routes: str | Path, p: ModelPreset, prompts: list[list[int]]):
    """Recorded real routes in place of the routers' (decoder-only presets)."""
    from expertflow_runtime.forced_routes import ForcedRoutes
    from expertflow_runtime.simulator.workload import real_routes

    if p.family == "switch":
        raise BadInput("--routes: recorded routes are decoder-only; use a decoder-only "
                       "preset such as mixtral-8x7b")
    return ForcedRoutes(real_routes(routes), prompts, p.num_experts, p.top_k)


def compare(results: list[dict], copy_s: float | None = None) -> dict:
    """Each predictive policy against the strongest non-predictive one and the references, and
    where each policy's time beyond all-resident's goes.

    With ``belady`` and ``all-resident`` measured and a modelled copy time ``copy_s``,
    ``belady_bound_tokens_per_s`` is a bound, not a measurement: all-resident's time or
    Belady's copies back to back on the link, whichever is longer (perfect overlap)."""
    rate = {r["policy"]: r["tokens_per_s"] for r in results}
    by_name = {r["policy"]: r for r in results}
    out: dict = {}
    ref = by_name.get("all-resident")
    if ref is not None:
        out["gap_to_all_resident_s"] = {}
        for r in results:
            over = r.get("overheads") or {}
            parts = dict(total=r["total_s"] - ref["total_s"], stall=r["stall_s"],
                         predictor=over.get("predictor_s", 0.0),
                         scheduler=over.get("scheduler_s", 0.0),
                         kv_regroup=r.get("kv_regroup_s", 0.0))
            parts["rest"] = parts["total"] - sum(v for k, v in parts.items() if k != "total")
            out["gap_to_all_resident_s"][r["policy"]] = parts
        if "belady" in by_name and copy_s:
            floor_s = max(ref["total_s"], by_name["belady"]["experts_loaded"] * copy_s)
            out["belady_bound_tokens_per_s"] = ref["tokens_per_s"] * ref["total_s"] / floor_s
    plain = {n: rate[n] for n in NON_PREDICTIVE if n in rate}
    strongest = max(plain, key=plain.get) if plain else None
    out["strongest_non_predictive"] = strongest
    for name in rate:
        if name.startswith("expertflow") or name in ("pregated", "belady"):
            row = {}
            if strongest:
                row["vs_strongest_non_predictive"] = rate[name] / plain[strongest]
            for ref in ("expertflow-oracle", "belady", "all-resident"):
                if ref in rate and ref != name:
                    row[f"vs_{ref}"] = rate[name] / rate[ref]
            out[name] = row
    return out


def set_cpu_threads(p: ModelPreset, threads: int | None) -> None:
    """Tiny models run single-threaded unless told otherwise: their ops are ~30 us, and on a
    shared 2-core machine an OpenMP barrier waiting for a descheduled second thread costs ~30 ms."""
    if threads is not None:
        if threads < 1:
            raise BadInput(f"threads {threads}; valid: >= 1")
        torch.set_num_threads(threads)
    elif p.tiny:
        torch.set_num_threads(1)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"


def format_table(doc: dict) -> str:
    """A fixed-width text table of the results, with the ratio to all-resident when present."""
    rows = doc["results"]
    base = next((r["tokens_per_s"] for r in rows if r["policy"] == "all-resident"), None)
    head = (f"{'policy':<26}{'tok/s':>9}{'x res':>7}{'hit':>7}{'on-time':>8}{'ttft s':>8}"
            f"{'tpot ms':>9}{'loaded':>8}{'stall s':>9}{'peak':>6}{'dev MiB':>9}  same")
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = f"{r['tokens_per_s'] / base:.2f}" if base else "-"
        dev = r.get("peak_device_bytes")
        lines.append(f"{r['policy']:<26}{r['tokens_per_s']:>9.1f}{ratio:>7}{r['hit_rate']:>7.3f}"
                     f"{r.get('on_time_hit_rate', r['hit_rate']):>8.3f}{r['ttft_s']:>8.3f}"
                     f"{r['tpot_s'] * 1e3:>9.2f}{r['experts_loaded']:>8}{r['stall_s']:>9.3f}"
                     f"{r['peak_slots']:>6}{(dev or 0) / 2**20:>9.1f}"
                     f"  {'yes' if r['identical_to_all_resident'] else 'NO'}")
    c = doc["config"]
    lines.append(f"{c['preset']} ({c['weights']} weights), {c['moe_layers']} MoE layers, budget "
                 f"{c['budget_per_layer']}/layer = {c['capacity']} slots, batch {c['batch']} x "
                 f"{c.get('groups', 1)} groups, prompt {c['prompt_len']}, {c['new_tokens']} new "
                 f"tokens, link {c['link']}, {c['device']}, median of {c.get('repeats', 1)} "
                 "interleaved repeats"
                 + (f", H2D {c['h2d_gbps']:.1f} GB/s" if c.get("h2d_gbps") else ""))
    comp = doc.get("comparison") or {}
    if comp.get("belady_bound_tokens_per_s"):
        lines.append(f"bound (all-resident compute, Belady's copies fully overlapped): "
                     f"{comp['belady_bound_tokens_per_s']:.1f} tok/s")
    if comp.get("strongest_non_predictive"):
        lines.append(f"strongest non-predictive: {comp['strongest_non_predictive']}")
        for name, ratios in comp.items():
            if name.startswith(("expertflow", "pregated", "belady")) and isinstance(ratios, dict) and ratios:
                lines.append(f"  {name}: " + ", ".join(f"{k.removeprefix('vs_')} x{v:.2f}"
                                                      for k, v in ratios.items()))
    return "\n".join(lines)
