#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests.
#
#   scripts/pg.sh start DIR   initdb + start on 127.0.0.1:<free port>, create memolib_test,
#                             write the URL to DIR/url and print it
#   scripts/pg.sh url DIR     print the URL of the server started with DIR
#   scripts/pg.sh stop DIR    stop it and delete its data
#   scripts/pg.sh pause DIR   stop the server but keep its data (a storage outage, for tests)
#   scripts/pg.sh resume DIR  start it again on the same port with the same data
#   scripts/pg.sh freeze DIR  SIGSTOP the server and its backends: a hung server (for tests)
#   scripts/pg.sh thaw DIR    SIGCONT them
#
# DIR only holds this script's state (url, port, the data dir's path, a copy of the server
# log after stop); the cluster itself lives in a fresh directory under ${TMPDIR:-/tmp}, owned
# by the `postgres` OS user when run as root (PostgreSQL refuses to run as root), so it never
# depends on the permissions of the build tree. The server listens on 127.0.0.1 only, keeps
# its unix socket inside its data dir and never touches Debian's own cluster (port 5432).
#
# If MEMOLIB_TEST_PG_URL is set, `start` starts nothing and records that URL instead, and
# `stop` leaves that server alone: the tests then run against the server it names.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|url|pause|resume|freeze|thaw DIR" >&2
    exit 2
}
[[ $# -eq 2 ]] || usage
command=$1
state_dir=$2
database=memolib_test

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

# The newest installed server (Debian 12: /usr/lib/postgresql/15/bin).
pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n "$dir" && -x "$dir/initdb" ]] ||
        die "no PostgreSQL server under /usr/lib/postgresql (run scripts/deps.sh)"
    echo "$dir"
}

# Runs a command as the server's OS user: `postgres` when we are root, ourselves otherwise.
as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (run scripts/deps.sh)"
        # cd / so that the postgres user never needs access to the caller's cwd.
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# A port nobody listens on now. The race with another process taking it before the server
# binds is handled by retrying the start.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

is_running() {
    local data=$1
    [[ -d "$data" ]] && as_server_user "$(pg_bin)/pg_ctl" status -D "$data" >/dev/null 2>&1
}

cmd_url() {
    [[ -f "$state_dir/url" ]] || die "no server recorded in $state_dir (run: $0 start $state_dir)"
    cat "$state_dir/url"
}

cmd_start() {
    mkdir -p "$state_dir"
    state_dir=$(cd "$state_dir" && pwd)

    if [[ -n "${MEMOLIB_TEST_PG_URL:-}" ]]; then
        echo "$MEMOLIB_TEST_PG_URL" >"$state_dir/url"
        echo external >"$state_dir/kind"
        echo "$MEMOLIB_TEST_PG_URL"
        return
    fi

    # Idempotent: a server this DIR started and that still runs is reused.
    if [[ -f "$state_dir/datadir" ]]; then
        local old
        old=$(cat "$state_dir/datadir")
        if is_running "$old/data" && [[ -f "$state_dir/url" ]]; then
            cat "$state_dir/url"
            return
        fi
        rm -rf -- "$old"
    fi
    rm -f "$state_dir/url" "$state_dir/port" "$state_dir/datadir" "$state_dir/kind"

    local bin root
    bin=$(pg_bin)
    root=$(mktemp -d "${TMPDIR:-/tmp}/memolib-pg.XXXXXX")
    echo "$root" >"$state_dir/datadir"
    echo throwaway >"$state_dir/kind"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres:postgres "$root"
    fi
    chmod 700 "$root"

    # trust: the server is reachable only from this machine's loopback and its private socket
    # directory, and lives for one test run.
    as_server_user "$bin/initdb" -D "$root/data" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 --no-instructions >"$state_dir/initdb.log" 2>&1 ||
        { cat "$state_dir/initdb.log" >&2; die "initdb failed"; }

    local port attempt started=0
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_server_user "$bin/pg_ctl" start -w -t 60 -D "$root/data" -l "$root/server.log" \
            -o "$(server_options "$root" "$port")" \
            >>"$state_dir/pg_ctl.log" 2>&1; then
            started=1
            break
        fi
        echo "pg.sh: start on port $port failed (attempt $attempt), retrying" >&2
    done
    if [[ $started -ne 1 ]]; then
        cat "$root/server.log" >&2 2>/dev/null || true
        die "could not start PostgreSQL"
    fi

    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE DATABASE $database" >/dev/null ||
        die "could not create database $database"

    local url="postgresql://postgres@127.0.0.1:$port/$database"
    echo "$port" >"$state_dir/port"
    echo "$url" >"$state_dir/url"
    echo "$url"
}

cmd_stop() {
    [[ -d "$state_dir" ]] || return 0
    if [[ "$(cat "$state_dir/kind" 2>/dev/null)" == external ]]; then
        rm -f "$state_dir/url" "$state_dir/kind"
        return
    fi
    [[ -f "$state_dir/datadir" ]] || return 0
    local root
    root=$(cat "$state_dir/datadir")
    if is_running "$root/data"; then
        as_server_user "$(pg_bin)/pg_ctl" stop -w -t 60 -m fast -D "$root/data" \
            >>"$state_dir/pg_ctl.log" 2>&1 || die "pg_ctl stop failed (data in $root)"
    fi
    cp "$root/server.log" "$state_dir/server.log" 2>/dev/null || true
    rm -rf -- "$root"
    rm -f "$state_dir/url" "$state_dir/port" "$state_dir/datadir" "$state_dir/kind"
}

server_options() {
    local root=$1 port=$2
    echo "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$root/data' -c fsync=on"
}

refuse_external() {
    [[ "$(cat "$state_dir/kind" 2>/dev/null)" != external ]] ||
        die "$command: the server is external (MEMOLIB_TEST_PG_URL); only a throwaway one can be stopped"
}

cmd_pause() {
    refuse_external
    local root
    root=$(cat "$state_dir/datadir") || die "no server recorded in $state_dir"
    as_server_user "$(pg_bin)/pg_ctl" stop -w -t 60 -m fast -D "$root/data" \
        >>"$state_dir/pg_ctl.log" 2>&1 || die "pg_ctl stop failed"
}

cmd_resume() {
    refuse_external
    local root port
    root=$(cat "$state_dir/datadir") || die "no server recorded in $state_dir"
    port=$(cat "$state_dir/port")
    as_server_user "$(pg_bin)/pg_ctl" start -w -t 60 -D "$root/data" -l "$root/server.log" \
        -o "$(server_options "$root" "$port")" >>"$state_dir/pg_ctl.log" 2>&1 ||
        die "pg_ctl start failed"
}

# The postmaster of the server started with DIR, and every process it started.
server_pids() {
    local root pid
    root=$(cat "$state_dir/datadir") || die "no server recorded in $state_dir"
    pid=$(head -n 1 "$root/data/postmaster.pid") || die "the server does not run"
    echo "$pid"
    pgrep -P "$pid" || true
}

# The postmaster first, so that it starts no backend that would escape the freeze.
cmd_freeze() {
    refuse_external
    local pid
    for pid in $(server_pids); do kill -STOP "$pid"; done
    for pid in $(server_pids); do kill -STOP "$pid"; done
}

cmd_thaw() {
    refuse_external
    local pid
    for pid in $(server_pids); do kill -CONT "$pid"; done
}

case "$command" in
start) cmd_start ;;
freeze) cmd_freeze ;;
thaw) cmd_thaw ;;
pause) cmd_pause ;;
resume) cmd_resume ;;
stop) cmd_stop ;;
url) cmd_url ;;
*) usage ;;
esac
