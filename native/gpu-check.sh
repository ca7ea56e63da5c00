#!/usr/bin/env bash
# One short GPU check (<= 8 minutes on an H100), from the bundle (mettle-bundle/gpu-check.sh) or the repository
# (native/gpu-check.sh after mvn package). Writes OUTDIR/gpu-check.json, OUTDIR/gpu-check.log, the JUnit reports
# (OUTDIR/junit/), the C-level kernel test log (OUTDIR/kernel-tests.log, when nvcc exists) and OUTDIR/bench.jsonl.
# Usage: gpu-check.sh OUTDIR
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
mkdir -p "$out/junit"
out="$(cd "$out" && pwd)"
log="$out/gpu-check.log"
exec > >(tee -a "$log") 2>&1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$SECONDS
budget="${GPU_CHECK_BUDGET_S:-470}"
left() { echo $((budget - (SECONDS - start))); }
note() { echo "[gpu-check $(date +%H:%M:%S) +$((SECONDS - start))s] $*"; }

# shellcheck source=native/gpu-lib.sh
. "$here/gpu-lib.sh"
cp_tests="$tests:$(jars_of "$cp_main")"


note "nvidia-smi"
gpu_info="$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 | head -1)"
echo "$gpu_info"
nvidia-smi 2>&1 | head -15

note "detection"
info="$("$mettle" info 2>/dev/null)"
cuda_status="$(echo "$info" | grep '^cuda:' | head -1)"
cublas_status="$(echo "$info" | grep '^cublas:' | head -1)"
echo "$cuda_status"
echo "${cublas_status:-cublas: (not reported by mettle info)}"

# ---- Java CUDA tests against the CPU backend ------------------------------------------------------------------
junit_rc=-1; tests_total=0; tests_failed=0; tests_errors=0; tests_skipped=0
only_sanitize=0; [ "${GPU_CHECK_SANITIZE:-0}" = "only" ] && only_sanitize=1
if [ "$only_sanitize" = 1 ]; then
  note "GPU_CHECK_SANITIZE=only: the plain test run, kernel tests and benchmarks are skipped"
elif [ -n "$console" ] && [ -f "$console" ]; then
  note "CUDA tests (JUnit console launcher)"
  jcap=$(( budget * 240 / 470 ))   # 240 s of the default 470; about half of a trimmed budget (gpu-all.sh: 300 -> 153)
  t=$(( $(left) > jcap + 30 ? jcap : $(left) / 2 ))
  timeout "$t" "$java" --add-modules jdk.incubator.vector -Xss8m -jar "$console" execute \
    --class-path "$cp_tests" --select-package org.mettle.backend.cuda \
    --reports-dir "$out/junit" --details=tree --disable-banner > "$out/junit/console.txt" 2>&1
  junit_rc=$?
  tail -60 "$out/junit/console.txt"
  xml="$(ls "$out"/junit/TEST-*.xml 2>/dev/null | head -1)"
  if [ -n "$xml" ]; then
    attr() { grep -o "<testsuite [^>]*" "$xml" | head -1 | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
    tests_total=$(attr tests); tests_failed=$(attr failures); tests_errors=$(attr errors); tests_skipped=$(attr skipped)
  fi
else
  note "junit-platform-console-standalone not found: CUDA tests not run"
fi

# ---- the same CUDA tests under compute-sanitizer memcheck (issue 7 asks for it once; GPU_CHECK_SANITIZE=1) --------
sanitizer="not run: set GPU_CHECK_SANITIZE=1 (or =only)"
if [ "${GPU_CHECK_SANITIZE:-0}" != "0" ]; then
  cs="$(command -v compute-sanitizer || ls "${CUDA_HOME:-/usr/local/cuda}"/bin/compute-sanitizer 2>/dev/null | head -1)"
  if [ -z "$cs" ]; then
    sanitizer="not run: compute-sanitizer not found (PATH, \$CUDA_HOME/bin)"
  elif [ -z "$console" ] || [ ! -f "$console" ]; then
    sanitizer="not run: junit-platform-console-standalone not found"
  elif [ "$(left)" -lt 60 ]; then
    sanitizer="not run: out of time"
  else
    note "CUDA tests under compute-sanitizer --tool memcheck (${GPU_CHECK_SANITIZE_CLASSES:-org.mettle.backend.cuda})"
    # --target-processes all follows the JVM's children; memcheck slows kernels 10-100x, so it gets its own cap;
    # the direct allocator gives each tensor its own cuMemAlloc, so an overrun is not hidden inside a shared segment
    timeout $(( $(left) - 30 )) "$cs" --tool memcheck --leak-check full --error-exitcode 86 --target-processes all \
      "$java" --add-modules jdk.incubator.vector -Xss8m -Dmettle.cuda.allocator=direct -jar "$console" execute --class-path "$cp_tests" \
      --select-package "${GPU_CHECK_SANITIZE_CLASSES:-org.mettle.backend.cuda}" --details=summary --disable-banner \
      > "$out/sanitizer.log" 2>&1
    src=$?
    summary="$(grep -E 'ERROR SUMMARY|LEAK SUMMARY' "$out/sanitizer.log" | tail -2 | tr '\n' ' ')"
    case $src in
      0) sanitizer="ok: ${summary:-no sanitizer summary line}" ;;
      86) sanitizer="errors: ${summary} (see sanitizer.log)" ;;
      124) sanitizer="timed out: ${summary} (partial log in sanitizer.log)" ;;
      *) sanitizer="exit $src: ${summary} (tests failed or the tool could not start; see sanitizer.log)" ;;
    esac
    echo "$sanitizer"
  fi
