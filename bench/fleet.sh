#!/usr/bin/env bash
# The rotation service at scale, in the real test cluster with the fake AgentCore and the real oidc-provider:
#  - 100 setups with 2-minute tokens, 2 replicas, the leader killed mid-run (no Secret ever empty, invalid or
#    inside AgentCore's refusal margin; the writers never interleave in resourceVersion order);
#  - renewals/s and API requests per renewal for 100 due setups; the service's heap at 100 and 1,000 records.
# Needs make build testbin oidc-provider.
set -euo pipefail
cd "$(dirname "$0")/.."
export AGENTCORE_REQUIRE_TESTBIN=1 AGENTCORE_REQUIRE_OIDC=1
run() {
	local out
	out="$(go test -count=1 -timeout 20m -v -run "$1" ./plugin/rotate/ 2>&1)" || { echo "$out" | grep -v '^[IE][0-9]\{4\} ' | tail -40; exit 1; }
	grep -o 'FIGURES.*' <<<"$out" | sed 's/^FIGURES /  /'
	grep -E 'killed|leads' <<<"$out" | sed 's/^ *fleet_integration_test.go:[0-9]*: /  /' || true
}
echo "rotation service, 100 setups, 2 replicas, leader killed mid-run:"
AGENTCORE_FLEET_SETUPS="${FLEET_SETUPS:-100}" run '^TestFleetLeaderKill$'
echo "rotation service throughput and memory:"
AGENTCORE_FLEET_BENCH=1 run '^TestFleetBench$'
echo "doctor --all, 100 setups against one (in the test process with warm clients, then the built commands):"
out="$(AGENTCORE_FLEET_BENCH=1 AGENTCORE_FLEET_COMMAND="$PWD/bin/kubectl-agentcore" go test -count=1 -timeout 20m -v -run '^TestDoctorFleetBench$' ./plugin/doctor/ 2>&1)" || { echo "$out" | tail -40; exit 1; }
grep -o 'FIGURES.*' <<<"$out" | sed 's/^FIGURES /  /'
