#!/usr/bin/env bash
# The recipe sweep of docs/RECIPE.md: each run pretrains (or reuses a pretrained folder) and fine-tunes, and
# the SFT stage scores all 503 held-out prompts greedily at every evaluation (metrics.csv: exact_match, chrf).
# Usage: scripts/recipe-sweep.sh [RUN...]   (default: all runs, one after the other; each takes 5-15 minutes)
# Runs A-J are the first sweep (learned positions), K-O the positions sweep.
# Results: checkpoints/sweep-RUN/sft/metrics.csv and the summary lines printed at the end of each run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The held-out set: SFT's own validation split (5% of sft.jsonl by a hash of the prompt, 503 prompts), never the
# test split. Every run sets each recipe key itself, so the sweep does not depend on what tiny.yaml says today.
common_pre=(--set pretrain.eval_every=1000000 --set pretrain.sample_tokens=0 --set pretrain.warmup_steps=50)
common_sft=(--set sft.data.test= --set sft.eval_examples=503 --set sft.max_new_tokens=48 --set sft.learning_rate=3e-3
            --set sft.min_lr=3e-4 --set sft.warmup_steps=20 --set sft.data.train_extra=)

shape() {  # n_layer n_embd n_head vocab
  echo --set model.n_layer="$1" --set model.n_embd="$2" --set model.n_head="$3" --set tokenizer.vocab_size="$4"
}

run() {  # name "shape" pretrain_steps sft_steps eval_every [extra sft overrides...]
  local name=$1 model=$2 pre=$3 sft=$4 every=$5
  shift 5
  # shellcheck disable=SC2086
  ./train pretrain --config configs/grammar-tiny.yaml --overwrite --set run.name="sweep-$name" $model \
      --set pretrain.max_steps="$pre" --set pretrain.checkpoint_every="$pre" "${common_pre[@]}"
  # shellcheck disable=SC2086
  ./train sft --config configs/grammar-tiny.yaml --overwrite --set run.name="sweep-$name" $model "${common_sft[@]}" \
      --set sft.max_steps="$sft" --set sft.eval_every="$every" --set sft.checkpoint_every="$every" "$@"
}

# The positions sweep (docs/RECIPE.md, "Rotary positions"): configs/grammar-tiny.yaml as it is but for the position table and
# the overrides given, each pretraining its own 300 steps; 503 held-out prompts answered at steps 1350 and 2700.
tiny() {  # name position [extra sft overrides...]
  local name=$1 position=$2
  shift 2
  ./train pretrain --config configs/grammar-tiny.yaml --overwrite --set run.name="sweep-$name" --set model.position="$position"
  ./train sft --config configs/grammar-tiny.yaml --overwrite --set run.name="sweep-$name" --set model.position="$position" \
      --set sft.data.test= --set sft.eval_examples=503 --set sft.eval_every=1350 --set sft.checkpoint_every=1350 "$@"
}

declare -A runs=(
  [A]="run A '$(shape 2 128 4 1024)' 600 2400 600"
  [B]="run B '$(shape 4 128 4 1024)' 600 2400 600"
  [C]="run C '$(shape 2 128 4 1024)' 600 2400 600 --set sft.data.train_extra=datasets/grammar/copy.jsonl"
  [D]="run D '$(shape 2 128 4 4096)' 600 600 600"
  [F]="run F '$(shape 6 96 4 1024)' 600 2400 600"
  [G]="run G '$(shape 8 64 4 1024)' 600 2400 600"
  [H]="run H '$(shape 6 96 4 1024)' 600 4000 1000"
  [I]="run I '$(shape 8 64 4 1024)' 150 3000 1000"
  [J]="run J '$(shape 8 64 4 1024)' 600 2400 600 --set sft.data.train_extra=datasets/grammar/copy.jsonl"
  [K]="tiny K learned"
  [L]="tiny L rope"
  [M]="tiny M rope --set sft.data.train_extra="
  [N]="tiny N rope --set sft.learning_rate=6e-3 --set sft.min_lr=6e-4"
  [O]="tiny O rope --set sft.max_steps=3600 --set sft.eval_every=1200 --set sft.checkpoint_every=1200"
)
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=(A B C D F G H I J K L M N O)
for r in "${selected[@]}"; do
  [ -n "${runs[$r]:-}" ] || { echo "unknown run $r (known: ${!runs[*]})" >&2; exit 2; }
  eval "${runs[$r]}"
done
