#!/usr/bin/env bash
# The gateway's benchmark (issue #7): for each workload, R rounds of wrk against each target,
# the targets alternating in every round, a no-loss check after every run, medians at the end.
#
#   bench/run.sh [options]
#
# Workloads (--workloads, comma-separated; default: all five):
#   sqlite       Meta WhatsApp text webhooks, unique ids, the gateway on the embedded SQLite
#   postgresql   the same, the gateway on a throwaway PostgreSQL (fsync, synchronous_commit on)
#   replay       the same webhooks re-posted: after the warm-up has stored them, every request
#                repeats one, and the gateway's idempotent-replay cache answers it (SQLite)
#   connections  the sqlite workload over --many-connections keep-alive connections (1000)
#   mixed        WhatsApp, form, SMS and e-mail bodies in turn, each with its provider's content
#                type (SQLite; the gateway alone: the peers serve WhatsApp only)
#
# Options (defaults in brackets):
#   --gateway PATH          the binary; nothing is built [build/release/bin/memolib-gateway]
#   --plugins DIR           its plugins [the binary's ../plugins]
#   --baseline PATH         another gateway binary (an older build) measured as target
#                           'baseline', alternating with 'gateway' in every round (optional)
#   --baseline-plugins DIR  its plugins [that binary's ../plugins]
#   --rounds R              rounds [3]
#   --threads T             wrk -t [1]
#   --connections C         wrk -c, every workload but connections [64]
#   --many-connections N    wrk -c of the connections workload [1000]
#   --duration D            wrk -d of each measured run, seconds [15]
#   --warmup W              unrecorded wrk run before it, seconds [3]
#   --timeout S             wrk --timeout; slower answers leave wrk's histogram [30s]
#   --gateway-threads N     server.threads of the gateway [2]
#   --log-level L           the gateway's logging.level; its log goes to a file [info]
#   --peers-dir DIR         a ../shared/bench checkout: also measure its nginx ceiling and its
#                           node-seed peer, launched as its run.sh does (optional)
#   --out DIR               results [bench/results/<timestamp>]
#   --keep                  keep the work dir (databases, PostgreSQL, logs)
#
# Outputs in the results dir: results.tsv (one line per run), summary.md (machine, commands,
# every run, the medians side by side), each run's wrk output and each target's log.
# Exit status 1 when a run lost a message (a 2xx neither replayed nor `duplicate` but no new
# row), got an answer no workload expects (4xx other than a replay's 409, 5xx), or a target
# failed to start or to accept a sample webhook.
set -euo pipefail
bench_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$bench_dir/.." && pwd)
python=/usr/bin/python3
original_args=("$@")

gateway=$repo/build/release/bin/memolib-gateway plugins=""
rounds=3 threads=1 connections=64 many_connections=1000 duration=15 warmup=3 timeout=30s
gateway_threads=2 log_level=info peers_dir="" out="" keep=0 baseline="" baseline_plugins=""
workloads=sqlite,postgresql,replay,connections,mixed

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
    --gateway) gateway=$(realpath -m "$2"); shift 2 ;;
    --plugins) plugins=$(realpath -m "$2"); shift 2 ;;
    --baseline) baseline=$(realpath -m "$2"); shift 2 ;;
    --baseline-plugins) baseline_plugins=$(realpath -m "$2"); shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --many-connections) many_connections=$2; shift 2 ;;
    --duration) duration=${2%s}; shift 2 ;;
    --warmup) warmup=${2%s}; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --gateway-threads) gateway_threads=$2; shift 2 ;;
    --log-level) log_level=$2; shift 2 ;;
    --peers-dir) peers_dir=$(realpath -m "$2"); shift 2 ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for n in "$rounds" "$threads" "$connections" "$many_connections" "$duration" "$warmup"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "run.sh: '$n' is not a whole number" >&2; exit 2; }
