#!/usr/bin/env bash
# EPG import benchmark (issue 7): a synthetic guide of ~100 MB and ~1 GB (2,000 channels), and on
# each: the parse floor `xmllint --stream --noout`, our parser alone (`tvms-bench epg-parse`), a
# Python lxml.iterparse + executemany importer into SQLite, and `tvms epg import --file` into
# SQLite and into a private PostgreSQL 15. Wall time and peak RSS from /usr/bin/time -v.
# Prints a Markdown table for docs/BENCHMARKS.md.
#   scripts/bench/epg.sh [SIZES_MB]        (default "100 1024")
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${1:-100 1024}
REL=${TVMS_RELEASE_DIR:-.build/release}
if [ -z "${TVMS_RELEASE_DIR:-}" ]; then swift build -c release --product tvms >&2; swift build -c release --product tvms-bench >&2; fi
python3 -c 'import lxml' 2>/dev/null || python3 -m pip install -q lxml >&2
command -v xmllint >/dev/null || { echo "xmllint missing: apt-get install libxml2-utils" >&2; exit 1; }
. scripts/bench/pg.sh
work=$(mktemp -d /tmp/tvms-epg-bench.XXXXXX)
trap 'rm -rf "$work"; runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT

# "wall seconds|peak RSS MB" of a command (its output goes to $work/out).
measure() {
    /usr/bin/time -f '%e|%M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; return 1; }
    awk -F'|' '{printf "%s|%.0f", $1, $2/1024}' "$work/time"
}

echo "| guide | programmes | xmllint --stream | tvms parser | Python lxml → SQLite | tvms import → SQLite | tvms import → PostgreSQL |"
echo "|---|---|---|---|---|---|---|"
for mb in $SIZES; do
    guide="$work/guide-$mb.xml"
    python3 scripts/bench/gen_xmltv.py "$mb" "$guide"
    size=$(du -m "$guide" | cut -f1)
    x=$(measure xmllint --stream --noout "$guide")
    p=$(measure "$REL/tvms-bench" epg-parse "$guide"); programmes=$(awk -F', ' '{print $3}' "$work/out" | cut -d' ' -f1)
    l=$(measure python3 scripts/bench/lxml_import.py "$guide" "$work/lxml-$mb.sqlite")
    mkdir -p "$work/data-$mb"
    TVMS_DATA_DIR="$work/data-$mb" "$REL/tvms" migrate >/dev/null 2>&1 || true
    TVMS_DATA_DIR="$work/data-$mb" "$REL/tvms" demo >/dev/null 2>&1
    s=$(TVMS_DATA_DIR="$work/data-$mb" measure "$REL/tvms" epg import --file "$guide" --quiet)
    bench_createdb "tvms_bench_epg_$mb"
    export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT_BENCH/tvms_bench_epg_$mb"
    "$REL/tvms" migrate >/dev/null 2>&1 || true
    "$REL/tvms" demo >/dev/null 2>&1
    g=$(measure "$REL/tvms" epg import --file "$guide" --quiet)
    unset DATABASE_URL
    cell() { awk -F'|' -v mb="$size" '{printf "%.1f s · %.0f MB/s · %s MB RSS", $1, mb/$1, $2}' <<<"$1"; }
    echo "| $size MB | $programmes | $(cell "$x") | $(cell "$p") | $(cell "$l") | $(cell "$s") | $(cell "$g") |"
    rm -f "$guide" "$work/lxml-$mb.sqlite"
done
