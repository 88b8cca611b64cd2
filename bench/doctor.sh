#!/usr/bin/env bash
# Doctor under latency: every AWS, Kubernetes and HTTP call gets 150 ms. Prints the full run's wall time, the
# slowest chain of dependent checks, their ratio (target ≤ 1.5) and the sum of all calls' latency.
# Needs the test control plane (make testbin).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
out="$(go test -run '^$' -bench 'BenchmarkDoctorLatency(Record)?$' -benchtime "${runs}x" -count 1 ./plugin/doctor/ 2>&1)" || { echo "$out"; exit 1; }
line="$(grep -E '^BenchmarkDoctorLatency-' <<<"$out" || true)"
recline="$(grep -E '^BenchmarkDoctorLatencyRecord-' <<<"$out" || true)"
if [[ -z "$line" ]]; then echo "$out"; echo "benchmark did not run (is the test control plane built? make testbin)"; exit 1; fi
metric() { awk -v m="$1" '{for (i=2;i<=NF;i++) if ($i==m) print $(i-1)}' <<<"$line"; }
echo "doctor with 150 ms on every call (${runs} runs):"
echo "  full run (wall)            $(metric wall-ms) ms"
echo "  slowest dependency chain   $(metric chain-ms) ms"
echo "  calls per run              $(metric calls) (sum of their latency $(metric sum-of-calls-ms) ms)"
echo "  ratio wall / chain         $(metric ratio)   (target ≤ 1.5)"
line="$recline"
echo "  found by its record (doctor -n NS, after the wizard): full run $(metric wall-ms) ms, $(metric calls) calls, ratio $(metric ratio)"
line="$(grep -E '^BenchmarkDoctorLatency-' <<<"$out")"
grep -m1 'critical chain' <<<"$out" | sed 's/^ *bench_test.go:[0-9]*: /  /'
awk -v r="$(metric ratio)" 'BEGIN { exit !(r <= 1.5) }' || { echo "ratio above 1.5"; exit 1; }
