#!/usr/bin/env bash
# Customer list and search at 10,000 and 1,000,000 customers, on SQLite and on a private
# PostgreSQL 15 started here (same settings as the test suite). Prints a Markdown table for
# docs/BENCHMARKS.md. Takes a while: it loads a million rows into each database.
#   [RUNS=500] scripts/bench/customers.sh [SIZES]     e.g. scripts/bench/customers.sh 10000,100000
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${1:-10000,1000000}
swift build -c release --product tvms-bench >&2
. scripts/bench/pg.sh
for size in ${SIZES//,/ }; do bench_createdb "tvms_bench_$size"; done
.build/release/tvms-bench customers --runs "${RUNS:-500}" --sizes "$SIZES" --postgres "postgres://postgres@127.0.0.1:$PGPORT_BENCH/tvms_bench_{size}"
