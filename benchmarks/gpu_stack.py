"""A full-size Mixtral-8x7B layer stack on a real GPU: every policy over ``--link cuda`` with the
real Mixtral-8x7B routes imposed on the routers. Prints ONE JSON document (and writes it to
``--out``): the device, the measured pinned host-to-device bandwidth, the hardware profile that
bandwidth gives, and the ``runtime bench`` document (tokens/s per policy, median of interleaved
repeats). Progress goes to stderr, one line per run, so a run cut short still says how far it got.

    python benchmarks/gpu_stack.py --routes ../shared/data/routing/mixtral-8x7b --layers 8 \\
        --out gpu_stack.json

Needs a CUDA device. The weights are random (built from the configuration on the GPU, then the
experts are moved to pinned host memory); the routes are real, so the expert traffic is the real
model's. The expertflow row's predictor is stood in for by the recorded routes at ``--recall``
(default: mixtral-tiny's trained predictor's measured held-out top-2 recall, see
docs/benchmarks.md); expertflow-oracle has the exact routes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

POLICIES = ("all-resident,on-demand,static,lru,lru-global,lfu,lfru,se-moe,pregated,belady,"
            "expertflow,expertflow-oracle")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--routes", required=True)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--budget", default="2")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--recall", type=float, default=0.924)
    ap.add_argument("--policies", default=POLICIES)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    import torch

    from expertflow_runtime.bench import bench
    from expertflow_runtime.execution.links import measure_h2d_bandwidth
    from expertflow_runtime.presets import PROFILES

    if not torch.cuda.is_available():
        print("error: no CUDA device; this benchmark measures a real GPU", file=sys.stderr)
        return 2
    dev = torch.device("cuda")
    h2d = measure_h2d_bandwidth(dev, nbytes=1 << 30, repeats=5)
    name = torch.cuda.get_device_name(dev)
    print(f"{name}: pinned host->device {h2d / 1e9:.1f} GB/s", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    doc = bench("mixtral-8x7b", args.policies.split(","), budget=args.budget, batch=args.batch,
                link="cuda", prompt_len=args.prompt_len, new_tokens=args.new_tokens,
                weights="random", layers=args.layers, repeats=args.repeats, routes=args.routes,
                recall=args.recall, log=lambda m: print(m, file=sys.stderr, flush=True))
    listed = next((p for p in PROFILES.values() if p.device in name), None)
    out = {
        "device": name,
        "torch": torch.__version__,
        "h2d_gbps_measured": h2d / 1e9,
        "profile_listed": (dict(name=listed.name, link_bw_gbps=listed.link_bw / 1e9)
                           if listed else None),
        "seconds": time.perf_counter() - t0,
        "bench": doc,
    }
    text = json.dumps(out)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
