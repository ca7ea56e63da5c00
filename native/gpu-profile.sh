#!/usr/bin/env bash
# Where the Mettle step's GPU time goes: `mettle compare` with -Dmettle.cuda.profile=true (CudaProfiler: GPU time
# per kernel from CUDA events, the host's time per launch, fallbacks, copies), per method and batch. Writes OUTDIR/profile-<method>-b<B>.txt (the table) and .json (the
# compare row, with "profile" and "allocator"). From the bundle (mettle-bundle/gpu-profile.sh) or a built checkout.
# Usage: gpu-profile.sh OUTDIR [METHOD:BATCH ...]   (default: mettle:1); GPU_PROFILE_CAP_S caps each run (default 90)
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [METHOD:BATCH ...]" >&2; exit 2; }
out="$1"; shift
mkdir -p "$out"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/gpu-lib.sh"
runs=("$@"); [ ${#runs[@]} -gt 0 ] || runs=(mettle:1)
for r in "${runs[@]}"; do
  method="${r%%:*}"; b="${r##*:}"
  echo "== profile $method batch $b"
  METTLE_JAVA_OPTS="-Dmettle.cuda.profile=true ${METTLE_JAVA_OPTS:-}" timeout "${GPU_PROFILE_CAP_S:-90}" "$mettle" compare --task ave \
    --config paper --batch "$b" --segments 10 --methods "$method" --warmup 1 --steps 2 --device cuda --json \
    > "$out/profile-$method-b$b.json" 2> "$out/profile-$method-b$b.txt"
  echo "exit $?"
  cat "$out/profile-$method-b$b.txt" | grep -v "^WARNING" | head -60
done
