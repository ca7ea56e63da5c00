#!/usr/bin/env bash
# Issue 7 in one device call: the GPU check, then ours against PyTorch, then the README table. About 9 minutes:
#   gpu-check.sh   OUT/gc   GPU_CHECK_BUDGET_S   (default here 300 s; 470 s when run alone)
#   gpu-compare.sh OUT/gc2  GPU_COMPARE_BUDGET_S (default 240 s)
#   bench/gpu_table.py      OUT/table.md and OUT/gpu-results/<date>-<gpu>/ (raw JSON + table: copy to docs/gpu-results/)
# The device tool's 15 minutes include the machine start (minutes) and each command may run 10: give the call
# timeout_s 590 and keep the two budgets' sum at or under ~540 s.
# Usage: gpu-all.sh OUTDIR   (from the bundle: mettle-bundle/gpu-all.sh; from a built checkout: native/gpu-all.sh)
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/gpu-lib.sh"
start=$SECONDS
GPU_CHECK_BUDGET_S="${GPU_CHECK_BUDGET_S:-300}" "$here/gpu-check.sh" "$out/gc"
echo "[gpu-all] gpu-check finished after $((SECONDS - start)) s"
GPU_COMPARE_BUDGET_S="${GPU_COMPARE_BUDGET_S:-240}" "$here/gpu-compare.sh" "$out/gc2"
echo "[gpu-all] gpu-compare finished after $((SECONDS - start)) s"
py="${PYTHON:-python3}"
command -v "$py" >/dev/null 2>&1 || py=/usr/bin/python3
"$py" "$bench_dir/gpu_table.py" --compare "$out/gc2/gpu-compare.json" --check "$out/gc/gpu-check.json" \
  --raw-dir "$out/gpu-results" > "$out/table.md" || echo "[gpu-all] gpu_table.py failed; the JSON files are in $out/gc and $out/gc2"
cat "$out/table.md" 2>/dev/null
echo "[gpu-all] done after $((SECONDS - start)) s"