done
((warmup >= 1)) || { echo "run.sh: --warmup must be at least 1 s (the replay workload stores its messages then)" >&2; exit 2; }
IFS=, read -r -a workload_list <<<"$workloads"
for w in "${workload_list[@]}"; do
    case "$w" in sqlite | postgresql | replay | connections | mixed) ;;
    *) echo "run.sh: unknown workload '$w'" >&2; exit 2 ;;
    esac
done
[[ -n "$plugins" ]] || plugins=$(realpath -m "$(dirname "$gateway")/../plugins")
[[ -x "$gateway" ]] || { echo "run.sh: no gateway at $gateway (build it first, e.g. cmake --preset release && cmake --build --preset release, or pass --gateway)" >&2; exit 1; }
[[ -d "$plugins" ]] || { echo "run.sh: no plugins directory $plugins (pass --plugins)" >&2; exit 1; }
if [[ -n "$baseline" ]]; then
    [[ -n "$baseline_plugins" ]] || baseline_plugins=$(realpath -m "$(dirname "$baseline")/../plugins")
    [[ -x "$baseline" ]] || { echo "run.sh: no baseline gateway at $baseline" >&2; exit 1; }
    [[ -d "$baseline_plugins" ]] || { echo "run.sh: no plugins directory $baseline_plugins (pass --baseline-plugins)" >&2; exit 1; }
fi
# The replay workload re-posts 100 messages per wrk thread; the bench config's replay cache
# holds 1000 answers.
if [[ ",$workloads," == *,replay,* ]] && ((threads * 100 > 1000)); then
    echo "run.sh: the replay workload needs --threads 10 or fewer (100 messages each, 1000 cached answers)" >&2
    exit 2
fi

# ---------------------------------------------------------------- dependencies (bench only)
# wrk and the nginx ceiling are not in scripts/deps.sh: CI never runs the benchmark.
ensure_packages() {
    local wanted=(wrk sqlite3 curl procps postgresql) missing=() p
    [[ -n "$peers_dir" ]] && wanted+=(nginx-light)
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return
    if [[ $(id -u) -ne 0 ]]; then
        echo "run.sh: missing packages ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "run.sh: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2 ||
        { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2; }
}
ensure_packages

# The peers, as ../shared/bench/run.sh launches them; node-seed's npm packages are installed
# outside both trees when the peers dir has none (it may be read-only).
nginx_run="" node_seed_dir=""
if [[ -n "$peers_dir" ]]; then
    [[ -x "$peers_dir/nginx-run.sh" ]] || { echo "run.sh: no nginx-run.sh in $peers_dir" >&2; exit 1; }
    nginx_run=$peers_dir/nginx-run.sh
    node_seed_dir=$peers_dir/peers/node-seed
    [[ -f "$node_seed_dir/server.js" ]] || { echo "run.sh: no peers/node-seed/server.js in $peers_dir" >&2; exit 1; }
    command -v node >/dev/null || { echo "run.sh: node-seed needs Node.js 20+ (node not found)" >&2; exit 1; }
    if [[ ! -d "$node_seed_dir/node_modules" ]]; then
        cache=${XDG_CACHE_HOME:-$HOME/.cache}/memolib-bench/node-seed
        mkdir -p "$cache"
        if ! cmp -s "$node_seed_dir/package-lock.json" "$cache/package-lock.json" || [[ ! -d "$cache/node_modules" ]]; then
            echo "run.sh: installing node-seed's npm packages in $cache (npm ci)" >&2
            cp "$node_seed_dir/package.json" "$node_seed_dir/package-lock.json" "$cache/"
            (cd "$cache" && npm ci --no-audit --no-fund >&2)
        fi
        cp "$node_seed_dir/server.js" "$cache/server.js"
        node_seed_dir=$cache
    fi
fi

# ---------------------------------------------------------------- run state and cleanup
stamp=$(date +%Y%m%d-%H%M%S)
[[ -n "$out" ]] || out=$bench_dir/results/$stamp
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/memolib-bench.XXXXXX")
chmod 755 "$work"
run_tag=$(printf 'r%x%04x' "$(date +%s)" $((RANDOM % 65536)))
clk_tck=$(getconf CLK_TCK)
target_pid="" wrk_pid="" pg_started=0 failures=0

