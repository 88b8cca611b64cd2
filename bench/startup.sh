#!/usr/bin/env bash
# Start-up time: `kubectl-agentcore version` against `kubectl version --client`, interleaved in the same run,
# repeated, median of each. Target: ours ≤ 0.6 × kubectl's wall time.
#   bench/startup.sh [runs]        (default 41 runs; builds bin/kubectl-agentcore first via `make build`)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-41}
bin=${AGENTCORE_BIN:-bin/kubectl-agentcore}
[ -x "$bin" ] || make -s build
command -v kubectl >/dev/null || { echo "kubectl not found: nothing to compare against" >&2; exit 1; }

# Neither command may read a real kubeconfig or reach a network.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export KUBECONFIG=$tmp/none HOME=$tmp

now() { date +%s%N; }
ours=(); theirs=()
for _ in 1 2 3; do "$bin" version >/dev/null; kubectl version --client >/dev/null; done   # warm the page cache
for ((i = 0; i < runs; i++)); do
  t0=$(now); "$bin" version >/dev/null; t1=$(now)
  kubectl version --client >/dev/null; t2=$(now)
  ours+=($(( (t1 - t0) / 1000 ))); theirs+=($(( (t2 - t1) / 1000 )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mo=$(median "${ours[@]}"); mk=$(median "${theirs[@]}")
ratio=$(awk -v a="$mo" -v b="$mk" 'BEGIN {printf "%.2f", a/b}')
echo "runs=$runs  kubectl-agentcore version: median ${mo}µs   kubectl version --client: median ${mk}µs   ratio ${ratio} (target ≤ 0.60)"
awk -v r="$ratio" 'BEGIN {exit !(r <= 0.6)}' || { echo "startup target missed" >&2; exit 1; }
