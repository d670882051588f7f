#!/usr/bin/env bash
# Soak test: pretrain configs/bench/bench-12m.yaml (12M parameters) for MINUTES minutes while sampling the
# process's resident memory, to show that native (off-heap) memory plateaus. ND4J frees native buffers
# only when the garbage collector collects their Java owners, so a leak shows as RSS that keeps rising.
#
#   scripts/soak.sh [MINUTES=30] [INTERVAL_S=15] [OUT=soak]
#
# Writes OUT/rss.csv (elapsed_s,rss_mib,step) and OUT/train.log, and prints RSS at the start, at 10
# minutes and at the end. The run uses its own run name (soak) and is stopped by SIGTERM at the end;
# its checkpoints stay in checkpoints/soak/ (delete them afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
interval=${2:-15}
out=${3:-soak}
mkdir -p "$out"
./train pretrain --config configs/bench/bench-12m.yaml --set run.name=soak --set pretrain.max_steps=100000 \
    --set pretrain.eval_every=200 --set pretrain.checkpoint_every=200 --set pretrain.log_every=1 \
    --overwrite > "$out/train.log" 2>&1 &
launcher=$!
trap 'pkill -TERM -P "$launcher" 2>/dev/null || true; kill "$launcher" 2>/dev/null || true' EXIT
# the JVM is the launcher's child (the launcher may first build the jar)
jvm=""
for _ in $(seq 1 600); do
    jvm=$(pgrep -f -n "rlhf4j.jar pretrain --config configs/bench/bench-12m.yaml --set run.name=soak" || true)
    [ -n "$jvm" ] && break
    sleep 1
done
[ -n "$jvm" ] || { echo "soak: the training JVM did not start; see $out/train.log" >&2; exit 1; }
echo "elapsed_s,rss_mib,step" > "$out/rss.csv"
start=$(date +%s)
end=$((start + minutes * 60))
while [ "$(date +%s)" -lt "$end" ] && kill -0 "$jvm" 2>/dev/null; do
    rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$jvm/status" 2>/dev/null || echo 0)
    step=$( (grep -o 'step [0-9]*' "$out/train.log" || true) | tail -1 | awk '{print $2}')
    echo "$(( $(date +%s) - start )),$(( rss_kib / 1024 )),${step:-0}" >> "$out/rss.csv"
    sleep "$interval"
done
kill -0 "$jvm" 2>/dev/null || { echo "soak: training stopped early; see $out/train.log" >&2; exit 1; }
awk -F, -v ten=600 'NR == 2 {first = $0} NR > 1 && $1 <= ten {at10 = $0} NR > 1 {last = $0}
    END {print "start  (elapsed_s,rss_mib,step): " first; print "10 min (elapsed_s,rss_mib,step): " at10;
         print "end    (elapsed_s,rss_mib,step): " last}' "$out/rss.csv"
