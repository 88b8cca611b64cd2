#!/usr/bin/env bash
# Logs pipeline throughput: parse + filter a generated 1 000 000-line agentgateway text access log from a file in
# plain mode, against `grep -c 'http.status=401'` on the same file in the same run; peak RSS of our run.
# Targets (issue 6): within 3× of grep, at least 300 000 lines/s, peak RSS ≤ 50 MiB.
#   bench/logs.sh [lines]     (builds bin/kubectl-agentcore first when missing or older than the sources)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BIN=bin/kubectl-agentcore
if [ ! -x "$BIN" ] || [ -n "$(find plugin tui k8sres cmd -name '*.go' -newer "$BIN" -print -quit)" ]; then
	make -s build
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
log="$dir/access.log"
# the same shape as plugin/logs.GenerateText: 1 in 10 a 401 JwtAuth, 1 in 50 a 429, 1 in 100 a 503, a non-access
# line every 1000 lines
awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++) {
		ts = sprintf("2025-11-20T10:41:%02d.%06dZ", i % 60, i % 1000000)
		if (i % 1000 == 999) { printf "%s\twarn\tconfig: watching secret agentcore/agentcore-jwt\n", ts; continue }
		st = 200; ex = "duration=437ms"
		if (i % 10 == 3) { st = 401; ex = "error=\"authentication failure: no bearer token found\" reason=JwtAuth duration=0ms" }
		else if (i % 50 == 7) { st = 429; ex = "reason=RateLimit duration=0ms" }
		else if (i % 100 == 11) { st = 503; ex = "error=\"upstream connect error\" reason=UpstreamFailure duration=3012ms" }
		printf "%s\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=10.0.%d.%d:51234 http.method=POST http.host=gw.example.com http.path=/invocations http.version=HTTP/1.1 http.status=%d protocol=http %s\n", ts, i % 256, i % 200, st, ex
	}
}' > "$log"
size=$(du -m "$log" | cut -f1)
cat "$log" > /dev/null # warm the page cache for both

now() { date +%s.%N; }
t0=$(now); gc=$(grep -c 'http.status=401' "$log"); t1=$(now)
grep_s=$(echo "$t1 - $t0" | bc -l)

run() { # $1 = label, rest = args
	local label=$1; shift
	local out="$dir/out.$label" tv="$dir/time.$label"
	local s e
	s=$(now)
	/usr/bin/time -v "$BIN" logs --file "$log" "$@" > "$out" 2> "$tv"
	e=$(now)
	local secs rss lines
	secs=$(echo "$e - $s" | bc -l)
	rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$tv")
	lines=$(wc -l < "$out")
	printf '%-34s %8.3fs  %10.0f lines/s  %5.1f× grep  peak RSS %5.1f MiB  (%d lines out)\n' \
		"$label" "$secs" "$(echo "$N / $secs" | bc -l)" "$(echo "$secs / $grep_s" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$lines"
}

echo "file: $N lines, ${size} MiB; grep -c 'http.status=401' = $gc in $(printf '%.3f' "$grep_s")s"
run "--status 401 -o raw" --status 401 -o raw
run "--status 401 -o text" --status 401 -o text
run "--status 401 --stats -o raw" --status 401 --stats -o raw
run "--status 4xx --reason JwtAuth -o json" --status 4xx --reason JwtAuth -o json
run "no filter -o raw (full parse)" -o raw
run "no filter --stats -o raw" --stats -o raw
if [ "$(grep -c '' "$dir/out.--status 401 -o raw")" != "$gc" ]; then
	echo "MISMATCH: our --status 401 count differs from grep's" >&2
	exit 1
fi
