#!/usr/bin/env bash
# A GPU session's whole device call: gpu-all.sh (CUDA tests, compute-sanitizer, kernel tests, kernel benchmarks, ours
# vs PyTorch, the README table) and the step profiles (gpu-profile.sh), written under a scratch folder and packed as
# OUT/results.tgz plus OUT/table.md: the device tool brings back at most 8 files, two folders deep, and a call killed
# at its limit returns nothing that was not under OUT yet, so every stage has its own budget and the packing runs last.
# Usage, from the bundle on the device machine (the device call: carry ["target/mettle-bundle.tar.gz"], timeout_s 590):
#   tar xzf target/mettle-bundle.tar.gz -C /tmp && /tmp/mettle-bundle/gpu-session.sh $OUT
# Budgets (seconds): GPU_CHECK_BUDGET_S (default 170), GPU_COMPARE_BUDGET_S (210), GPU_PROFILE_RUNS
# ("mettle:1 mettle:8 lavish:1"), GPU_PROFILE_CAP_S (45 each). Back here: tar xzf results.tgz, then copy
# session/all/gpu-results/<date>-<gpu>/ and session/prof/ to docs/gpu-results/ and paste table.md into the README.
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
mkdir -p "$out"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d /tmp/mettle-session.XXXXXX)/session"
mkdir -p "$work"
start=$SECONDS
{
  nvidia-smi 2>&1 | head -15
  command -v nvcc compute-sanitizer python3
  python3 -c 'import torch; print("torch", torch.__version__, torch.version.cuda)' 2>&1
  uname -a
} > "$work/env.txt" 2>&1
export PATH="${CUDA_HOME:-/usr/local/cuda}/bin:$PATH"
check_s="${GPU_CHECK_BUDGET_S:-170}"
compare_s="${GPU_COMPARE_BUDGET_S:-210}"
GPU_CHECK_SANITIZE="${GPU_CHECK_SANITIZE:-1}" GPU_CHECK_BUDGET_S="$check_s" GPU_COMPARE_BUDGET_S="$compare_s" \
  timeout $((check_s + compare_s + 30)) "$here/gpu-all.sh" "$work/all" > "$work/gpu-all.log" 2>&1
echo "[gpu-session] gpu-all exit $? after $((SECONDS - start)) s"
# shellcheck disable=SC2086
GPU_PROFILE_CAP_S="${GPU_PROFILE_CAP_S:-45}" "$here/gpu-profile.sh" "$work/prof" ${GPU_PROFILE_RUNS:-mettle:1 mettle:8 lavish:1} \
  > "$work/prof-console.log" 2>&1
echo "[gpu-session] profiles done after $((SECONDS - start)) s"
tar czf "$out/results.tgz" -C "$(dirname "$work")" session
cp "$work/all/table.md" "$out/table.md" 2>/dev/null
grep -E '^\[gpu|checks,|tests (successful|failed)' "$work/gpu-all.log" | tail -30
cat "$work/all/table.md" 2>/dev/null
for f in "$work"/prof/profile-*.txt; do [ -f "$f" ] && { echo "== $(basename "$f")"; grep -v '^WARNING' "$f" | head -24; }; done
echo "[gpu-session] done after $((SECONDS - start)) s: $out/results.tgz"
