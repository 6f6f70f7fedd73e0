# Sourced by the benchmark scripts: starts a private PostgreSQL 15 on a free loopback port (the
# test suite's settings) and stops and removes it on exit. Sets PGPORT_BENCH.
PG_BIN=/usr/lib/postgresql/15/bin
pg_dir=$(mktemp -d /tmp/tvms-bench-pg.XXXXXX)
chown postgres "$pg_dir"
PGPORT_BENCH=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runuser -u postgres -- "$PG_BIN/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" -o "-p $PGPORT_BENCH -k $pg_dir -c listen_addresses=127.0.0.1 -c shared_buffers=512MB" \
    -l "$pg_dir/log" start -w >/dev/null
trap 'runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT
bench_createdb() { psql -q -h 127.0.0.1 -p "$PGPORT_BENCH" -U postgres -c "CREATE DATABASE $1" postgres; }
