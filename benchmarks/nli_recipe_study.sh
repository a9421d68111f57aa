#!/bin/bash
# NLI core recipe study on a GPU (docs/benchmarks.md, "NLI core"): ten recipes of
# `python -m verifier.train_nli` at once, each replaying with --pairs what a CPU run of about
# 80 minutes on the 2-core machine sees (the two *_big runs: 3x that, the ceiling), each judged
# on the Climate-FEVER calibration claims and, for the record, on the held-out sets.
#
# Inputs, in the repository root (.devcarry/ is git-ignored; nothing here is committed data):
#   .devcarry/minilm/        the installed all-MiniLM-L6-v2 files, model.safetensors cast to fp16
#                            (so the tree fits the 64 MiB the GPU machine takes)
#   .devcarry/shared/data/   ../shared/data/nli/train.jsonl as train.jsonl.xz, and climate-fever/
# Output: $OUT/sweep.json (every run's nli_core.json figures and training record), $OUT/logs.tgz.
# Env: DEV (cuda), ONLY (names of the runs to do), RUN_LIMIT (seconds a run may take), EXTRA (more
# train_nli flags, last wins: DEV=cpu EXTRA="--pairs 64 --eval-limit 10" is a smoke test).
set -u
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
S=/tmp/sh; mkdir -p $S/data/nli $S/data/climate-fever
xz -dc .devcarry/shared/data/nli/train.jsonl.xz > $S/data/nli/train.jsonl
cp .devcarry/shared/data/climate-fever/* $S/data/climate-fever/
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import transformers, torch, sklearn; print(transformers.__version__, torch.__version__)"
C="python3 -m verifier.train_nli --device ${DEV:-cuda} --threads 1 --epochs 12 --shared $S --base-dir .devcarry/minilm"
declare -A R=(
 [A_base3]="--train-layers 3 --lr 2e-4 --cf-repeat 2 --nli-scale 2.5 --pairs 100000"
 [B_base3_s14]="--train-layers 3 --lr 2e-4 --cf-repeat 2 --nli-scale 2.5 --pairs 100000 --seed 14"
 [C_f6_lr5e5]="--train-layers 6 --lr 5e-5 --cf-repeat 2 --nli-scale 2.5 --pairs 85000"
 [D_f6_lr1e4]="--train-layers 6 --lr 1e-4 --cf-repeat 2 --nli-scale 2.5 --pairs 85000"
 [E_f6_lr3e5]="--train-layers 6 --lr 3e-5 --cf-repeat 2 --nli-scale 2.5 --pairs 85000"
 [F_f6_lr1e4_cf3]="--train-layers 6 --lr 1e-4 --cf-repeat 3 --nli-scale 2.5 --pairs 85000"
 [G_f6_lr1e4_n45]="--train-layers 6 --lr 1e-4 --cf-repeat 2 --nli-scale 4.5 --pairs 85000"
 [H_f6_lr5e5_big]="--train-layers 6 --lr 5e-5 --cf-repeat 2 --nli-scale 4.5 --pairs 300000"
 [I_t3_big]="--train-layers 3 --lr 2e-4 --cf-repeat 2 --nli-scale 4.5 --pairs 300000"
 [J_f6_lr5e5_s14]="--train-layers 6 --lr 5e-5 --cf-repeat 2 --nli-scale 2.5 --pairs 85000 --seed 14"
)
mkdir -p /tmp/logs /tmp/runs
PIDS=()
for k in ${ONLY:-"${!R[@]}"}; do
  timeout ${RUN_LIMIT:-470} $C ${R[$k]} --out /tmp/runs/$k ${EXTRA:-} > /tmp/logs/$k.log 2>&1 &
  PIDS+=($!)
done
( while sleep 45; do for f in /tmp/logs/*.log; do echo "$(basename $f) $(grep -c step $f) $(tail -c 120 $f | tr '\n' ' ')"; done; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader; done ) &
MON=$!
wait "${PIDS[@]}"; kill $MON
python3 - <<'PY'
import json, glob, os
out = {}
for d in sorted(glob.glob("/tmp/runs/*")):
    p = os.path.join(d, "nli_core.json")
    if os.path.exists(p):
        m = json.load(open(p)); out[os.path.basename(d)] = {"trained": m.get("trained"), "figures": m.get("figures"), "T": m.get("temperature"), "b": m.get("class_bias")}
json.dump(out, open(os.environ["OUT"] + "/sweep.json", "w"), indent=1)
for k, v in out.items():
    f = v["figures"] or {}
    print(k, {n: f[n]["macro_f1"] for n in f} if f else "no figures", v["trained"]["pairs_seen"] if v["trained"] else "")
PY
tar czf $OUT/logs.tgz -C /tmp logs