fi

# ---- C-level kernel tests (need nvcc) ---------------------------------------------------------------------------
kernel_rc="not run: nvcc not found"
if ! command -v nvcc >/dev/null 2>&1 && [ -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ]; then
  export PATH="${CUDA_HOME:-/usr/local/cuda}/bin:$PATH"
fi
if [ "$only_sanitize" = 1 ]; then
  kernel_rc="not run: GPU_CHECK_SANITIZE=only"
elif command -v nvcc >/dev/null 2>&1; then
  if [ "$(left)" -gt 60 ]; then   # ~25 s on an H200 (the builds run in parallel)
    note "kernel tests (kernels/test/run-gpu-tests.sh)"
    (cd "$kernels/test" && timeout $(( $(left) / 2 )) ./run-gpu-tests.sh) > "$out/kernel-tests.log" 2>&1
    krc=$?
    checks="$(grep -E '^test_[a-z0-9_]+: [0-9]+ checks' "$out/kernel-tests.log")"
    n_tests=$(echo "$checks" | grep -c . ); n_checks=$(echo "$checks" | awk '{s += $2} END {print s + 0}')
    n_failed=$(echo "$checks" | awk '{s += $4} END {print s + 0}')
    kernel_rc="exit $krc: $n_tests test programs, $n_checks checks, $n_failed failed"
    tail -30 "$out/kernel-tests.log"
  else
    kernel_rc="not run: out of time"
  fi
fi

