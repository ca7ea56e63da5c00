#!/usr/bin/env bash
# The attention forward variants on one GPU in about a minute and a half: are the newer kernels (-Dmettle.cuda.attention=tc:
# bf16 on tensor cores, fp32 register-tiled) correct on the hardware, and faster than the default ones and than
# PyTorch's SDPA? The same rows as gpu-compare.sh's attention part, so bench/gpu_table.py renders them.
#   1. C-level kernel tests on the GPU: test_attention_variants and test_attention (needs nvcc)
#   2. the Java CUDA attention tests: CudaAttentionTcTest (variants vs CPU and vs classic), CudaAttentionTest and
#      CudaAttentionTcSuiteTest (CudaAttentionTest with the newer forward kernels)
#   3. PyTorch SDPA at bench/gpu_shapes.json's attention shapes (bench/torch_gpu.py --only attention)
#   4. ours at the same shapes, default kernels and -Dmettle.cuda.attention=tc ("variant":"tc" rows)
# Writes OUT/gpu-attention.json (gpu-compare.json's format: {"gpu","driver","date","seconds","budget_s","rows",
# "junit","kernelTests"}), OUT/table.md, and the logs. Usage: gpu-attention.sh OUTDIR (bundle root or native/).
# Environment: GPU_ATTENTION_BUDGET_S (default 150), PYTHON (a python3 with torch).
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
mkdir -p "$out/junit"
out="$(cd "$out" && pwd)"
exec > >(tee -a "$out/gpu-attention.log") 2>&1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$SECONDS
budget="${GPU_ATTENTION_BUDGET_S:-150}"
left() { echo $((budget - (SECONDS - start))); }
note() { echo "[gpu-attention $(date +%H:%M:%S) +$((SECONDS - start))s] $*"; }
# shellcheck source=native/gpu-lib.sh
. "$here/gpu-lib.sh"
py="$(torch_python)"

gpu_info="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -1)"
echo "$gpu_info"
case "$gpu_info" in *,*) gpu_name="${gpu_info%%,*}"; driver="${gpu_info##*, }" ;; *) gpu_name="not found: $gpu_info"; driver="unknown" ;; esac

kernel_rc="not run: nvcc not found"
command -v nvcc >/dev/null 2>&1 || export PATH="${CUDA_HOME:-/usr/local/cuda}/bin:$PATH"
if command -v nvcc >/dev/null 2>&1; then
  note "kernel tests on the GPU: attention_variants attention"
  (cd "$kernels/test" && timeout 90 ./run-gpu-tests.sh attention_variants attention) > "$out/kernel-tests.log" 2>&1
  krc=$?
  kernel_rc="exit $krc: $(grep -E '^test_[a-z0-9_]+: [0-9]+ checks' "$out/kernel-tests.log" | tr '\n' ';')"
  grep -E '^(FAIL|test_)' "$out/kernel-tests.log" | tail -20
fi

junit='{"exitCode":-1}'
if [ -n "$console" ] && [ -f "$console" ]; then
  note "Java CUDA attention tests"
  timeout 120 "$java" --add-modules jdk.incubator.vector -Xss8m -jar "$console" execute \
    --class-path "$tests:$(jars_of "$cp_main")" --select-class org.mettle.backend.cuda.CudaAttentionTcTest \
    --select-class org.mettle.backend.cuda.CudaAttentionTest --select-class org.mettle.backend.cuda.CudaAttentionTcSuiteTest --reports-dir "$out/junit" --details=tree --disable-banner \
    > "$out/junit/console.txt" 2>&1
  jrc=$?
  tail -30 "$out/junit/console.txt"
  count() { local c; c="$(grep -oE "[0-9]+ tests $1" "$out/junit/console.txt" | head -1 | grep -oE '^[0-9]+')"; echo "${c:-0}"; }
  junit="{\"exitCode\":$jrc,\"successful\":$(count successful),\"failed\":$(count failed),\"skipped\":$(count skipped),\"aborted\":$(count aborted)}"
fi

rows="$out/rows.jsonl"
: > "$rows"
note "PyTorch SDPA"
timeout 90 "$py" "$bench_dir/torch_gpu.py" --device cuda --shapes "$bench_dir/gpu_shapes.json" --only attention --budget-s 80 \
  2>>"$out/torch.err" | grep '^{' | tee -a "$rows"

note "ours: default kernels and -Dmettle.cuda.attention=tc"
listing="$("$py" -c '
import json, sys
for a in json.load(open(sys.argv[1]))["attention"]:
    for d in a["dtypes"]:
        print(a["name"], a["batch"], a["heads"], a["tokens"], a["head_dim"], d)' "$bench_dir/gpu_shapes.json")"
while read -r name b h n d dtype; do
  [ -n "$name" ] || continue
  for variant in classic tc; do
    fields="\"name\":\"$name\",\"batch\":$b,\"heads\":$h,\"tokens\":$n,\"head_dim\":$d,\"dtype\":\"$dtype\""
    [ "$variant" = tc ] && fields="$fields,\"variant\":\"tc\""
    if [ "$(left)" -lt 10 ]; then
      echo "{\"side\":\"ours\",\"kind\":\"attention\",$fields,\"error\":\"not run: out of time (GPU_ATTENTION_BUDGET_S=$budget)\"}" | tee -a "$rows"
      continue
    fi
    line="$(METTLE_JAVA_OPTS="-Dmettle.cuda.attention=$variant" timeout 40 "$mettle" bench attention --batch "$b" --heads "$h" \
      --tokens "$n" --head-dim "$d" --dtype "$dtype" --device cuda --iters 20 --json 2>>"$out/ours.err" | tail -1)"
    case "$line" in
      \{*) echo "{\"side\":\"ours\",\"kind\":\"attention\",$fields,\"result\":$line}" | tee -a "$rows" ;;
      *) echo "{\"side\":\"ours\",\"kind\":\"attention\",$fields,\"error\":\"failed: $(tail -1 "$out/ours.err" | json_escape)\"}" | tee -a "$rows" ;;
    esac
  done
done <<< "$listing"

{
  printf '{"gpu":"%s","driver":"%s","date":"%s","budget_s":%s,"seconds":%s,' "$(echo "$gpu_name" | json_escape)" \
    "$(echo "$driver" | json_escape)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$budget" "$((SECONDS - start))"
  printf '"kernelTests":"%s","junit":%s,"rows":[' "$(echo "$kernel_rc" | json_escape)" "$junit"
  sep=""
  while IFS= read -r l; do printf '%s%s' "$sep" "$l"; sep=","; done < "$rows"
  printf ']}\n'
} > "$out/gpu-attention.json"
"$py" "$bench_dir/gpu_table.py" --compare "$out/gpu-attention.json" > "$out/table.md" 2>>"$out/torch.err" \
  && grep -E '^\| attention' "$out/table.md"
note "done: $out/gpu-attention.json, $out/table.md"
