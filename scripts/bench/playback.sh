#!/usr/bin/env bash
# Playback authorisation under load (issue 8): `wrk` against POST /api/client/v1/play (the demo
# viewer asks for a Flussonic-signed live URL: session lookup, entitlement, stream limit
# bookkeeping, signing) and, in the same run, against the trivial JSON endpoint /healthz of the
# same server as the ceiling. 64 and 256 connections, on SQLite and on a private PostgreSQL 15.
# Prints a Markdown table for docs/BENCHMARKS.md.
#   scripts/bench/playback.sh            (DURATION=10s)
set -euo pipefail
cd "$(dirname "$0")/../.."
REL=${TVMS_RELEASE_DIR:-.build/release}
if [ -z "${TVMS_RELEASE_DIR:-}" ]; then swift build -c release --product tvms >&2; fi
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
. scripts/bench/pg.sh
work=$(mktemp -d /tmp/tvms-play-bench.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work" "$pg_dir"
}
trap cleanup EXIT
DURATION=${DURATION:-10s}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
cat >"$work/play.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"kind":"live","item":"channel:3"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
LUA

# "requests/s|p99 ms|non-2xx" from a wrk run.
run_wrk() {
    local conns=$1; shift
    wrk -t2 -c"$conns" -d"$DURATION" --latency "$@" >"$work/wrk" 2>&1
    awk '/Requests\/sec/ {rps=$2} /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
         /Non-2xx/ {bad=$5} END {printf "%.0f|%.1f|%d", rps, p99, bad+0}' "$work/wrk"
}

echo "| database | connections | /healthz req/s (p99) | playback req/s (p99) | ratio | playback non-2xx |"
echo "|---|---|---|---|---|---|"
for db in sqlite postgres; do
    if [ "$db" = sqlite ]; then
        unset DATABASE_URL; export TVMS_DATA_DIR="$work/data"; mkdir -p "$TVMS_DATA_DIR"
    else
        bench_createdb tvms_bench_play; export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT_BENCH/tvms_bench_play"; export TVMS_DATA_DIR="$work/data-pg"
    fi
    "$REL/tvms" migrate >/dev/null 2>&1 || true
    "$REL/tvms" demo >/dev/null 2>&1
    TVMS_WORKERS=0 TVMS_SCHEDULER=off TVMS_TRUST_PROXY=false "$REL/tvms" serve --port "$port" >"$work/server-$db.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
    TOKEN=$(curl -sf -X POST "$base/api/client/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"service":"democrm","login":"demoviewer","password":"demo1234","device":{"uid":"bench-device","type":"chrome"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    export TOKEN
    curl -sf -X POST "$base/api/client/v1/play" -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d '{"kind":"live","item":"channel:3"}' >/dev/null \
        || { echo "playback does not answer 200 on $db" >&2; cat "$work/server-$db.log" >&2; exit 1; }
    for c in 64 256; do
        h=$(run_wrk "$c" "$base/healthz")
        p=$(run_wrk "$c" -s "$work/play.lua" "$base/api/client/v1/play")
        awk -F'|' -v db="$db" -v c="$c" -v h="$h" -v p="$p" 'BEGIN { split(h, a, "|"); split(p, b, "|");
            printf "| %s | %s | %d (%.1f ms) | %d (%.1f ms) | %.2f | %d |\n", db, c, a[1], a[2], b[1], b[2], b[1]/a[1], b[3] }'
    done
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
done
