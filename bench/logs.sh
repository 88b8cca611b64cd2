#!/usr/bin/env bash
# Logs pipeline throughput on text and JSON access lines alike (issue 11). Writes a generated agentgateway access
# log mixing text lines and JSON lines (logging.format json; 2 in 7 lines, the shape of plugin/logs.GenerateMixed)
# and times `kubectl-agentcore logs --file F <filter> -o raw` against `grep -ac` for the same filter, on the text
# lines, on the JSON lines and on the mixed file, all in this one run (grep and logs run alternately, best of
# BENCH_RUNS=5 each, page cache warm).
# Every count is checked against grep's and against the count the generator's arithmetic gives.
# Targets: at most 2× grep's time for the same filter on text and JSON alike; peak RSS ≤ 50 MiB.
# Then `go test -bench BenchmarkScanMixed` prints the in-process numbers (lines/s, no process start-up).
#   bench/logs.sh [lines]     (default 300000; builds bin/kubectl-agentcore first when missing or stale)
#   BENCH_NO_GOTEST=1 bench/logs.sh   skips the go test benchmark
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300000}
BIN=bin/kubectl-agentcore
if [ ! -x "$BIN" ] || [ -n "$(find plugin tui k8sres cmd internal -name '*.go' -newer "$BIN" -print -quit)" ]; then
	make -s build
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mixed="$dir/mixed.log"
awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++) {
		ts = sprintf("2025-11-20T10:41:%02d.%06dZ", i % 60, i % 1000000)
		js = (i % 7 == 1 || i % 7 == 4)
		if (i % 1000 == 999) {
			if (js) printf "{\"level\":\"warn\",\"time\":\"%s\",\"scope\":\"config\",\"message\":\"watching secret agentcore/agentcore-jwt\"}\n", ts
			else printf "%s\twarn\tconfig: watching secret agentcore/agentcore-jwt\n", ts
			continue
		}
		st = 200; tx = "duration=437ms"; jx = "\"duration\":\"437ms\""
		if (i % 10 == 3) { st = 401; tx = "error=\"authentication failure: no bearer token found\" reason=JwtAuth duration=0ms"
			jx = "\"error\":\"authentication failure: no bearer token found\",\"reason\":\"JwtAuth\",\"duration\":\"0ms\"" }
		else if (i % 50 == 7) { st = 429; tx = "reason=RateLimit duration=0ms"; jx = "\"reason\":\"RateLimit\",\"duration\":\"0ms\"" }
		else if (i % 100 == 11) { st = 503
			tx = "error=\"upstream connect error: \\\"connection refused\\\"\" reason=UpstreamFailure duration=3012ms"
			jx = "\"error\":\"upstream connect error: \\\"connection refused\\\"\",\"reason\":\"UpstreamFailure\",\"duration\":\"3012ms\"" }
		if (js) printf "{\"level\":\"info\",\"time\":\"%s\",\"scope\":\"request\",\"gateway\":\"agentgateway-system/agentgateway-proxy\",\"listener\":\"http\",\"route\":\"agentcore/agentcore\",\"endpoint\":\"bedrock-agentcore.us-east-1.amazonaws.com:443\",\"src.addr\":\"10.0.%d.%d:51234\",\"http.method\":\"POST\",\"http.host\":\"gw.example.com\",\"http.path\":\"/invocations\",\"http.version\":\"HTTP/1.1\",\"http.status\":%d,\"protocol\":\"http\",%s}\n", ts, i % 256, i % 200, st, jx
		else printf "%s\tinfo\trequest gateway=agentgateway-system/agentgateway-proxy listener=http route=agentcore/agentcore endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443 src.addr=10.0.%d.%d:51234 http.method=POST http.host=gw.example.com http.path=/invocations http.version=HTTP/1.1 http.status=%d protocol=http %s\n", ts, i % 256, i % 200, st, tx
	}
}' > "$mixed"
grep -a '^{' "$mixed" > "$dir/json.log" || true
grep -av '^{' "$mixed" > "$dir/text.log" || true
# what the generator's arithmetic says: 401s are i%10==3 (never a 1000th line), JSON when i%7 is 1 or 4
read -r exp_text exp_json < <(awk -v n="$N" 'BEGIN { for (i = 3; i < n; i += 10) if (i % 7 == 1 || i % 7 == 4) j++; else t++; print t+0, j+0 }')
cat "$mixed" "$dir/json.log" "$dir/text.log" > /dev/null # warm the page cache

