#!/usr/bin/env bash
# Time `agentcore-sandbox up` (cold, binaries already built), a second `up` (reuse) and `down`.
# Target: a cold start under 30 s. Usage: bench/sandbox.sh [runs]   (from the project folder, after make testbin cognito-local)
set -euo pipefail
runs=${1:-3}
bin=bin/agentcore-sandbox
${GO:-go} build -o "$bin" ./cmd/agentcore-sandbox
# A state folder of its own, so a running `make demo` sandbox (.sandbox/) is left alone.
AGENTCORE_SANDBOX_DIR=$(mktemp -d /tmp/agentcore-sandbox-bench.XXXXXX)
export AGENTCORE_SANDBOX_DIR
trap '$bin down >/dev/null 2>&1 || true; rm -rf "$AGENTCORE_SANDBOX_DIR"' EXIT
ms() { date +%s%3N; }
for i in $(seq "$runs"); do
  t0=$(ms); $bin up >/dev/null 2>&1; t1=$(ms)
  $bin up >/dev/null 2>&1; t2=$(ms)
  $bin down >/dev/null 2>&1; t3=$(ms)
  printf 'run %d: cold up %5.1fs · reuse %4.2fs · down %4.1fs\n' "$i" \
    "$(echo "($t1-$t0)/1000" | bc -l)" "$(echo "($t2-$t1)/1000" | bc -l)" "$(echo "($t3-$t2)/1000" | bc -l)"
done
