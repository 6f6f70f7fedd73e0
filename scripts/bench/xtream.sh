#!/usr/bin/env bash
# Xtream / M3U / XMLTV serving under load (issue 9). One customer (demo01) of a product with
# CHANNELS channels (default 10,000) and DAYS days of guide (default 14, two-hour programmes),
# on SQLite. For each of
#   player_api.php?action=get_live_streams, get.php?type=m3u_plus, xmltv.php
# `wrk` runs against the dialect's URL and, in the same run and server, against the same bytes
# saved as a static file under Public/ (Vapor's FileMiddleware: the ceiling). The server's peak
# RSS is sampled during each run (memory must not grow with concurrency).
# Prints a Markdown table for docs/BENCHMARKS.md.
#   scripts/bench/xtream.sh                 (CHANNELS=10000 DAYS=14 DURATION=15s GUIDE_DURATION=30s)
#   TVMS_RELEASE_DIR=/tmp/xtream-rel/release scripts/bench/xtream.sh    (use an existing release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
REL=${TVMS_RELEASE_DIR:-.build/release}
if [ -z "${TVMS_RELEASE_DIR:-}" ]; then swift build -c release --product tvms >&2; swift build -c release --product tvms-bench >&2; fi
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
CHANNELS=${CHANNELS:-10000}
DAYS=${DAYS:-14}
DURATION=${DURATION:-15s}
GUIDE_DURATION=${GUIDE_DURATION:-30s}
work=$(mktemp -d /tmp/tvms-xtream-bench.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The server's resources: the repository's templates, and a Public folder for the static copies.
mkdir -p "$work/home/Public/bench" "$work/data"
ln -s "$PWD/Resources" "$work/home/Resources"
cp -r Public/. "$work/home/Public/"

echo "preparing $CHANNELS channels and $DAYS days of guide…" >&2
"$REL/tvms-bench" xtream-data --database "$work/data/tvms.sqlite" --channels "$CHANNELS" --days "$DAYS" >&2

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
TVMS_HOME="$work/home" TVMS_DATA_DIR="$work/data" TVMS_WORKERS=0 TVMS_SCHEDULER=off "$REL/tvms" serve --port "$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

creds="username=demo01&password=demo1234"
declare -A url=(
    [live]="/player_api.php?$creds&action=get_live_streams"
    [m3u]="/get.php?$creds&type=m3u_plus&output=ts"
    [xmltv]="/xmltv.php?$creds"
)
declare -A file=([live]=live.json [m3u]=playlist.m3u [xmltv]=guide.xml)
declare -A label=([live]="player_api.php get_live_streams" [m3u]="get.php m3u_plus" [xmltv]="xmltv.php")

# First requests build the catalogue, the playlist template and the guide file (timed); their
# bytes become the static copies, checked equal to a second answer.
declare -A build bytes
for k in live m3u xmltv; do
    t0=$(date +%s.%N)
    curl -sf --max-time 1800 "$base${url[$k]}" -o "$work/home/Public/bench/${file[$k]}"
    build[$k]=$(echo "$(date +%s.%N) - $t0" | bc)
    curl -sf --max-time 1800 "$base${url[$k]}" -o "$work/again"
    cmp -s "$work/again" "$work/home/Public/bench/${file[$k]}" || { echo "$k: two answers differ" >&2; exit 1; }
    bytes[$k]=$(stat -c %s "$work/home/Public/bench/${file[$k]}")
done
rm -f "$work/again"

# "requests/s|p99 ms|non-2xx|errors" of a wrk run; the server's RSS when it starts and its peak
# during the run (KB) go to $work/rss as "start|peak".
run_wrk() {
    local conns=$1 duration=$2 path=$3
    local start; start=$(ps -o rss= -p "$server" | tr -d ' ')
    echo "$start|$start" >"$work/rss"
    ( peak=$start; while kill -0 "$server" 2>/dev/null; do
        r=$(ps -o rss= -p "$server" | tr -d ' ')
        if [ "${r:-0}" -gt "$peak" ]; then peak=$r; echo "$start|$peak" >"$work/rss.tmp"; mv "$work/rss.tmp" "$work/rss"; fi
        sleep 0.1
      done ) &
    local sampler=$!
    wrk -t2 -c"$conns" -d"$duration" --timeout 300s --latency "$base$path" >"$work/wrk" 2>&1
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    awk '/Requests\/sec/ {rps=$2} /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
         /Non-2xx/ {bad=$5} /Socket errors/ {gsub(",", ""); err=$4+$6+$8+$10} END {printf "%.1f|%.1f|%d|%d", rps, p99, bad+0, err+0}' "$work/wrk"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "| answer | bytes | first build | connections | static file req/s (p99) | TVMS req/s (p99) | ratio | server RSS start → peak, static / TVMS |"
echo "|---|---|---|---|---|---|---|---|"
for k in live m3u xmltv; do
    if [ "$k" = xmltv ]; then conns="4 16"; duration=$GUIDE_DURATION; else conns="16 64 256"; duration=$DURATION; fi
    for c in $conns; do
        # TVMS first: a static run's freed buffers stay in the heap and would be counted against it.
        d=$(run_wrk "$c" "$duration" "${url[$k]}"); drss=$(cat "$work/rss")
        s=$(run_wrk "$c" "$duration" "/bench/${file[$k]}"); srss=$(cat "$work/rss")
        awk -F'|' -v name="${label[$k]}" -v b="${bytes[$k]}" -v t="${build[$k]}" -v c="$c" -v s="$s" -v d="$d" -v sr="$srss" -v dr="$drss" 'BEGIN {
            split(s, a, "|"); split(d, x, "|"); split(sr, sm, "|"); split(dr, dm, "|");
            note = (a[3] + a[4] + x[3] + x[4] > 0) ? sprintf(" (non-2xx/errors: %d/%d static, %d/%d TVMS)", a[3], a[4], x[3], x[4]) : "";
            size = (b >= 1048576) ? sprintf("%.1f MB", b / 1048576) : sprintf("%.0f KB", b / 1024);
            printf "| %s | %s | %.1f s | %s | %.1f (%.0f ms) | %.1f (%.0f ms) | %.2f | %.0f → %.0f / %.0f → %.0f MB%s |\n",
                name, size, t, c, a[1], a[2], x[1], x[2], (a[1] > 0 ? x[1] / a[1] : 0), sm[1] / 1024, sm[2] / 1024, dm[1] / 1024, dm[2] / 1024, note }'
    done
done
echo
echo "machine: $(nproc) cores; load average before the runs: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
