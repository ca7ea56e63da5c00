#!/usr/bin/env bash
# Assembles the built PTX with ptxas -v and prints a markdown table of registers, shared
# memory, stack and spills per kernel and target (the numbers quoted in docs/kernels.md).
# Usage: kernels/test/ptxas-report.sh [ptxdir]   (default: target/classes/org/mettle/kernels)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:-$root/target/classes/org/mettle/kernels}"
echo "| kernel | sm_80 regs | sm_80 smem (B) | sm_90 regs | sm_90 smem (B) | stack / spills |"
echo "|---|---|---|---|---|---|"
declare -A r80 s80 r90 s90 sp
for f in "$dir"/*.ptx; do
  arch="$(basename "$f" .ptx | sed 's/.*\.sm//')"
  name=""
  while IFS= read -r line; do
    if [[ "$line" =~ Compiling\ entry\ function\ \'([A-Za-z0-9_]+)\' ]]; then name="${BASH_REMATCH[1]}"; fi
    if [[ "$line" =~ ([0-9]+)\ bytes\ stack\ frame,\ ([0-9]+)\ bytes\ spill\ stores,\ ([0-9]+)\ bytes\ spill\ loads ]]; then
      key="$name"
      prev="${sp[$key]:-0/0}"
      if [[ "${BASH_REMATCH[1]}" != 0 || "${BASH_REMATCH[2]}" != 0 || "${BASH_REMATCH[3]}" != 0 ]]; then
        sp[$key]="${BASH_REMATCH[1]}B stack, ${BASH_REMATCH[2]}B/${BASH_REMATCH[3]}B spill (sm_$arch)"
      else
        sp[$key]="${prev}"
      fi
    fi
    if [[ "$line" =~ Used\ ([0-9]+)\ registers ]]; then
      regs="${BASH_REMATCH[1]}"
      smem=0
      [[ "$line" =~ ([0-9]+)\ bytes\ smem ]] && smem="${BASH_REMATCH[1]}"
      if [[ "$arch" == 80 ]]; then r80[$name]=$regs; s80[$name]=$smem; else r90[$name]=$regs; s90[$name]=$smem; fi
    fi
  done < <(ptxas -arch=sm_$arch -v "$f" -o /dev/null 2>&1)
done
for k in $(printf '%s\n' "${!r90[@]}" | sort); do
  s="${sp[$k]:-0/0}"
  [[ "$s" == "0/0" ]] && s="none"
  echo "| \`$k\` | ${r80[$k]:-?} | ${s80[$k]:-?} | ${r90[$k]} | ${s90[$k]} | $s |"
done
