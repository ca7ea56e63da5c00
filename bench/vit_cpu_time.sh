#!/usr/bin/env bash
# Alternates bench/VitOpsCpuTime.java (mettle) and bench/torch_vit_ops.py (torch), one thread each, thread CPU
# time, ROUNDS times; prints each JSON line and the load average before each run. The heap is pre-touched
# (-Xms2g -XX:+AlwaysPreTouch): page faults on never-touched heap pages count as thread CPU time.
#   ROUNDS=3 bench/vit_cpu_time.sh            (after mvn -o -q -B compile)
# METTLE_CLASSES=dir runs the mettle side from another build's classes (e.g. an older commit compiled with javac).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-3}"
for ((i = 1; i <= rounds; i++)); do
  echo "# round $i, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  METTLE_THREADS=1 java --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xms2g -XX:+AlwaysPreTouch -cp "${METTLE_CLASSES:-target/classes}:target/lib/*" \
    bench/VitOpsCpuTime.java 2>/dev/null
  echo "# round $i, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/python3 bench/torch_vit_ops.py
done
