#!/usr/bin/env bash
# Interleaved A/B of `onething bench` between two checkouts (each with its own .venv, `make .venv/.installed`):
#   benchmarks/bench_ab.sh OLD_DIR NEW_DIR ROUNDS [bench arguments…]
# e.g. git worktree add /tmp/old <commit>; (cd /tmp/old && make .venv/.installed)
#      benchmarks/bench_ab.sh /tmp/old . 2 --duration 30 --warmup 10 --window 16
# One bench of each side in turn, ROUNDS times: this machine's speed drifts by up to 40% within an hour
# (docs/performance.md), so only runs side by side in time are compared. Prints each run's summary line and its CPU
# per case (all processes), the steadier figure when something else shares the machine.
set -euo pipefail
old=$(cd "$1" && pwd); new=$(cd "$2" && pwd); rounds=$3; shift 3
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
for round in $(seq 1 "$rounds"); do
  for side in old new; do
    dir=$old; [ "$side" = new ] && dir=$new
    rm -rf "$data/dd"
    line=$(cd "$dir" && .venv/bin/onething --data-dir "$data/dd" bench --out "$data/out-$side" "$@" 2>/dev/null | tail -1)
    cpu=$(grep -ho "CPU per case | [0-9.]* core-seconds" "$(ls -t "$data/out-$side"/*.md | head -1)" | grep -o "[0-9.]*" || true)
    table=$(ls -t "$data/out-$side"/*.md | head -1)
    per=$(awk -F'|' '(NF == 6 || NF == 7) && /^\| (intake|dispatch|supervision|rating|licence|simulators|broker) \|/ {gsub(/ /,"",$2); gsub(/ /,"",$3); printf "%s %s ", $2, $3}' "$table")
    echo "$(date +%H:%M:%S) round $round $side ($(git -C "$dir" rev-parse --short HEAD)): $line | CPU per case ${cpu:-?} core-s | CPU s: $per"
  done
done