stop_target() {
    local pid=$1
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    # Each target runs in its own session, so its group is its workers too (nginx, node).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "run.sh: pid $pid still runs 15 s after SIGTERM: SIGKILL" >&2
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n "$wrk_pid" ]] && kill -TERM "$wrk_pid" 2>/dev/null
    stop_target "$target_pid"
    if [[ $pg_started == 1 ]]; then bash "$repo/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true; fi
    if [[ $keep == 1 ]]; then echo "run.sh: work dir kept: $work" >&2; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

# ---------------------------------------------------------------- /proc accounting
free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PID and all its descendants.
tree_pids() {
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2 }
        END {
            keep[root] = 1
            do { grown = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grown = 1 } } while (grown)
            for (p in keep) print p
        }'
}

# CPU clock ticks of a process tree: utime+stime of each live process, plus cutime+cstime
# (children it reaped, e.g. PostgreSQL backends of closed connections).
tree_ticks() {
    local sum=0 p stat fields
    [[ -n "$1" ]] || { echo 0; return; }
    for p in $(tree_pids "$1"); do
        stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        # Fields from the 3rd (state) on: the command name before may hold spaces.
        read -r -a fields <<<"${stat##*) }"
        sum=$((sum + fields[11] + fields[12] + fields[13] + fields[14]))
    done
    echo "$sum"
}

# Peak resident set (VmHWM, KiB) summed over a process tree.
tree_hwm_kib() {
    local sum=0 p v
    for p in $(tree_pids "$1"); do
        v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# "busy total" jiffies of the whole machine.
machine_ticks() {
    awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit }' /proc/stat
}

# ---------------------------------------------------------------- PostgreSQL
pg_url="" pg_pid=""
needs_pg=0
[[ ",$workloads," == *,postgresql,* ]] && needs_pg=1
[[ -n "$peers_dir" ]] && [[ ",$workloads," =~ ,(postgresql|replay|connections), ]] && needs_pg=1
psql_at() { psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"; }
if [[ $needs_pg == 1 ]]; then
    # A throwaway cluster of our own, never a server named in the environment.
    pg_url=$(env -u MEMOLIB_TEST_PG_URL bash "$repo/scripts/pg.sh" start "$work/pg")
    pg_started=1
    pg_pid=$(head -n 1 "$(cat "$work/pg/datadir")/data/postmaster.pid")
    durability=$(psql_at "$pg_url" "SELECT current_setting('fsync') || ',' || current_setting('synchronous_commit') || ',' || current_setting('full_page_writes')")
    [[ "$durability" == on,on,on ]] ||
        { echo "run.sh: PostgreSQL runs with fsync,synchronous_commit,full_page_writes = $durability" >&2; exit 1; }
fi
# A fresh database on the cluster for one target run; prints its URL.
new_pg_database() {
    psql_at "$pg_url" "CREATE DATABASE $1" >/dev/null
    echo "${pg_url%/*}/$1"
}

# ---------------------------------------------------------------- targets
# Sets target_pid, target_base (http://127.0.0.1:PORT), rows_kind and rows_where
# (sqlite FILE | postgresql URL | none).
start_gateway() {
    local backend=$1 name=$2 log=$3 binary=${4:-$gateway} plugin_dir=${5:-$plugins} db
    if [[ $backend == sqlite ]]; then
        db=$work/$name.db
        rows_kind=sqlite rows_where=$db
    else
        db=$(new_pg_database "$name")
        rows_kind=postgresql rows_where=$db
    fi
    # Its own working directory: the PostgreSQL spool's default path (data/spool.db) lands in
    # the run's work dir, one per target run, whichever build it is.
    mkdir -p "$work/$name.cwd"
    (cd "$work/$name.cwd" && MEMOLIB_BENCH_PLUGINS=$plugin_dir MEMOLIB_BENCH_DB=$db \
        MEMOLIB_BENCH_LOG_LEVEL=$log_level MEMOLIB_BENCH_THREADS=$gateway_threads \
        exec setsid "$binary" serve -c "$bench_dir/gateway.$backend.yaml") >"$log" 2>&1 &
    target_pid=$!
    local port=""
    for _ in $(seq 1 300); do
        port=$(grep -o '"event":"listening"[^}]*"port":[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$' || true)
        [[ -n "$port" ]] && break
        kill -0 "$target_pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n "$port" ]] || return 1
    target_base=http://127.0.0.1:$port
}

wait_port() {
    local port=$1 pid=$2
    for _ in $(seq 1 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

start_nginx() {
    local log=$1 port
    port=$(free_port)
    setsid "$nginx_run" "$port" "$work/nginx-$port" >"$log" 2>&1 &
    target_pid=$!
    rows_kind=none rows_where=""
    target_base=http://127.0.0.1:$port
    wait_port "$port" "$target_pid"
}

start_node_seed() {
    local name=$1 log=$2 port db
    port=$(free_port)
    db=$(new_pg_database "$name")
    # The settings ../shared/bench/run.sh gives it: its best pool size, no binding rate limit.
    setsid env DATABASE_URL="$db" HOST=127.0.0.1 PORT="$port" RATE_LIMIT_MAX=1000000000 PG_POOL_MAX=8 \
        node "$node_seed_dir/server.js" >"$log" 2>&1 &
    target_pid=$!
    rows_kind=postgresql rows_where=$db
    target_base=http://127.0.0.1:$port
    wait_port "$port" "$target_pid"
}

count_rows() {
    case "$rows_kind" in
    sqlite) sqlite3 -cmd '.timeout 10000' "$rows_where" 'SELECT count(*) FROM messages' ;;
    postgresql) psql_at "$rows_where" 'SELECT count(*) FROM messages' ;;
    *) echo - ;;
    esac
}

