#!/usr/bin/env bash
# Fault soak: runs the SIGKILL harness (KillResumeTest, @Tag("faults")) over many seeds, with more
# kills per run than the default 5, and stops at the first seed that fails (its surefire report is kept
# under target/fault-soak/).
# Usage: scripts/fault-soak.sh [ROUNDS=10] [KILLS=10] [FIRST_SEED=1]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-10}"
kills="${2:-10}"
first="${3:-1}"
mkdir -p "$root/target/fault-soak"
cd "$root"
for ((i = 0; i < rounds; i++)); do
  seed=$((first + i))
  log="$root/target/fault-soak/seed-$seed.log"
  echo "fault soak: seed $seed, $kills kills per stage..." >&2
  if ! mvn -o -q test -Dtest=KillResumeTest -DexcludedGroups=none -Dfaults.seed="$seed" -Dfaults.kills="$kills" \
      >"$log" 2>&1; then
    cp target/surefire-reports/*KillResumeTest* "$root/target/fault-soak/" 2>/dev/null || true
    echo "error: seed $seed failed, see $log and target/fault-soak/" >&2
    exit 1
  fi
  grep -h "kill harness" "$log" >&2 || true
done
echo "fault soak: $rounds seeds passed" >&2
