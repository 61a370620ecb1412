#!/usr/bin/env bash
# What group commit buys on PostgreSQL: the same load against the gateway with
# storage.batch.max_messages: 1 (one transaction per message) and with the default (256),
# in one run, on one throwaway PostgreSQL (fsync and synchronous_commit on).
# For each round and each setting: requests/s, p50, p99, 2xx answered, rows stored,
# lost = 2xx answers without a new row (must be 0), and unread = rows whose 2xx wrk never read
# because it stopped with them in flight (at most one per connection). Medians at the end.
#
#   bench/group_commit.sh [BUILD_DIR] [ROUNDS] [DURATION] [CONNECTIONS]
#   defaults: build/release 3 15s 64
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
rounds=${2:-3}
duration=${3:-15s}
connections=${4:-64}
binary=$build/bin/memolib-gateway
[[ -x $binary ]] || { echo "no $binary: build the release preset first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d /tmp/memolib-bench.XXXXXX)
gateway_pid=
cleanup() {
    [[ -n $gateway_pid ]] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
    bash scripts/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
url=$(bash scripts/pg.sh start "$work/pg")
port_of_pg=$(cat "$work/pg/port")
psql_q() { psql -X -qtA -h 127.0.0.1 -p "$port_of_pg" -U postgres -d memolib_test -c "$1"; }

run_one() {  # max_messages round
    local max=$1 round=$2 cfg=$work/gateway-$1.yaml log=$work/gateway-$1-$2.log
    cat >"$cfg" <<YAML
server: {listen: "127.0.0.1:0", threads: 2}
plugins: {directory: $build/plugins}
storage: {backend: postgresql, url: "$url", batch: {max_messages: $max, max_delay: 2ms}}
pipeline: {stages: [size_limit, verify, parse, enrich, dedup, persist]}
channels:
  form: {plugin: form}
YAML
    "$binary" serve -c "$cfg" 2>"$log" &
    gateway_pid=$!
    local port=
    for _ in $(seq 1 100); do
        port=$(grep -o '"event":"listening"[^}]*"port":[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$' || true)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || { echo "the gateway did not start:" >&2; cat "$log" >&2; exit 1; }
    local before after out
    before=$(psql_q "SELECT COUNT(*) FROM messages")
    out=$(RUN_ID="m$max-r$round-$$" wrk -t1 -c"$connections" -d"$duration" --latency \
        -s bench/form.lua "http://127.0.0.1:$port/webhooks/form")
    kill -TERM "$gateway_pid"
    wait "$gateway_pid" || true
    gateway_pid=
    after=$(psql_q "SELECT COUNT(*) FROM messages")
    local rps ok p50 p99
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    ok=$(grep -o '2xx=[0-9]*' <<<"$out" | cut -d= -f2)
    p50=$(grep -o 'p50=[0-9]*' <<<"$out" | cut -d= -f2)
    p99=$(grep -o 'p99=[0-9]*' <<<"$out" | cut -d= -f2)
    local rows=$((after - before)) lost=0 unread=0
    ((ok > rows)) && lost=$((ok - rows))
    ((rows > ok)) && unread=$((rows - ok))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$max" "$round" "$rps" "$p50" "$p99" "$ok" \
        "$rows" "$lost" "$unread" | tee -a "$work/results.tsv"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024)" MiB"}' /proc/meminfo); wrk -t1 -c$connections -d$duration; $rounds rounds"
printf 'max_messages\tround\treq/s\tp50_us\tp99_us\t2xx\trows\tlost\tunread\n'
for round in $(seq 1 "$rounds"); do
    for max in 1 256; do run_one "$max" "$round"; done
done
echo
echo "medians over $rounds rounds:"
median() {  # column (1-based) for max_messages $1
    awk -F'\t' -v m="$1" -v c="$2" '$1 == m {print $c}' "$work/results.tsv" | sort -n |
        awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
for max in 1 256; do
    printf '  max_messages=%-4s %8.0f req/s   p50 %6.1f ms   p99 %6.1f ms\n' "$max" \
        "$(median "$max" 3)" "$(awk -v v="$(median "$max" 4)" 'BEGIN {print v / 1000}')" \
        "$(awk -v v="$(median "$max" 5)" 'BEGIN {print v / 1000}')"
done
lost=$(awk -F'\t' '{s += $8} END {print s + 0}' "$work/results.tsv")
unread=$(awk -F'\t' -v c="$connections" '$9 > c {bad++} END {print bad + 0}' "$work/results.tsv")
echo "lost (2xx without a stored row), all runs: $lost"
echo "runs with more unread rows than connections: $unread"
[[ $lost -eq 0 && $unread -eq 0 ]]