# The row count once requests still in flight have finished: two equal reads 0.3 s apart.
settled_rows() {
    local a b
    a=$(count_rows)
    for _ in $(seq 1 50); do
        sleep 0.3
        b=$(count_rows)
        [[ "$a" == "$b" ]] && break
        a=$b
    done
    echo "$a"
}

sample_webhook() {
    cat <<EOF
{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Camille Martin"},"wa_id":"33612345678"}],"messages":[{"from":"33612345678","id":"wamid.sanity$1","timestamp":"$(date +%s)","type":"text","text":{"body":"Bonjour, pouvez-vous me rappeler au sujet de mon dossier ? Merci."}}]},"field":"messages"}]}]}
EOF
}

# ---------------------------------------------------------------- one wrk run
# run_wrk OUTPUT SCRIPT URL CONNECTIONS SECONDS RUN_ID EPOCH REPLAY_IDS
run_wrk() {
    RUN_ID=$6 RUN_EPOCH=$7 REPLAY_IDS=$8 wrk -t"$threads" -c"$4" -d"${5}s" --timeout "$timeout" --latency \
        -s "$bench_dir/$2" "$3" >"$1" 2>&1 &
    wrk_pid=$!
    wait "$wrk_pid" || echo "run.sh: wrk failed (see $1)" >&2
    wrk_pid=""
}

# value KEY PREFIX FILE: the KEY=value on the line starting with PREFIX
value() {
    awk -v k="$1" -v p="$2" '$1 == p { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) { print a[2]; exit } } }' "$3"
}

say() { echo "$*" | tee -a "$out/summary.md"; }

results=$out/results.tsv
printf 'round\tworkload\ttarget\tbackend\tthreads\tconnections\tseconds\treq_s\tp50_ms\tp99_ms\tanswered\tok_2xx\treplayed\ts409\ts4xx\ts5xx\tsocket_errors\trows_before\trows_after\tnew_rows\tlost\tunread\tpeak_rss_kib\tcpu_s\tcpu_us_per_req\tdb_cpu_us_per_req\ttarget_cores\tdb_cores\tbusy_cores\n' >"$results"

# measure ROUND WORKLOAD TARGET BACKEND SCRIPT PATH CONNECTIONS REPLAY_IDS
measure() {
    local round=$1 workload=$2 target=$3 backend=$4 script=$5 path=$6 conns=$7 replay_ids=$8
    local label="$workload-$target-round$round" id
    local log=$out/$label.log
    id=$(echo "${run_tag}x${round}x${workload}x${target}" | tr -cd 'A-Za-z0-9')
    local started=1
    case "$target" in
    gateway) start_gateway "$backend" "${workload}_gateway_r$round" "$log" || started=0 ;;
    baseline) start_gateway "$backend" "${workload}_baseline_r$round" "$log" "$baseline" "$baseline_plugins" || started=0 ;;
    nginx) start_nginx "$log" || started=0 ;;
    node-seed) start_node_seed "${workload}_node_seed_r$round" "$log" || started=0 ;;
    esac
    if [[ $started == 0 ]]; then
        echo "run.sh: $label did not start (log: $log)" >&2
        tail -n 20 "$log" >&2 || true
        stop_target "$target_pid"; target_pid=""
        say "| $round | $workload | $target | FAILED TO START | | | | | | | | | |"
        failures=$((failures + 1))
        return
    fi
    local url=$target_base$path code
    code=$(sample_webhook "$id" | curl -s -o "$out/$label.sample.txt" -w '%{http_code}' --max-time 30 \
        -H 'Content-Type: application/json' --data-binary @- "$target_base/webhooks/whatsapp" || echo 000)
    if [[ ! "$code" =~ ^2 ]]; then
        echo "run.sh: $label answered $code to the sample webhook: $(head -c 300 "$out/$label.sample.txt")" >&2
        stop_target "$target_pid"; target_pid=""
        say "| $round | $workload | $target | SAMPLE WEBHOOK ANSWERED $code | | | | | | | | | |"
        failures=$((failures + 1))
        return
    fi

    # The warm-up shares the measured run's ids: for the replay workload it stores the
    # messages that the measured run then re-posts.
    local epoch; epoch=$(date +%s)
    run_wrk "$out/$label.warmup.txt" "$script" "$url" "$conns" "$warmup" "$id" "$epoch" "$replay_ids"
    if grep -q "unexpected" "$out/$label.warmup.txt"; then
        echo "run.sh: $label: the warm-up got unexpected answers: $(grep -m 1 unexpected "$out/$label.warmup.txt")" >&2
    fi
    if [[ $replay_ids == 0 ]]; then id=${id}m; fi

    local before after t0 t1 d0 d1 m0 m1 report=$out/$label.wrk.txt
    before=$(settled_rows)
    t0=$(tree_ticks "$target_pid"); d0=$(tree_ticks "$pg_pid"); m0=$(machine_ticks)
    run_wrk "$report" "$script" "$url" "$conns" "$duration" "$id" "$epoch" "$replay_ids"
    t1=$(tree_ticks "$target_pid"); d1=$(tree_ticks "$pg_pid"); m1=$(machine_ticks)
    local rss_kib; rss_kib=$(tree_hwm_kib "$target_pid")
    after=$(settled_rows)
    stop_target "$target_pid"; target_pid=""

    local rps p50 p99 ok replayed duplicates s409 s4xx s5xx answered errors
    rps=$(value rps SUMMARY "$report"); answered=$(value total COUNTS "$report")
    if [[ -z "$rps" || -z "$answered" ]]; then
        echo "run.sh: $label: no report from wrk (see $report)" >&2
        say "| $round | $workload | $target | NO WRK REPORT | | | | | | | | | |"
        failures=$((failures + 1))
        return
    fi
    p50=$(awk -v v="$(value p50 LATENCY_US "$report")" 'BEGIN { printf "%.2f", v / 1000 }')
    p99=$(awk -v v="$(value p99 LATENCY_US "$report")" 'BEGIN { printf "%.2f", v / 1000 }')
    ok=$(value 2xx COUNTS "$report"); replayed=$(value replayed COUNTS "$report")
    duplicates=$(value duplicate COUNTS "$report"); s409=$(value 409 COUNTS "$report")
    s4xx=$(value 4xx COUNTS "$report"); s5xx=$(($(value 5xx COUNTS "$report") + $(value other COUNTS "$report")))
    errors=$(awk '$1 == "SUMMARY" { s = 0; for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] ~ /^errors_(connect|read|write|timeout)$/) s += a[2] } print s }' "$report")

    # lost: answers that acknowledged a new message (2xx, not a replay nor a duplicate)
    # without a new row.
    # unread: new rows whose answer wrk never read because it stopped with them in flight.
    local new_rows=- lost=- unread=- fresh_ok=$((ok - replayed - duplicates))
    if [[ "$before" != - ]]; then
        new_rows=$((after - before)) lost=0 unread=0
        ((fresh_ok > new_rows)) && lost=$((fresh_ok - new_rows))
        ((new_rows > fresh_ok)) && unread=$((new_rows - fresh_ok))
    fi
    local seconds cpu_s us_req db_us target_cores db_cores=- busy
    seconds=$(awk -v d="$(value duration_us SUMMARY "$report")" 'BEGIN { printf "%.3f", d / 1e6 }')
    cpu_s=$(awk -v t=$((t1 - t0)) -v hz="$clk_tck" 'BEGIN { printf "%.2f", t / hz }')
    us_req=$(awk -v c="$cpu_s" -v n="$answered" 'BEGIN { if (n > 0) printf "%.0f", c * 1e6 / n; else print "-" }')
    target_cores=$(awk -v c="$cpu_s" -v s="$seconds" 'BEGIN { if (s > 0) printf "%.2f", c / s; else print "-" }')
    db_us=-
    if [[ $rows_kind == postgresql ]]; then
        db_us=$(awk -v t=$((d1 - d0)) -v hz="$clk_tck" -v n="$answered" 'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }')
        db_cores=$(awk -v t=$((d1 - d0)) -v hz="$clk_tck" -v s="$seconds" 'BEGIN { if (s > 0) printf "%.2f", t / hz / s; else print "-" }')
    fi
    read -r b0 a0 <<<"$m0"; read -r b1 a1 <<<"$m1"
    busy=$(awk -v b=$((b1 - b0)) -v a=$((a1 - a0)) -v n="$(nproc)" 'BEGIN { if (a > 0) printf "%.2f", b / a * n; else print "-" }')

    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$round" "$workload" "$target" "$backend" "$threads" "$conns" "$seconds" "$rps" "$p50" "$p99" \
        "$answered" "$ok" "$replayed" "$s409" "$s4xx" "$s5xx" "$errors" "$before" "$after" "$new_rows" \
        "$lost" "$unread" "$rss_kib" "$cpu_s" "$us_req" "$db_us" "$target_cores" "$db_cores" "$busy" >>"$results"
    say "| $round | $workload | $target | $backend | $conns | ${rps%.*} | $p50 | $p99 | $ok | $replayed | $((s409 + s4xx + s5xx)) | $new_rows | $lost | $unread | $((rss_kib / 1024)) | $us_req | $db_us | $busy |"

    if [[ "$lost" != - && "$lost" != 0 ]]; then
        echo "run.sh: LOST: $label: $fresh_ok answers acknowledged new messages, $new_rows new rows" >&2
        failures=$((failures + 1))
    fi
    if ((s5xx > 0 || s4xx > 0)) || { [[ $workload != replay ]] && ((s409 > 0)); }; then
        echo "run.sh: $label: unexpected answers: 409=$s409 other 4xx=$s4xx 5xx/other=$s5xx (see $report)" >&2
        failures=$((failures + 1))
    fi
    if [[ "$unread" != - ]] && ((unread > conns + errors)); then
        echo "run.sh: SUSPICIOUS: $label: $unread rows more than 2xx answers, above the $conns requests that can be in flight" >&2
    fi
    if [[ $workload == replay && ($target == gateway || $target == baseline) ]] && ((replayed < ok)); then
        echo "run.sh: $label: $((ok - replayed)) of $ok answers were not replays" >&2
    fi
}

