#!/usr/bin/env bash
# Ours against PyTorch on one GPU, in one run (issue 7, item 2), within GPU_COMPARE_BUDGET_S (default 300 s).
# From the bundle (mettle-bundle/gpu-compare.sh OUT) or a built checkout (native/gpu-compare.sh OUT).
# Writes OUT/gpu-compare.json ({"gpu","driver","date","budget_s","seconds","python","rows":[...]}), OUT/rows.jsonl and
# OUT/gpu-compare.log. Rows (one JSON object each; "error":"not run: why" where a row could not run):
#   side=ours  kind=plan       mettle memory (meta backend: the ledger's planned peak) per step batch
#   side=torch kind=gemm|attention|sdpa-check|step|env   bench/torch_gpu.py
#   side=ours  kind=gemm|attention   mettle bench gemm|attention --device cuda at bench/gpu_shapes.json's shapes
#                                    (attention twice: the default kernels, and "variant":"tc" = -Dmettle.cuda.attention=tc)
#   side=ours  kind=step       mettle compare --config paper --batch B --methods mettle|lavish --device cuda
#   rows with "variant": f32 GEMM rows and one Mettle step (the first batch) again with -Dmettle.cuda.gemmF32=v2
#   ("variant":"v2" / "gemmF32=v2"); gpu_table.py shows them as separate rows
# Order (the budget cuts the tail): plans, PyTorch kernels, ours kernels, then per batch PyTorch's step and ours
# alternately, then the v2 GEMM step, then LAVisH on ours. bench/gpu_table.py turns this file and gpu-check.json into the README table.
# Environment: GPU_COMPARE_BUDGET_S, PYTHON (a python3 with torch; default: the first of python3, /usr/bin/python3
# that imports torch), GPU_COMPARE_DEVICE (cuda; "cpu" only for a smoke run of the script's plumbing).
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
log="$out/gpu-compare.log"
exec > >(tee -a "$log") 2>&1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$SECONDS
budget="${GPU_COMPARE_BUDGET_S:-300}"
device="${GPU_COMPARE_DEVICE:-cuda}"
left() { echo $((budget - (SECONDS - start))); }
note() { echo "[gpu-compare $(date +%H:%M:%S) +$((SECONDS - start))s] $*"; }
# shellcheck source=native/gpu-lib.sh
. "$here/gpu-lib.sh"
shapes="$bench_dir/gpu_shapes.json"
torch_gpu="$bench_dir/torch_gpu.py"
py="$(torch_python)"

rows="$out/rows.jsonl"
: > "$rows"
row() { echo "$1" | tee -a "$rows"; }
err_row() { # side kind fields(json, no braces) reason
  row "{\"side\":\"$1\",\"kind\":\"$2\",$3,\"error\":\"$(echo "$4" | json_escape)\"}"
}

note "nvidia-smi"
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu_info="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -1)"
else
  gpu_info="nvidia-smi not on PATH"
fi
echo "$gpu_info"
case "$gpu_info" in *,*) gpu_name="${gpu_info%%,*}"; driver="${gpu_info##*, }" ;; *) gpu_name="not found: $gpu_info"; driver="unknown" ;; esac

# the shapes file as shell words: "gemm NAME M N K DTYPE" / "attention NAME B H N D DTYPE" / "step V A T W S" / batches
listing="$("$py" - "$shapes" <<'PY' 2>&1
import json, sys
s = json.load(open(sys.argv[1]))
for g in s["gemm"]:
    for d in g["dtypes"]:
        print("gemm", g["name"], g["m"], g["n"], g["k"], d)
for a in s["attention"]:
    for d in a["dtypes"]:
        print("attention", a["name"], a["batch"], a["heads"], a["tokens"], a["head_dim"], d)
st = s["step"]
print("step", st["visual"], st["audio"], st["segments"], st["warmup"], st["steps"])
print("batches", *st["batches"])
print("lavish", *st["lavish_batches"])
PY
)"
if ! grep -q '^step ' <<< "$listing"; then
  err_row ours env '"name":"shapes"' "not run: cannot read $shapes with $py: $listing"
  listing=""
fi
read -r _ visual audio segments warmup steps <<<"$(echo "$listing" | grep '^step ')"
batches="$(echo "$listing" | grep '^batches ' | cut -d' ' -f2-)"
lavish_batches="$(echo "$listing" | grep '^lavish ' | cut -d' ' -f2-)"

# ours on the device: when CUDA is not usable (mettle info says why) every device row is "not run: <that line>"
ours_down=""
if [ "$device" = cuda ]; then
  cuda_line="$("$mettle" info 2>/dev/null | grep '^cuda:' | head -1)"
  echo "${cuda_line:-cuda: (mettle info printed no cuda line)}"
  case "$cuda_line" in "cuda: usable"*) ;; *) ours_down="not run: ${cuda_line:-mettle info failed}" ;; esac
fi

# ours: one mettle command; its last stdout line must be a JSON object
ours() { # kind fields(json) cap_s cmd...
  local kind="$1" fields="$2" cap="$3"; shift 3
  if [ -n "$ours_down" ] && [ "$kind" != plan ]; then err_row ours "$kind" "$fields" "$ours_down"; return; fi
  if [ "$(left)" -lt 10 ]; then err_row ours "$kind" "$fields" "not run: out of time (GPU_COMPARE_BUDGET_S=$budget)"; return; fi
  local t=$(( $(left) < cap ? $(left) : cap ))
  local line
  line="$(timeout "$t" "$@" 2>>"$out/ours.err" | tail -1)"
  local rc=$?
  case "$line" in
    \{*) row "{\"side\":\"ours\",\"kind\":\"$kind\",$fields,\"result\":$line}" ;;
    *) err_row ours "$kind" "$fields" "failed (exit $rc, limit ${t}s): $(tail -1 "$out/ours.err")" ;;
  esac
}

