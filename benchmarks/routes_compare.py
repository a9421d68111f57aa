"""How far mixtral-tiny's routes and the simulator's synthetic routes are from real Mixtral-8x7B
routes, and what the policies' ranking does on each as a full-size workload.

    .venv/bin/python benchmarks/routes_compare.py [--routes ../shared/data/routing/mixtral-8x7b]
        [--budget 2] [--batch 16] [--groups 2] [--skip-sim]

Three sources of per-token routes, each a list of texts [T, L, K]:

* ``real``: Mixtral-8x7B-Instruct decoding (vLLM), 577 tokens x 32 layers (../shared/data/routing);
* ``mixtral-tiny``: the trained small model's routes on held-out text (the trace recorded when it
  was trained, in the data home; absent -> reported as missing, not replaced);
* ``synthetic``: the simulator's default synthetic routes (Zipf 1.0, stickiness 0.3).

Locality, per layer then averaged over layers: normalised entropy of expert popularity (1 =
uniform), the share of routings that go to the layer's two most popular experts, the share of a
token's experts that the previous token also chose, and the hit rate of an LRU cache of 2 of 8
experts fed one text at a time. Then each source, cut into the same windows and tiled onto 32
layers where it has fewer, is simulated at full size (A40, PCIe 4.0, every policy's planning
charged) and the policies are ranked. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from expertflow_runtime.presets import from_name  # noqa: E402
from expertflow_runtime.simulator.run import SimConfig, run_simulation  # noqa: E402
from expertflow_runtime.simulator.workload import (  # noqa: E402
    real_routes,
    synthetic_trace,
    trace_from_routes,
)
from expertflow_runtime.trace import RoutingTrace  # noqa: E402
from expertflow_runtime.training import checkpoint_dir  # noqa: E402

POLICIES = ["all-resident", "on-demand", "lru", "lru-global", "lfu", "lfru", "se-moe", "belady",
            "expertflow", "expertflow-oracle"]


def locality(texts: list[np.ndarray], num_experts: int, cache: int = 2) -> dict:
    """Per-layer locality figures averaged over layers (see the module docstring)."""
    L = texts[0].shape[1]
    entropy, top2, reuse, lru = [], [], [], []
    for layer in range(L):
        counts = np.zeros(num_experts)
        same = total = hits = asked = 0
        for ex in texts:
            rows = ex[:, layer]  # [T, K]
            for e in rows[rows >= 0]:
                counts[e] += 1
            slots: OrderedDict[int, None] = OrderedDict()
            prev: set[int] = set()
            for row in rows:
                now = {int(e) for e in row if e >= 0}
                if not now:
                    continue
                same += len(now & prev)
                total += len(now) if prev else 0
                prev = now
                for e in now:  # one text at a time: batch 1, the cache of one layer
                    asked += 1
                    if e in slots:
                        hits += 1
                        slots.move_to_end(e)
                    else:
                        slots[e] = None
                        if len(slots) > cache:
                            slots.popitem(last=False)
        p = counts / max(counts.sum(), 1)
        nz = p[p > 0]
        entropy.append(float(-(nz * np.log(nz)).sum() / np.log(num_experts)))
        top2.append(float(np.sort(p)[-2:].sum()))
        reuse.append(same / max(total, 1))
        lru.append(hits / max(asked, 1))
    return dict(layers=L, tokens=int(sum(len(t) for t in texts)),
                popularity_entropy=float(np.mean(entropy)), top2_share=float(np.mean(top2)),
                previous_token_reuse=float(np.mean(reuse)), lru_hit_rate_2_of_8=float(np.mean(lru)),
                top2_share_by_layer=top2)


def tiny_texts() -> tuple[list[np.ndarray] | None, str]:
    path = checkpoint_dir("mixtral-tiny") / "traces" / "heldout.npz"
    if not path.is_file():
        return None, f"missing: no trained mixtral-tiny trace at {path}"
    trace = RoutingTrace.load(path)
    return [trace.sequence(s)[1] for s in range(trace.num_sequences)], f"held-out text, {path}"


def tile(texts: list[np.ndarray], layers: int) -> list[np.ndarray]:
    """Layer l takes the routes of layer l mod L (the small model has 4 of Mixtral's 32)."""
    return [t[:, np.arange(layers) % t.shape[1]] for t in texts]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--routes", default=str(ROOT.parent / "shared" / "data" / "routing" / "mixtral-8x7b"))
    ap.add_argument("--budget", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--groups", type=int, default=2)
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--skip-sim", action="store_true", help="locality figures only")
    args = ap.parse_args()
    preset = from_name("mixtral-8x7b")
    real = real_routes(args.routes)
    synth = synthetic_trace(preset, sequences=8, prompt_len=0, gen_len=80, seed=0)
    sources = {"real": (real, f"Mixtral-8x7B-Instruct, {args.routes}"),
               "synthetic": ([synth.sequence(s)[1] for s in range(synth.num_sequences)],
                             "simulator default: zipf 1.0, stickiness 0.3, seed 0")}
    tiny, tiny_note = tiny_texts()
    if tiny is not None:
        sources["mixtral-tiny"] = (tiny, tiny_note)
    doc: dict = {"config": vars(args), "sources": {}, "simulated": {}}
    if tiny is None:
        doc["sources"]["mixtral-tiny"] = {"note": tiny_note}
    for name, (texts, note) in sources.items():
        doc["sources"][name] = {"note": note, **locality(texts, preset.num_experts)}
        d = doc["sources"][name]
        print(f"{name:>13}: entropy {d['popularity_entropy']:.3f}, top-2 share {d['top2_share']:.3f}, "
              f"reuse {d['previous_token_reuse']:.3f}, LRU 2/8 {d['lru_hit_rate_2_of_8']:.3f}",
              file=sys.stderr, flush=True)
    if not args.skip_sim:
        for name, (texts, _) in sources.items():
            trace = trace_from_routes(tile(texts, preset.moe_layers), preset,
                                      sequences=args.batch * args.groups)
            cfg = SimConfig(preset=preset.name, policies=args.policies.split(","),
                            budget=args.budget, batch=args.batch, groups=args.groups)
            out = run_simulation(cfg, trace=trace)
            rows = sorted(out["results"], key=lambda r: -r["tokens_per_s"])
            doc["simulated"][name] = dict(
                trace=trace.extra["source"], recall=out["config"]["recall"],
                recall_source=out["config"]["recall_source"],
                ranking=[r["policy"] for r in rows],
                results=[{k: r[k] for k in ("policy", "tokens_per_s", "vs_all_resident", "hit_rate",
                                             "on_time_hit_rate", "experts_loaded", "stall_s",
                                             "planning_s_per_step")} for r in rows])
            print(f"{name:>13}: " + " > ".join(f"{r['policy']} {r['tokens_per_s']:.2f}" for r in rows),
                  file=sys.stderr, flush=True)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