# ---- kernel benchmarks on the CUDA backend -------------------------------------------------------------------
note "benchmarks"
: > "$out/bench.jsonl"
bench() {
  local opts=""
  case "${1:-}" in METTLE_JAVA_OPTS=*) opts="${1#METTLE_JAVA_OPTS=}"; shift ;; esac
  if [ "$(left)" -lt 15 ] || [ "$only_sanitize" = 1 ]; then
    echo "skipped (out of time or GPU_CHECK_SANITIZE=only): $*"; return
  fi
  line="$(METTLE_JAVA_OPTS="$opts" timeout 60 "$mettle" bench "$@" --device cuda --json 2>>"$out/bench.err" | tail -1)"
  case "$line" in
    \{*) echo "$line" | tee -a "$out/bench.jsonl" ;;
    *) echo "bench $* failed: $(tail -2 "$out/bench.err" | tr '\n' ' ')" ;;
  esac
}
# ViT-B/16 and AST shapes (16 images x 197 tokens), Swin windows, a square reference
bench gemm --m 3152 --n 2304 --k 768
bench gemm --m 3152 --n 3072 --k 768
bench gemm --m 3152 --n 768 --k 3072
bench gemm --m 4096 --n 4096 --k 4096 --iters 10
# fp32 GEMM v2 (-Dmettle.cuda.gemmF32=v2: gemm_f32_v2_<tile>_*, tile 128 or 64 and split-K picked per shape;
# v2-128/v2-64 force the tile without split; v1 = gemm_f32 stays the default until measured), on x W^T (--trans-b,
# the Linear layers' layout): Swin-V2-L stage-2 fc1 (v2 picks tile 64) and fc2 (v2 splits K in 3), HTS-AT stage-0
# qkv (gpu-compare.sh adds v2 at its f32 shapes, square-4096 included). Compare "ms" per shape across
# "variant"/"kernel"/"splitK" (bench/gpu_table.py --check tabulates them). 8 launches of ~3 s.
for v in v1 v2-128 v2-64; do bench METTLE_JAVA_OPTS=-Dmettle.cuda.gemmF32=$v gemm --m 1440 --n 3072 --k 768 --trans-b; done
for v in v1 v2 v2-128; do bench METTLE_JAVA_OPTS=-Dmettle.cuda.gemmF32=$v gemm --m 1440 --n 768 --k 3072 --trans-b; done
for v in v1 v2; do bench METTLE_JAVA_OPTS=-Dmettle.cuda.gemmF32=$v gemm --m 40960 --n 288 --k 96 --trans-b; done
bench gemm --m 3152 --n 2304 --k 768 --dtype bf16
bench METTLE_JAVA_OPTS=-Dmettle.cuda.tf32=true gemm --m 4096 --n 4096 --k 4096 --dtype tf32 --iters 10  # (an env prefix here was lost: no tf32 row on the H200)
bench gemm --m 4096 --n 4096 --k 4096 --dtype bf16 --iters 10
bench attention --batch 16 --heads 12 --tokens 197 --head-dim 64
bench attention --batch 16 --heads 12 --tokens 1214 --head-dim 64 --iters 10
bench attention --batch 1024 --heads 6 --tokens 49 --head-dim 32
bench attention --batch 16 --heads 12 --tokens 197 --head-dim 64 --dtype bf16
# the newer forward kernels (-Dmettle.cuda.attention=tc: bf16 on tensor cores, fp32 register-tiled) next to the
# default ones at ViT-B and Swin-V2-L stage 0; the option goes after `bench` (bench() reads it from $1: an assignment
# before a shell function call would not reach it)
bench METTLE_JAVA_OPTS=-Dmettle.cuda.attention=tc attention --batch 16 --heads 12 --tokens 197 --head-dim 64 --dtype bf16
bench METTLE_JAVA_OPTS=-Dmettle.cuda.attention=tc attention --batch 16 --heads 12 --tokens 197 --head-dim 64
bench attention --batch 160 --heads 6 --tokens 144 --head-dim 32 --dtype bf16
bench METTLE_JAVA_OPTS=-Dmettle.cuda.attention=tc attention --batch 160 --heads 6 --tokens 144 --head-dim 32 --dtype bf16
bench attention --batch 160 --heads 6 --tokens 144 --head-dim 32
bench METTLE_JAVA_OPTS=-Dmettle.cuda.attention=tc attention --batch 160 --heads 6 --tokens 144 --head-dim 32
# a Mettle-scale training step: ViT-B (12 blocks, 768 wide) on 16 x 197 tokens, forward + backward + AdamW
bench train-step --batch 16 --tokens 197 --dim 768 --heads 12 --depth 12 --warmup 1 --iters 3
# Mettle kernels at the backbones' layer shapes, 20 frames (2 clips x 10 segments), K = 4 meta-tokens:
# LCD (4 queries over each layer's tokens, query-only backward) on every Swin-V2-L stage at 192 px, HTS-AT and ViT-B;
# stage 0 also with lcd.cu forced and with the generic attention kernels, to check the automatic choice
for st in 0 1 2 3; do bench lcd --model swinv2-l --stage $st --backward --warmup 2 --iters 10; done
bench lcd --model swinv2-l --stage 0 --backward --path lcd --warmup 2 --iters 10
bench lcd --model swinv2-l --stage 0 --backward --path generic --warmup 2 --iters 10
bench lcd --model htsat --stage 0 --backward --warmup 2 --iters 10
bench lcd --model vit-b --backward --warmup 2 --iters 10
bench lcd --model vit-b --backward --path generic --warmup 2 --iters 10
# MTI (each layer's tokens over 2K = 8 meta keys, full backward)
bench mti --model swinv2-l --stage 0 --backward --warmup 2 --iters 10
bench mti --model htsat --stage 0 --backward --warmup 2 --iters 10
bench mti --model vit-b --backward --warmup 2 --iters 10
# layer norm: one ViT-B image [197, 768], a ViT-B batch, Swin-V2-L's widths (192 at 2304 tokens .. 1536 at 36)
bench layernorm --rows 197 --width 768 --warmup 2 --iters 10
bench layernorm --model vit-b --batch 16 --backward --warmup 2 --iters 10
for st in 0 3; do bench layernorm --model swinv2-l --stage $st --backward --warmup 2 --iters 10; done

# ---- summary ------------------------------------------------------------------------------------------------
note "writing $out/gpu-check.json"
{
  printf '{"gpu":"%s",' "$(echo "$gpu_info" | json_escape)"
  printf '"cudaStatus":"%s",' "$(echo "$cuda_status" | json_escape)"
  printf '"cublasStatus":"%s",' "$(echo "$cublas_status" | json_escape)"
  printf '"junit":{"exitCode":%s,"tests":%s,"failures":%s,"errors":%s,"skipped":%s},' \
    "$junit_rc" "${tests_total:-0}" "${tests_failed:-0}" "${tests_errors:-0}" "${tests_skipped:-0}"
  printf '"kernelTests":"%s",' "$(echo "$kernel_rc" | json_escape)"
  printf '"sanitizer":"%s",' "$(echo "$sanitizer" | json_escape)"
  printf '"seconds":%s,' "$((SECONDS - start))"
  printf '"bench":['
  sep=""
  while IFS= read -r l; do printf '%s%s' "$sep" "$l"; sep=","; done < "$out/bench.jsonl"
  printf ']}\n'
} > "$out/gpu-check.json"
cat "$out/gpu-check.json"
note "done"
