#!/usr/bin/env bash
# Compiles every kernels/*.cu to PTX for compute_80 and compute_90.
# Usage: native/build-ptx.sh [outdir]   (default: target/classes/org/mettle/kernels/)
# Output: <outdir>/<name>.sm80.ptx, <outdir>/<name>.sm90.ptx and <outdir>/kernels.index.
# Without nvcc it says so in one line and exits 0 (the CPU backend does not need kernels).
# With nvcc, any compile error or warning fails the script.
# PTX_ISA_VERSION (default 8.0): the ".version" written into the PTX header so that CUDA 12.x
# drivers can JIT it (nvcc 13 emits 9.0, which needs a CUDA 13 driver, R580+); ptxas then checks
# that the lowered file still assembles. PTX_ISA_VERSION=keep leaves nvcc's header alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
outdir="${1:-$root/target/classes/org/mettle/kernels}"
isa="${PTX_ISA_VERSION:-8.0}"

nvcc_bin="$(command -v nvcc || true)"
if [[ -z "$nvcc_bin" && -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ]]; then
  nvcc_bin="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
fi
if [[ -z "$nvcc_bin" ]]; then
  echo "nvcc not found: CUDA kernels not built; the CPU backend works, the CUDA backend will report missing kernels"
  exit 0
fi
ptxas_bin="$(dirname "$nvcc_bin")/ptxas"
[[ -x "$ptxas_bin" ]] || ptxas_bin="$(command -v ptxas || true)"

mkdir -p "$outdir"
shopt -s nullglob
sources=("$root"/kernels/*.cu)
if (( ${#sources[@]} == 0 )); then
  echo "build-ptx: no kernels/*.cu found under $root" >&2
  exit 1
fi

index_tmp="$(mktemp)"
trap 'rm -f "$index_tmp"' EXIT
failed=0
# Incremental: a PTX file newer than its source, every shared header and this script is kept.
newest_dep="$(ls -t "$root"/kernels/*.cuh "${BASH_SOURCE[0]}" 2>/dev/null | head -1)"
built=0
for src in "${sources[@]}"; do
  name="$(basename "$src" .cu)"
  for sm in 80 90; do
    out="$outdir/$name.sm$sm.ptx"
    if [[ "${PTX_FORCE:-0}" != 1 && -f "$out" && "$out" -nt "$src" && "$out" -nt "$newest_dep" ]]; then
      echo "$name.sm$sm.ptx" >>"$index_tmp"
      continue
    fi
    built=$((built + 1))
    log="$(mktemp)"
    if ! "$nvcc_bin" -ptx -arch=compute_$sm -O3 -lineinfo --std=c++17 -Werror all-warnings \
         -I"$root/kernels" "$src" -o "$out" >"$log" 2>&1 || [[ -s "$log" ]]; then
      echo "build-ptx: $name for compute_$sm failed:" >&2
      cat "$log" >&2
      failed=1
      rm -f "$out" "$log"
      continue
    fi
    rm -f "$log"
    if [[ "$isa" != "keep" ]]; then
      # Lower the header; drop the load-width hint pragma that needs ISA 8.3 (a pure hint).
      sed -i -E -e "s/^\.version [0-9]+\.[0-9]+$/.version $isa/" \
          -e '/^[[:space:]]*\.pragma "used_bytes_mask [0-9]+";$/d' "$out"
      if [[ -n "$ptxas_bin" ]]; then
        if ! "$ptxas_bin" -arch=sm_$sm "$out" -o /dev/null 2>"$out.err"; then
          echo "build-ptx: $name.sm$sm.ptx does not assemble with .version $isa (set PTX_ISA_VERSION=keep or raise it):" >&2
          cat "$out.err" >&2
          failed=1
        fi
        rm -f "$out.err"
      fi
    fi
    echo "$name.sm$sm.ptx" >>"$index_tmp"
  done
done
if (( failed )); then
  exit 1
fi
sort "$index_tmp" >"$outdir/kernels.index"
echo "build-ptx: $(wc -l <"$outdir/kernels.index") PTX files in $outdir ($built rebuilt; PTX_FORCE=1 rebuilds all)"
