#!/usr/bin/env bash
# Reseller sales per second through the business API, against the floor of single-row write
# transactions, on SQLite and on a private PostgreSQL 15 started here. Prints a Markdown table
# for docs/BENCHMARKS.md.
#   [SALES=3000] [CONCURRENCY=8] scripts/bench/sales.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product tvms-bench >&2
. scripts/bench/pg.sh
for cost in 12 4; do bench_createdb "tvms_bench_sales_$cost"; done
.build/release/tvms-bench sales --sales "${SALES:-3000}" --concurrency "${CONCURRENCY:-8}" --bcrypt 12,4 \
    --postgres "postgres://postgres@127.0.0.1:$PGPORT_BENCH/tvms_bench_sales_{cost}"
