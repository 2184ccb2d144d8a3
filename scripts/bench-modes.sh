#!/usr/bin/env bash
# bench-modes.sh: measure the two ways tshark can print pcapmeter's fields
# (custom columns with -T tabs, and -T fields) on the same generated capture,
# and check that they give identical exchanges. The capture is generated
# into .cache/ (ignored by git) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
cap=.cache/bench-40k-exchanges.pcapng
[ -f "$cap" ] || bin/pcapsynth -o "$cap" -conns 2000 -per-conn 20 -body-max 8000 -no-truth
pkts=$(capinfos -c -M "$cap" | awk '/Number of packets/ {print $NF}')
echo "capture: $cap ($pkts packets)"
for mode in columns fields; do
  start=$(date +%s.%N)
  bin/pcapmeter http "$cap" --format csv --tshark-output "$mode" > ".cache/bench-$mode.csv"
  end=$(date +%s.%N)
  awk -v m="$mode" -v s="$start" -v e="$end" -v p="$pkts" 'BEGIN { printf "%-8s %6.2f s  %8.0f packets/s\n", m, e-s, p/(e-s) }'
done
if cmp -s .cache/bench-columns.csv .cache/bench-fields.csv; then echo "exchanges identical in both modes"; else echo "MODES DIFFER" >&2; exit 1; fi
