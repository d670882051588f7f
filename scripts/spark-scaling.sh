#!/usr/bin/env bash
# The per-step cost of the Spark path against one JVM, and 1 vs 2 workers, on pretraining steps of the tiny config's
# shape and of the 3.7M bench shape (docs/DISTRIBUTED.md has the numbers measured with it). Synthetic corpus (the
# step's cost does not depend on the text); each step is two micro-batches of 16 x 128 tokens.
#   scripts/spark-scaling.sh [STEPS]     (default 12; the first two steps are not counted)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${1:-12}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rlhf4j-scaling.XXXXXX")"
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 400); do
  sed -n "$(( (i * 7) % 40 + 1 )),+20p" "$root/src/test/resources/corpus/tiny.txt"
done >"$work/corpus.txt"
shapes=("tiny:8:4:64:1024" "3.7m:4:4:256:2048")
modes=("one JVM:" "local[2], 1 task:local[2]:1" "local[2], 2 tasks:local[2]:2" "local-cluster, 2 executor JVMs:local-cluster[2,1,2048]:2")
printf '| shape | where the micro-batches run | ms per step (mean of steps 3..%d) |\n| --- | --- | --- |\n' "$steps"
for shape in "${shapes[@]}"; do
  IFS=: read -r name layers heads dim vocab <<<"$shape"
  for mode in "${modes[@]}"; do
    IFS=: read -r label master workers <<<"$mode"
    run="$name-$(echo "$label" | tr -c 'a-z0-9' '-')"
    args=(pretrain --config "$root/configs/tiny.yaml" --set "run.out_dir=$work/ckpt" --set "run.name=$run"
      --set "model.n_layer=$layers" --set "model.n_head=$heads" --set "model.n_embd=$dim" --set model.block_size=128
      --set "tokenizer.vocab_size=$vocab" --set "pretrain.data.train=$work/corpus.txt" --set pretrain.batch_size=16
      --set pretrain.grad_accum_steps=2 --set "pretrain.max_steps=$steps" --set pretrain.eval_every=100000
      --set pretrain.checkpoint_every=100000 --set pretrain.sample_tokens=0 --set pretrain.eval_batches=1)
    if [ -n "$master" ]; then
      args+=(--set "distributed.master=$master" --set "distributed.workers=$workers")
    fi
    "$root/train" "${args[@]}" >"$work/$run.log" 2>&1 || { cat "$work/$run.log" >&2; exit 1; }
    ms=$(python3 - "$work/ckpt/$run/pretrain/metrics.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["elapsed_s"]]
t = [float(r["elapsed_s"]) for r in rows]
print(f"{1000 * (t[-1] - t[1]) / (len(t) - 2):.0f}")
PY
)
    printf '| %s | %s | %s |\n' "$name" "$label" "$ms"
  done
done
