"""Runtime benchmark: every baseline on the tiny presets (emulated A40 + PCIe 4.0 link) and, when
CUDA is present, a full-size Mixtral-8x7B layer stack over the real link. Prints one JSON document
(list of bench documents) and the tables on stderr.

    python benchmarks/runtime_bench.py [--quick] [--cuda-layers N]
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from expertflow_runtime.bench import bench, format_table
from expertflow_runtime.policies import BASELINES


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small batch and few tokens")
    ap.add_argument("--cuda-layers", type=int, default=4, help="Mixtral-8x7B blocks on CUDA")
    args = ap.parse_args()
    batch, new = (4, 8) if args.quick else (16, 32)
    docs = []
    for preset, budget in (("mixtral-tiny", 2), ("qwen-moe-tiny", 4), ("switch-tiny", 2)):
        docs.append(bench(preset, list(BASELINES), budget=budget, batch=batch,
                          link="emulated:a40-pcie4", new_tokens=new))
        print(format_table(docs[-1]), file=sys.stderr)
    if torch.cuda.is_available():
        docs.append(bench("mixtral-8x7b", list(BASELINES), budget=2, batch=batch, link="cuda",
                          layers=args.cuda_layers, new_tokens=new, weights="random"))
        print(format_table(docs[-1]), file=sys.stderr)
    print(json.dumps(docs))


if __name__ == "__main__":
    main()