torch_rows() { # cap_s args...
  local cap="$1"; shift
  if [ "$(left)" -lt 10 ]; then err_row torch "$1" '"name":"torch_gpu.py"' "not run: out of time (GPU_COMPARE_BUDGET_S=$budget)"; return; fi
  local t=$(( $(left) < cap ? $(left) : cap ))
  timeout "$t" "$py" "$torch_gpu" --device "$device" --shapes "$shapes" --budget-s "$t" "$@" 2>>"$out/torch.err" \
    | grep '^{' | tee -a "$rows"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || err_row torch script '"name":"torch_gpu.py"' "exit $rc (limit ${t}s) for $*: $(tail -1 "$out/torch.err")"
}

note "planned peaks (meta backend)"
for b in $batches; do
  ours plan "\"method\":\"mettle\",\"batch\":$b" 30 "$mettle" memory --task ave --method mettle --visual "$visual" --audio "$audio" \
    --segments "$segments" --batch "$b" --json
done

note "PyTorch kernels"
torch_rows 60 --only gemm,attention,sdpa-check

note "our kernels"
while read -r kind name a b c d e; do
  case "$kind" in
    gemm)
      opts=""; [ "$d" = tf32 ] && opts="-Dmettle.cuda.tf32=true"
      METTLE_JAVA_OPTS="$opts" ours gemm "\"name\":\"$name\",\"m\":$a,\"n\":$b,\"k\":$c,\"dtype\":\"$d\"" 40 \
        "$mettle" bench gemm --m "$a" --n "$b" --k "$c" --dtype "$d" --device "$device" --iters 10 --json
      # f32 also with gemm_f32_v2 (not yet the default): a row with "variant":"v2" after the default one
      [ "$d" = f32 ] && METTLE_JAVA_OPTS=-Dmettle.cuda.gemmF32=v2 ours gemm \
        "\"name\":\"$name\",\"m\":$a,\"n\":$b,\"k\":$c,\"dtype\":\"$d\",\"variant\":\"v2\"" 40 \
        "$mettle" bench gemm --m "$a" --n "$b" --k "$c" --dtype "$d" --device "$device" --iters 10 --json ;;
    attention)
      ours attention "\"name\":\"$name\",\"batch\":$a,\"heads\":$b,\"tokens\":$c,\"head_dim\":$d,\"dtype\":\"$e\"" 40 \
        "$mettle" bench attention --batch "$a" --heads "$b" --tokens "$c" --head-dim "$d" --dtype "$e" --device "$device" --iters 10 --json
      # again with the newer forward kernels (bf16: tensor cores, fp32: register-tiled), a separate "variant":"tc" row
      METTLE_JAVA_OPTS="-Dmettle.cuda.attention=tc" ours attention \
        "\"name\":\"$name\",\"batch\":$a,\"heads\":$b,\"tokens\":$c,\"head_dim\":$d,\"dtype\":\"$e\",\"variant\":\"tc\"" 40 \
        "$mettle" bench attention --batch "$a" --heads "$b" --tokens "$c" --head-dim "$d" --dtype "$e" --device "$device" --iters 10 --json ;;
  esac
done <<<"$(echo "$listing" | grep -E '^(gemm|attention) ')"

for b in $batches; do
  note "Mettle step, batch $b: PyTorch, then ours"
  torch_rows 120 --only step --batches "$b"
  ours step "\"method\":\"mettle\",\"batch\":$b" 150 "$mettle" compare --task ave --config paper --batch "$b" --segments "$segments" \
    --methods mettle --warmup "$warmup" --steps "$steps" --device "$device" --json
done
for b in $(echo $batches | cut -d' ' -f1); do
  note "Mettle step on ours, batch $b, fp32 GEMM v2 (-Dmettle.cuda.gemmF32=v2)"
  METTLE_JAVA_OPTS=-Dmettle.cuda.gemmF32=v2 ours step "\"method\":\"mettle\",\"batch\":$b,\"variant\":\"gemmF32=v2\"" 150 \
    "$mettle" compare --task ave --config paper --batch "$b" --segments "$segments" \
    --methods mettle --warmup "$warmup" --steps "$steps" --device "$device" --json
done
for b in $lavish_batches; do
  note "LAVisH-style step on ours, batch $b"
  ours step "\"method\":\"lavish\",\"batch\":$b" 150 "$mettle" compare --task ave --config paper --batch "$b" --segments "$segments" \
    --methods lavish --warmup "$warmup" --steps "$steps" --device "$device" --json
done

note "writing $out/gpu-compare.json"
{
  printf '{"gpu":"%s","driver":"%s",' "$(echo "$gpu_name" | json_escape)" "$(echo "$driver" | json_escape)"
  printf '"date":"%s","budget_s":%s,"seconds":%s,"device":"%s","python":"%s",' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$budget" \
    "$((SECONDS - start))" "$device" "$(echo "$py" | json_escape)"
  printf '"rows":['
  sep=""
  while IFS= read -r l; do case "$l" in \{*) printf '%s%s' "$sep" "$l"; sep="," ;; esac; done < "$rows"
  printf ']}\n'
} > "$out/gpu-compare.json"
note "done ($((SECONDS - start)) s)"
