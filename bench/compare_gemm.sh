#!/usr/bin/env bash
# Times our sgemm and OpenBLAS (through torch.matmul) one after the other at each size and prints
# ours / OpenBLAS / ratio. Usage: bench/compare_gemm.sh [size ...]   (square sizes; default 512 1024 2048)
# Env: THREADS (default: all cores), WARMUP, ITERS, ROUNDS (alternating repeats per size, default 1),
#      WAIT_IDLE=P: before each round, wait (up to 10 min) until the CPUs were >= P% idle for 2 s, and print the
#      idle share seen just after the round (a shared machine otherwise skews either side at random).
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
idle_pct() {  # share of idle CPU time over the next $1 seconds
    local a b
    read -r -a a < /proc/stat; sleep "$1"; read -r -a b < /proc/stat
    local i=$(( b[4] + b[5] - a[4] - a[5] )) t=0 k
    for k in 1 2 3 4 5 6 7 8; do t=$(( t + b[k] - a[k] )); done
    echo $(( 100 * i / (t > 0 ? t : 1) ))
}
wait_idle() {
    [ -z "${WAIT_IDLE:-}" ] && return 0
    local end=$((SECONDS + 600))
    while [ "$(idle_pct 2)" -lt "$WAIT_IDLE" ]; do
        [ $SECONDS -ge $end ] && { echo "gave up waiting for ${WAIT_IDLE}% idle CPUs" >&2; return 0; }
    done
}
printf '%-6s %-5s %12s %12s %8s%s\n' size round "ours GF/s" "OpenBLAS" ratio "${WAIT_IDLE:+  idle-after%}"
for s in "${sizes[@]}"; do
    for r in $(seq 1 "$rounds"); do
        wait_idle
        ours=$(java --add-modules jdk.incubator.vector -Dmettle.threads="$threads" -cp "$classes" \
            org.mettle.bench.GemmBenchmark "$s" "$s" "$s" "$warmup" "$iters" 2>/dev/null)
        blas=$(/usr/bin/python3 bench/openblas_gemm.py "$s" "$s" "$s" "$warmup" "$iters" --threads "$threads")
        echo "$ours" >&2
        echo "$blas" >&2
        go=$(field gflops "$ours")
        gb=$(field gflops "$blas")
        after=""
        [ -n "${WAIT_IDLE:-}" ] && after="  $(idle_pct 1)"
        printf '%-6s %-5s %12s %12s %8s%s\n' "$s" "$r" "$go" "$gb" \
            "$(awk -v a="$go" -v b="$gb" 'BEGIN{printf "%.2f", a/b}')" "$after"
    done
done
