#!/usr/bin/env bash
# Customer list and search at 10,000 and 1,000,000 customers, on SQLite and on a private
# PostgreSQL 15 started here (same settings as the test suite). Prints a Markdown table for
# docs/BENCHMARKS.md. Takes a while: it loads a million rows into each database.
#   [RUNS=500] scripts/bench/customers.sh [SIZES]     e.g. scripts/bench/customers.sh 10000,100000
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${1:-10000,1000000}
swift build -c release --product tvms-bench >&2
PG_BIN=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /tmp/tvms-bench-pg.XXXXXX)
chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=512MB" -l "$dir/log" start -w >/dev/null
trap 'runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1; rm -rf "$dir"' EXIT
for size in ${SIZES//,/ }; do
  psql -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE tvms_bench_$size" postgres
done
.build/release/tvms-bench customers --runs "${RUNS:-500}" --sizes "$SIZES" --postgres "postgres://postgres@127.0.0.1:$port/tvms_bench_{size}"
