#!/usr/bin/env bash
# layerlens against its Rust peer `diving` (cargo install diving) on the same archives:
# wall time and peak RSS side by side, median of RUNS runs (default 3).
# Usage: benches/compare.sh [ARCHIVE...]
#   default: the generated 1GB docker25 and docker fleets under target/layerlens-bench/
#   (made with `layerlens generate` when missing).
# What each computes, per run:
#   layerlens full       every image of the archive, every layer sha256-verified against
#                        its diff_id, every file recorded with an XXH3-128 content digest
#   layerlens --no-verify  the same without re-hashing the layers (trust the diff_ids)
#   diving               the FIRST image of the archive only; it hashes no layer; it
#                        detects cross-layer duplicates (--no-skip-base: all layers)
# diving keeps a layer cache under $HOME/.diving: each run gets a fresh HOME so that
# every diving run is a cold analysis, like layerlens without --cache.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
cargo build --release -q -p layerlens-cli
bin=$PWD/target/release/layerlens
dir=target/layerlens-bench
mkdir -p "$dir"
diving=$(command -v diving || true)
[ -z "$diving" ] && [ -x /tmp/diving-install/bin/diving ] && diving=/tmp/diving-install/bin/diving
archives=("$@")
if [ ${#archives[@]} -eq 0 ]; then
  for f in docker25 docker; do
    a="$dir/fleet-1GB-$f.tar"
    [ -f "$a" ] || "$bin" generate --scale 1GB --format "$f" "$a"
    archives+=("$a")
  done
fi

# Runs "$@" RUNS times; prints "median_wall_s max_rss_kib".
measure() {
  local out=() i
  for i in $(seq "$RUNS"); do
    local home; home=$(mktemp -d)
    HOME=$home /usr/bin/time -o "$home.time" -f "%e %M" "$@" > /dev/null 2>&1 || true
    out+=("$(tail -1 "$home.time")")
    rm -rf "$home" "$home.time"
  done
  printf '%s\n' "${out[@]}" | sort -n | awk -v n="$RUNS" '{w[NR]=$1; if ($2>m) m=$2} END {print w[int((n+1)/2)], m}'
}

echo "| archive | tool | what | wall s (median of $RUNS) | peak RSS MiB |"
echo "|---|---|---|---|---|"
for a in "${archives[@]}"; do
  name=$(basename "$a")
  read -r w m < <(measure "$bin" analyze -q --format json "$a")
  echo "| $name | layerlens | all images, diff_ids verified, per-file digests | $w | $((m/1024)) |"
  read -r w m < <(measure "$bin" analyze -q --no-verify --format json "$a")
  echo "| $name | layerlens --no-verify | all images, per-file digests | $w | $((m/1024)) |"
  if [ -n "$diving" ]; then
    read -r w m < <(measure env CI=true "$diving" "file://$(realpath "$a")" --no-skip-base --output-file /dev/null)
    echo "| $name | diving | first image only, no layer hashing | $w | $((m/1024)) |"
  else
    echo "| $name | diving | not installed (cargo install diving) | – | – |"
  fi
done
