#!/usr/bin/env bash
# scripts/moto.sh - starts a moto S3 server on a free loopback port for the S3 publish tests.
#
#   eval "$(scripts/moto.sh)"     # sets TVMS_TEST_S3_ENDPOINT and TVMS_TEST_S3_PIDFILE
#   ...run the tests...
#   kill "$(cat "$TVMS_TEST_S3_PIDFILE")"
#
# Installs moto[server] with pip when it is missing. Only the two export lines go to stdout;
# progress and errors go to stderr, the server's own log next to the PID file.
#
# Environment:
#   PYTHON=python3     interpreter that runs (and, if needed, installs) moto
#   MOTO_DIR=DIR       where moto.pid and moto.log go (default: a new temporary directory)
#   MOTO_WAIT=SECS     how long to wait for the server to answer (default 30)
set -euo pipefail

PYTHON=${PYTHON:-python3}
MOTO_WAIT=${MOTO_WAIT:-30}
MOTO_DIR=${MOTO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tvms-moto.XXXXXX")}
mkdir -p "$MOTO_DIR"
PIDFILE="$MOTO_DIR/moto.pid"
LOG="$MOTO_DIR/moto.log"

say() { printf 'moto.sh: %s\n' "$*" >&2; }

moto_ok() {
    "$PYTHON" -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1
}

if ! moto_ok; then
    say "installing moto[server]"
    # Debian's own python3 is "externally managed" (PEP 668): retry with the override.
    "$PYTHON" -m pip install -q 'moto[server]' >>"$MOTO_DIR/pip.log" 2>&1 ||
        "$PYTHON" -m pip install -q --break-system-packages 'moto[server]' >>"$MOTO_DIR/pip.log" 2>&1 || {
        tail -n 20 "$MOTO_DIR/pip.log" >&2
        exit 1
    }
    moto_ok || { say "moto[server] is still not importable with $PYTHON"; exit 1; }
fi
command -v curl >/dev/null 2>&1 || { say "curl is required"; exit 1; }

free_port() {
    "$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Another process may take the port between choosing and binding it: try a few ports.
for attempt in 1 2 3; do
    PORT=$(free_port)
    # Started directly (no nohup/setsid wrapper) so $! is the server's own PID.
    "$PYTHON" -m moto.server -H 127.0.0.1 -p "$PORT" >>"$LOG" 2>&1 </dev/null &
    PID=$!
    echo "$PID" >"$PIDFILE"
    deadline=$((SECONDS + MOTO_WAIT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/moto-api/"; then
            say "moto (pid $PID) answers on port $PORT; log: $LOG"
            echo "export TVMS_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT"
            echo "export TVMS_TEST_S3_PIDFILE=$PIDFILE"
            exit 0
        fi
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.3
    done
    kill "$PID" 2>/dev/null || true
    say "moto did not answer on port $PORT (attempt $attempt); see $LOG"
done
rm -f "$PIDFILE"
tail -n 20 "$LOG" >&2
exit 1
