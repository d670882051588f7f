#!/usr/bin/env bash
# Pretrains the 12.3M bench shape (configs/bench/bench-12m.yaml) on the default corpus for the same steps, from the
# same seed, once with FP32 and once with BF16 matrix products, and prints each run's validation loss curve and the
# last ones' relative difference. Usage: scripts/precision-loss.sh [STEPS] (default 300); the runs go to
# checkpoints/precision-12m-{fp32,bf16}/pretrain. docs/PERFORMANCE.md has the measured result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps="${1:-300}"
every=$(( steps / 3 ))
for p in fp32 bf16; do
  ./train pretrain --config configs/bench/bench-12m.yaml --overwrite --set run.name="precision-12m-$p" \
    --set model.precision="$p" --set pretrain.max_steps="$steps" --set pretrain.batch_size=8 \
    --set pretrain.eval_every="$every" --set pretrain.eval_batches=16 --set pretrain.sample_tokens=0 \
    --set pretrain.warmup_steps=30 | grep -E "^(engine|pretrain done)"
done
python3 - "$steps" <<'PY'
import csv, sys
curves = {}
for p in ("fp32", "bf16"):
    with open(f"checkpoints/precision-12m-{p}/pretrain/metrics.csv") as f:
        curves[p] = [(int(r["step"]), float(r["val_loss"])) for r in csv.DictReader(f) if r["val_loss"]]
for (step, a), (_, b) in zip(curves["fp32"], curves["bf16"]):
    print(f"step {step:5d}  val loss fp32 {a:.4f}  bf16 {b:.4f}  bf16/fp32 - 1 = {b / a - 1:+.2%}")
PY
