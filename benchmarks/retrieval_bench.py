"""Retrieval benchmark: corpus import throughput and query latency; prints one JSON document.

Two corpora, each in a fresh SQLite database under a temporary SOVEREIGN_HOME:
* "shared": the 241 real records of ../shared/corpus/*.jsonl;
* "generated": N (default 100,000) records the script writes in the same snapshot format:
  unique new-style ids (2001.00000 onward), titles of 6-12 words and abstracts of 6-10
  sentences of 12-24 words drawn (seeded RNG, word frequencies kept) from the abstracts of
  arxiv-sample.jsonl, the first 200 records of the real dump, so the background looks like
  the dump (mostly physics and maths) rather than 100,000 MoE papers; authors and categories
  from the same records, 1-3 versions with RFC 2822 dates. The 241 shared records are
  imported with them, so the MoE questions have their real answers among the noise.
Import: records/s of `import_snapshot` (JSON parsing, bulk upserts, FTS5 maintenance).
Queries: the planner's queries for each question, hybrid-ranked (`hybrid_rank`): "lexical"
without the dense rerank; "cold" with the dense rerank and an empty embedding cache (the model
already loaded; its load time is reported apart); "warm" the same questions again.

    .venv/bin/python benchmarks/retrieval_bench.py [--records 100000] [--questions 12]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"
FILES = [CORPUS / "moe-inference.jsonl", CORPUS / "arxiv-sample.jsonl"]
QUESTIONS = [
    "How does ExpertFlow's predictive expert caching compare to LRU expert caches for MoE inference?",
    "What speedup does Pre-gated MoE report over SE-MoE?",
    "Is expert offloading viable on consumer GPUs for Mixtral-8x7B?",
    "How do MoE-Infinity and ProMoE prefetch experts?",
    "Which systems batch tokens to share expert loads?",
    "How accurate are expert routing predictors?",
    "What limits throughput of mixture-of-experts inference on a single GPU?",
    "Does quantization of experts reduce offloading cost?",
    "How does Fiddler use the CPU for expert computation?",
    "What is the memory footprint of DeepSeekMoE inference?",
    "How do speculative methods predict experts before the gate runs?",
    "Which papers measure time per output token with expert offloading?",
]


def generate(path: Path, n: int, seed: int = 0) -> None:
    recs = [json.loads(line) for line in FILES[1].open()]
    words = [w for r in recs for w in r["abstract"].split() if w.isalpha()]
    authors = [r["authors"] for r in recs]
    cats = [r["categories"] for r in recs if r["categories"]]
    rng = random.Random(seed)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    def sentence(lo: int, hi: int) -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi))).capitalize()

    with path.open("w") as fh:
        for i in range(n):
            yy, num = 20 + i // 100_000, i % 100_000
            versions = [
                {"version": f"v{v + 1}",
                 "created": f"{rng.choice(days)}, {rng.randint(1, 28)} {rng.choice(months)} "
                            f"20{yy} 12:00:00 GMT"}
                for v in range(rng.randint(1, 3))
            ]
            rec = {
                "id": f"{yy:02d}{(num // 10_000) + 1:02d}.{num % 10_000:05d}",
                "submitter": None, "authors": rng.choice(authors), "title": sentence(6, 12),
                "comments": None, "journal-ref": None, "doi": None, "report-no": None,
                "categories": rng.choice(cats), "license": None,
                "abstract": ". ".join(sentence(12, 24) for _ in range(rng.randint(6, 10))) + ".",
                "versions": versions, "update_date": None, "authors_parsed": [],
            }
            fh.write(json.dumps(rec) + "\n")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(1000 * xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))], 1)


def latency(engine, questions, embedder, cache) -> dict:
    from kernel.retrieval.fusion import hybrid_rank
    from kernel.retrieval.planning import plan_queries, system_names

    times = []
    for q in questions:
        plan = plan_queries(q)
        t = time.perf_counter()
        hybrid_rank(engine, q, plan.queries, names=system_names(plan.key_terms),
                    embedder=embedder, cache=cache)
        times.append(time.perf_counter() - t)
    return {"n": len(times), "p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95),
            "mean_ms": round(1000 * statistics.mean(times), 1)}


def bench(name: str, files: list[Path], home: Path, questions: list[str], embedder) -> dict:
    from kernel.retrieval.corpus import import_snapshot
    from kernel.retrieval.vector_cache import VectorCache
    from kernel.storage.db import make_engine

    engine = make_engine(f"sqlite:///{home / f'{name}.sqlite'}")
    t, cpu = time.perf_counter(), time.process_time()
    report = import_snapshot(engine, files)
    secs, cpu = time.perf_counter() - t, time.process_time() - cpu
    cache = VectorCache(home / f"{name}-vectors.sqlite")
    lexical = latency(engine, questions, None, cache)
    cold = latency(engine, questions, embedder, cache)
    embedded = cache.computed
    warm = latency(engine, questions, embedder, cache)
    return {
        "records": report.read, "malformed": report.malformed,
        "import_s": round(secs, 2), "import_records_per_s": round(report.read / secs),
        # CPU seconds of this process (both threads): what the import costs when the machine
        # is shared, as it is while several engineers run tests on it.
        "import_cpu_s": round(cpu, 2), "import_records_per_cpu_s": round(report.read / cpu),
        "db_mb": round((home / f"{name}.sqlite").stat().st_size / 2**20, 1),
        "query_lexical": lexical, "query_cold": cold, "query_warm": warm,
        "embedded_on_cold_pass": embedded, "embedded_on_warm_pass": cache.computed - embedded,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--questions", type=int, default=len(QUESTIONS))
    args = ap.parse_args()
    if not all(f.is_file() for f in FILES):
        sys.exit(f"shared corpus not found under {CORPUS}")
    questions = QUESTIONS[: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["SOVEREIGN_HOME"] = str(home)
        from kernel.retrieval.embedders import make_embedder
        from kernel.settings import RetrievalSettings

        t = time.perf_counter()
        embedder = make_embedder(RetrievalSettings())
        embedder.encode(["warm up"])
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        generated = home / "generated.jsonl"
        generate(generated, args.records)
        gen_s = time.perf_counter() - t
        result = {
            "machine": {"cpus": os.cpu_count(), "loadavg_1m_at_start": os.getloadavg()[0]},
            "embedder": embedder.name, "embedder_load_s": round(load_s, 2),
            "generate_s": round(gen_s, 2),
            "shared": bench("shared", FILES, home, questions, embedder),
            "generated": bench("generated", [generated, *FILES], home, questions, embedder),
        }
    result["machine"]["loadavg_1m_at_end"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