now() { date +%s.%N; }
RUNS=${BENCH_RUNS:-5}
# pair <grep command…> -- <logs command…>: runs the two alternately RUNS times (so a burst of load on this shared
# machine hits both alike) and sets gbest/lbest, the lowest seconds of each; stdout of the last runs in
# $dir/gout and $dir/out
pair() {
	local g=() l=() s e d
	while [ "$1" != "--" ]; do g+=("$1"); shift; done
	shift
	l=("$@")
	gbest="" lbest=""
	for _ in $(seq "$RUNS"); do
		s=$(now); "${g[@]}" > "$dir/gout"; e=$(now); d=$(echo "$e - $s" | bc -l)
		if [ -z "$gbest" ] || [ "$(echo "$d < $gbest" | bc -l)" = 1 ]; then gbest=$d; fi
		s=$(now); "${l[@]}" > "$dir/out"; e=$(now); d=$(echo "$e - $s" | bc -l)
		if [ -z "$lbest" ] || [ "$(echo "$d < $lbest" | bc -l)" = 1 ]; then lbest=$d; fi
	done
}
best=""    # best (lowest) seconds of the last timing
timeit() { # runs "$@" RUNS times, sets best; stdout of the last run in $dir/out
	best=""
	local s e d
	for _ in $(seq "$RUNS"); do
		s=$(now)
		"$@" > "$dir/out"
		e=$(now)
		d=$(echo "$e - $s" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$d < $best" | bc -l)" = 1 ]; then best=$d; fi
	done
}
fail=0
# compare <label> <file> <lines in file> <expected count> <grep args…> -- <logs args…>
compare() {
	local label=$1 file=$2 lines=$3 expect=$4; shift 4
	local gargs=() largs=()
	while [ "$1" != "--" ]; do gargs+=("$1"); shift; done
	shift
	largs=("$@")
	pair grep -ac "${gargs[@]}" "$file" -- "$BIN" logs --file "$file" "${largs[@]}" -o raw
	local gs=$gbest gc os=$lbest oc rss ratio
	gc=$(cat "$dir/gout")
	oc=$(grep -c '' "$dir/out")
	rss=$(/usr/bin/time -f %M "$BIN" logs --file "$file" "${largs[@]}" -o raw 2>&1 > /dev/null | tail -1)
	ratio=$(echo "$os / $gs" | bc -l)
	local verdict="ok"
	if [ "$(echo "$ratio > 2" | bc -l)" = 1 ] || [ "$rss" -gt $((50 * 1024)) ]; then verdict="MISSED"; fi
	printf '%-6s %-28s grep %6.3fs  logs %6.3fs  %4.2f× grep  %9.0f lines/s  RSS %4.1f MiB  %7d lines  %s\n' \
		"$label" "${largs[*]}" "$gs" "$os" "$ratio" "$(echo "$lines / $os" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$oc" "$verdict"
	if [ "$oc" != "$gc" ] || { [ "$expect" != - ] && [ "$oc" != "$expect" ]; }; then
		echo "MISMATCH: logs ${largs[*]} printed $oc lines, grep counted $gc, the generator made $expect" >&2
		fail=1
	fi
	if [ "$verdict" != ok ]; then fail=1; fi
}

nt=$(grep -c '' "$dir/text.log"); nj=$(grep -c '' "$dir/json.log")
echo "file: $N lines ($nt text, $nj JSON), $(du -m "$mixed" | cut -f1) MiB; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo "target: logs ≤ 2× grep -ac for the same filter, peak RSS ≤ 50 MiB (best of $RUNS alternate runs each)"
# what every row pays before reading a byte: the process start of each side (the plugin links client-go, the AWS
# SDK and prometheus; on a machine where page faults are dear this is most of a small file's time)
timeit "$BIN" version
start_logs=$best
echo x > "$dir/one"
timeit grep -ac x "$dir/one"
printf 'process start: plugin (`version`) %.3fs, grep (a one-line file) %.3fs\n' "$start_logs" "$best"
compare text "$dir/text.log" "$nt" "$exp_text" -F 'http.status=401' -- --status 401
compare json "$dir/json.log" "$nj" "$exp_json" -F '"http.status":401' -- --status 401
compare mixed "$mixed" "$N" $((exp_text + exp_json)) -F -e 'http.status=401' -e '"http.status":401' -- --status 401
compare text "$dir/text.log" "$nt" - -F 'reason=JwtAuth' -- --status 4xx --reason JwtAuth
compare json "$dir/json.log" "$nj" - -F '"reason":"JwtAuth"' -- --status 4xx --reason JwtAuth
compare mixed "$mixed" "$N" - -F -e 'reason=JwtAuth' -e '"reason":"JwtAuth"' -- --status 4xx --reason JwtAuth
echo "(not a target: every line parsed)"
for args in "--stats" "-o text"; do
	# shellcheck disable=SC2086
	timeit "$BIN" logs --file "$mixed" $args
	printf 'mixed  %-28s logs %6.3fs  %9.0f lines/s\n' "$args" "$best" "$(echo "$N / $best" | bc -l)"
done

if [ -z "${BENCH_NO_GOTEST:-}" ]; then
	echo "go test -bench BenchmarkScanMixed ./plugin/logs (in process: read, prefilter, parse, filter):"
	go test -run '^$' -bench BenchmarkScanMixed -benchtime 5x ./plugin/logs |
		awk '/^BenchmarkScanMixed/ { name = $1; sub(/^BenchmarkScanMixed\//, "", name); sub(/-[0-9]+$/, "", name)
			for (i = 2; i <= NF; i++) { if ($(i+1) == "MB/s") mbs = $i; if ($(i+1) == "lines/s") ls = $i }
			printf "  %-34s %8.0f MB/s  %10.0f lines/s\n", name, mbs, ls }'
fi
exit $fail
