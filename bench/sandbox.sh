#!/usr/bin/env bash
# Time `kubectl agentcore sandbox up` (cold, binaries already built), a second `up` (reuse) and `down`.
# Target: a cold start under 30 s. Usage: bench/sandbox.sh [runs]   (from the project folder, after make build testbin cognito-local)
set -euo pipefail
runs=${1:-3}
bin=bin/kubectl-agentcore
dir=$(mktemp -d /tmp/agentcore-sandbox-bench.XXXXXX)
trap '$bin sandbox down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
ms() { date +%s%3N; }
for i in $(seq "$runs"); do
  t0=$(ms); $bin sandbox up --dir "$dir" >/dev/null 2>&1; t1=$(ms)
  $bin sandbox up --dir "$dir" >/dev/null 2>&1; t2=$(ms)
  $bin sandbox down --dir "$dir" >/dev/null 2>&1; t3=$(ms)
  printf 'run %d: cold up %5.1fs · reuse %4.2fs · down %4.1fs\n' "$i" \
    "$(echo "($t1-$t0)/1000" | bc -l)" "$(echo "($t2-$t1)/1000" | bc -l)" "$(echo "($t3-$t2)/1000" | bc -l)"
done
