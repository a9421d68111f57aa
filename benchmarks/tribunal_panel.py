"""Benchmark: how well the rubric panel separates clean drafts from drafts with one planted error,
and what drafting, reviewing and rendering cost. Prints one JSON document.

    .venv/bin/python benchmarks/tribunal_panel.py [--variants 30]

Planted errors (tribunal/planting.py): a contradicted claim shown as supported, a dropped
baseline, a measured number altered by +30%. "separated" counts pairs where the planted draft
scores strictly lower AND the skeptic names the planted claim in a critical/major finding.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import reports  # noqa: E402
from reports.sample_runs import sample_run  # noqa: E402
from tribunal import review_draft  # noqa: E402
from tribunal.planting import PLANTS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", type=int, default=30)
    args = ap.parse_args()
    per_plant: dict[str, dict[str, list[float] | int]] = {}
    t_draft, t_review, t_md, t_html = [], [], [], []
    for k in range(args.variants):
        run = sample_run(k, bad_headlines=k % 3 == 2)
        t0 = time.perf_counter()
        clean = reports.draft(run)
        t_draft.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        s_clean = review_draft(clean, run, 1)
        t_review.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        reports.render_markdown(clean)
        t_md.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        reports.render_html(clean)
        t_html.append(time.perf_counter() - t0)
        for i, plant in enumerate(PLANTS):
            kw = {} if plant.__name__ == "contradicted_as_supported" else {"nth": k + i}
            bad, cid = plant(clean, run, **kw)
            s_bad = review_draft(bad, run, 1)
            named = cid in {f.claim_id for f in s_bad.findings("skeptic") if f.severity in ("critical", "major")}
            rec = per_plant.setdefault(plant.__name__, {"pairs": 0, "separated": 0, "margins": []})
            rec["pairs"] += 1
            rec["separated"] += int(s_bad.score < s_clean.score and named)
            rec["margins"].append(round(s_clean.score - s_bad.score, 2))
    ms = lambda xs: round(1000 * statistics.median(xs), 2)  # noqa: E731
    out = {
        "variants": args.variants,
        "plants": {name: {"pairs": r["pairs"], "separated": r["separated"],
                          "min_margin": min(r["margins"]), "median_margin": statistics.median(r["margins"])}
                   for name, r in per_plant.items()},
        "median_ms": {"draft": ms(t_draft), "panel_review_rubric": ms(t_review),
                      "render_markdown": ms(t_md), "render_html_inline_plotly": ms(t_html)},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
