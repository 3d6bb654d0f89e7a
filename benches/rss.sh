#!/usr/bin/env bash
# Peak RSS of a full analysis against the number of file entries, on generated fleets.
# Usage: benches/rss.sh [SCALE...]   (default: 500MB 1GB 2GB 4GB)
# Needs GNU time (/usr/bin/time; `apt-get install time`). Prints a markdown table; the
# bytes per entry is the slope between the smallest and the largest scale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p layerlens-cli
bin=target/release/layerlens
dir=target/layerlens-bench
mkdir -p "$dir"
scales=("${@:-500MB 1GB 2GB 4GB}")
[ $# -eq 0 ] && scales=(500MB 1GB 2GB 4GB)
echo "| scale | layer bytes | entries | peak RSS full (KiB) | peak RSS --no-verify (KiB) | wall s |"
echo "|---|---|---|---|---|---|"
first=""; last=""
for s in "${scales[@]}"; do
  f="$dir/fleet-$s-docker25.tar"
  [ -f "$f" ] || "$bin" generate --scale "$s" --format docker25 "$f" 2> "$f.summary"
  [ -f "$f.summary" ] || "$bin" generate --scale "$s" --format docker25 "$f" 2> "$f.summary"
  entries=$(sed -n 's/.* \([0-9]*\) entries.*/\1/p' "$f.summary")
  bytes=$(sed -n 's/.* \([0-9]*\) layer bytes.*/\1/p' "$f.summary")
  full=$( { /usr/bin/time -f "%M %e" "$bin" analyze -q --format json "$f" > /dev/null; } 2>&1 | tail -1)
  trust=$( { /usr/bin/time -f "%M %e" "$bin" analyze -q --no-verify --format json "$f" > /dev/null; } 2>&1 | tail -1)
  echo "| $s | $bytes | $entries | ${full% *} | ${trust% *} | ${full#* } |"
  [ -z "$first" ] && first="$entries ${full% *}"
  last="$entries ${full% *}"
done
set -- $first $last
if [ "$1" != "$3" ]; then
  awk -v e1="$1" -v r1="$2" -v e2="$3" -v r2="$4" 'BEGIN {
    slope = (r2 - r1) * 1024 / (e2 - e1);
    printf "\nbytes per entry (slope): %.0f; intercept: %.1f MiB\n", slope, (r1 * 1024 - slope * e1) / 1048576 }'
fi
