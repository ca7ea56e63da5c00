#!/usr/bin/env bash
# Times our sgemm and OpenBLAS (through torch.matmul) one after the other at each size and prints
# ours / OpenBLAS / ratio. Usage: bench/compare_gemm.sh [size ...]   (square sizes; default 512 1024 2048)
# Env: THREADS (default: all cores), WARMUP, ITERS, ROUNDS (alternating repeats per size, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(512 1024 2048)
threads=${THREADS:-$(nproc)}
warmup=${WARMUP:-5}
iters=${ITERS:-20}
rounds=${ROUNDS:-1}
classes=${METTLE_CLASSES:-target/classes}
if [ ! -f "$classes/org/mettle/bench/GemmBenchmark.class" ]; then
    mvn -o -q -B compile
fi
field() { sed -E "s/.*\"$1\": ?([0-9.]+).*/\1/" <<<"$2"; }
printf '%-6s %-5s %12s %12s %8s\n' size round "ours GF/s" "OpenBLAS" ratio
for s in "${sizes[@]}"; do
    for r in $(seq 1 "$rounds"); do
        ours=$(java --add-modules jdk.incubator.vector -Dmettle.threads="$threads" -cp "$classes" \
            org.mettle.bench.GemmBenchmark "$s" "$s" "$s" "$warmup" "$iters" 2>/dev/null)
        blas=$(/usr/bin/python3 bench/openblas_gemm.py "$s" "$s" "$s" "$warmup" "$iters" --threads "$threads")
        echo "$ours" >&2
        echo "$blas" >&2
        go=$(field gflops "$ours")
        gb=$(field gflops "$blas")
        printf '%-6s %-5s %12s %12s %8s\n' "$s" "$r" "$go" "$gb" "$(awk -v a="$go" -v b="$gb" 'BEGIN{printf "%.2f", a/b}')"
    done
done
