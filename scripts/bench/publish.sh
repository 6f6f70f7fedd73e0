#!/usr/bin/env bash
# Publishing one product's channel catalogue at 1,000 / 10,000 / 20,000 channels, on SQLite and
# on a private PostgreSQL 15 started here. Prints a Markdown table for docs/BENCHMARKS.md.
#   scripts/bench/publish.sh [SIZES]
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${1:-1000,10000,20000}
swift build -c release --product tvms-bench >&2
. scripts/bench/pg.sh
for size in ${SIZES//,/ }; do bench_createdb "tvms_bench_publish_$size"; done
.build/release/tvms-bench publish --sizes "$SIZES" --postgres "postgres://postgres@127.0.0.1:$PGPORT_BENCH/tvms_bench_publish_{size}"