# ---------------------------------------------------------------- the run
targets_of() {  # the targets of a workload, in their first-round order
    local t="gateway"
    [[ -n "$baseline" ]] && t="$t baseline"
    if [[ -n "$peers_dir" ]]; then
        case "$1" in
        sqlite) t="$t nginx" ;;
        postgresql | replay | connections) t="$t node-seed nginx" ;;
        esac
    fi
    echo "$t"
}

fs_of() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }
{
    echo "# MemoLib Gateway benchmark, $stamp"
    echo
    echo "- command: \`bench/run.sh${original_args[*]:+ ${original_args[*]}}\`"
    echo "- machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r), $(awk -F= '$1 == "PRETTY_NAME" { gsub(/"/, "", $2); print $2 }' /etc/os-release)"
    echo "- load when starting: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
    echo "- storage: work dir $work on $(fs_of "$work") (SQLite files$([[ $needs_pg == 1 ]] && echo ", PostgreSQL data on $(fs_of "$(cat "$work/pg/datadir")")"))"
    echo "- gateway: $gateway ($("$gateway" --version 2>/dev/null | head -n 1)), git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' + local changes'), server.threads $gateway_threads, log level $log_level to a file, verify: off"
    [[ -n "$baseline" ]] && echo "- baseline: $baseline ($("$baseline" --version 2>/dev/null | head -n 1)), plugins $baseline_plugins"
    echo "- wrk: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }') -t$threads -c$connections (connections workload: -c$many_connections) -d${duration}s --timeout $timeout --latency, warm-up ${warmup}s, $rounds round(s)"
    [[ $needs_pg == 1 ]] && echo "- PostgreSQL: $(psql_at "$pg_url" 'SHOW server_version'), throwaway cluster (scripts/pg.sh), fsync, synchronous_commit and full_page_writes on"
    [[ -n "$peers_dir" ]] && echo "- peers: $peers_dir (nginx $( (nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1) | sed 's/.*nginx\///'), node $(node --version))"
    echo "- workloads: $workloads; raw outputs: $out"
    echo
    echo "| round | workload | target | backend | conns | req/s | p50 ms | p99 ms | 2xx | replayed | non-2xx | new rows | lost | unread | peak RSS MiB | CPU µs/req | DB CPU µs/req | busy cores |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$out/summary.md"

for round in $(seq 1 "$rounds"); do
    for workload in "${workload_list[@]}"; do
        script=whatsapp.lua path=/webhooks/whatsapp conns=$connections replay_ids=0 backend=sqlite
        case "$workload" in
        postgresql) backend=postgresql ;;
        replay) replay_ids=100 ;;
        connections) conns=$many_connections ;;
        mixed) script=mixed.lua path=/ ;;
        esac
        read -r -a order <<<"$(targets_of "$workload")"
        n=${#order[@]}
        for i in $(seq 0 $((n - 1))); do
            target=${order[$(((i + round - 1) % n))]}
            b=$backend
            [[ $target == node-seed ]] && b=postgresql
            [[ $target == nginx ]] && b=none
            measure "$round" "$workload" "$target" "$b" "$script" "$path" "$conns" "$replay_ids"
        done
    done
done

{ echo; bash "$bench_dir/summarize.sh" "$results"; } | tee -a "$out/summary.md"
echo "run.sh: results in $out (summary.md, results.tsv)" >&2
if ((failures > 0)); then
    echo "run.sh: $failures failure(s): lost messages, unexpected answers or a target that did not start (above)" >&2
    exit 1
fi
