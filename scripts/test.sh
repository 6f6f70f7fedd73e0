#!/usr/bin/env bash
# scripts/test.sh - the one command that runs every TVMS test (see docs/TESTING.md).
#
# Stages:
#   setup           install missing Debian packages and Python modules (idempotent)
#   build           swift build --build-tests                 (skipped with SKIP_BUILD=1)
#   postgres        private PostgreSQL 15 cluster on 127.0.0.1:<free port>, removed on exit
#   swift-sqlite    swift test --skip-build                  (SQLite)
#   swift-postgres  TVMS_TEST_DATABASE_URL=postgres://... swift test --skip-build
#   e2e-sqlite      pytest tests/e2e against .build/debug/tvms (SQLite)
#   e2e-postgres    the same with TVMS_E2E_DATABASE_URL set (adds the scale-out tests)
#
# The closing line "N passed, M failed[, K skipped]" counts TEST CASES: every
# XCTest / Swift Testing case (from SwiftPM's xUnit files) and every pytest case
# (from JUnit XML), over all stages that ran. A stage that fails without any
# failing test case (setup or build error, crash, timeout, a runner that finds
# no tests - pytest's exit status 5 included) adds one to "failed". The script
# exits non-zero when anything failed.
#
# Environment:
#   SKIP_BUILD=1         do not run `swift build --build-tests` (use the existing .build)
#   TVMS_BIN=PATH        server binary for the e2e suite (default: .build/debug/tvms)
#   TEST_STAGES="..."    subset of: swift-sqlite swift-postgres e2e-sqlite e2e-postgres
#   SWIFT_TEST_ARGS=...  extra arguments for `swift test` (e.g. "--filter AppTests")
#   PYTEST_ARGS=...      extra arguments for pytest (e.g. "-k console -x")
#   ALLOW_NO_TESTS=1     an e2e run that collects no test (pytest status 5) is not a failure
#   STAGE_TIMEOUT=SECS   hard limit per test stage (default 1800)
#   BUILD_TIMEOUT=SECS   hard limit for the build (default 2700)
#   PYTHON=python3       Python interpreter for pytest and helpers
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ARTIFACTS="$ROOT/artifacts"
LOGS="$ARTIFACTS/logs"
PYTHON=${PYTHON:-python3}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
STAGE_TIMEOUT=${STAGE_TIMEOUT:-1800}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-2700}
TEST_STAGES=${TEST_STAGES:-"swift-sqlite swift-postgres e2e-sqlite e2e-postgres"}
TVMS_BIN=${TVMS_BIN:-"$ROOT/.build/debug/tvms"}
COUNT_RESULTS="$ROOT/scripts/lib/count_results.py"

export SE_OFFLINE=true            # Selenium must never try to download a driver
export PYTHONDONTWRITEBYTECODE=1
export DEBIAN_FRONTEND=noninteractive

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
STAGE_LINES=()
CURRENT_STAGE=setup
DELIBERATE_EXIT=0   # 1 when the script exits on a failure it has already counted

PG_DIR=""
PG_STARTED=0
PGPORT=""
PG_URL=""

log() { printf '==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

stage_selected() {
    case " $TEST_STAGES " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

record_stage() { # name status passed failed skipped
    STAGE_LINES+=("$(printf '  %-16s %-7s %4s passed %4s failed %4s skipped' "$1" "$2" "$3" "$4" "$5")")
    TOTAL_PASSED=$((TOTAL_PASSED + $3))
    TOTAL_FAILED=$((TOTAL_FAILED + $4))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + $5))
}

free_port() {
    "$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# ---------------------------------------------------------------- cleanup ---

STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tvms-test.XXXXXX")

stop_stage() { # ends a stage still running when the script is interrupted
    local pid
    pid=$(cat "$STATE_DIR/stage.pid" 2>/dev/null) || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    log "stopping stage $CURRENT_STAGE (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || return 0
    # timeout forwards the signal to its process group and kills it 30 s later.
    for _ in $(seq 1 90); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
}

stop_postgres() {
    [ -n "$PG_DIR" ] || return 0
    if [ "$PG_STARTED" = 1 ]; then
        log "stopping PostgreSQL (port $PGPORT)"
        (cd / && as_root runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop) \
            >>"$LOGS/postgres-ctl.log" 2>&1 ||
            (cd / && as_root runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop) \
                >>"$LOGS/postgres-ctl.log" 2>&1 || true
        PG_STARTED=0
    fi
    cp "$PG_DIR/postgres.log" "$LOGS/postgres.log" 2>/dev/null || true
    as_root rm -rf "$PG_DIR" || true
    PG_DIR=""
}

on_exit() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    stop_stage
    stop_postgres
    if [ -n "${TVMS_TEST_S3_PIDFILE:-}" ] && [ -f "$TVMS_TEST_S3_PIDFILE" ]; then kill "$(cat "$TVMS_TEST_S3_PIDFILE")" 2>/dev/null; fi
    rm -rf "$STATE_DIR"
    if [ "$rc" -ne 0 ] && [ "$DELIBERATE_EXIT" = 0 ]; then
        # The script stopped on an unexpected error (set -e) or a signal.
        record_stage "$CURRENT_STAGE" ABORTED 0 1 0
    fi
    echo
    echo "==> summary (artifacts in $ARTIFACTS)"
    for line in "${STAGE_LINES[@]}"; do echo "$line"; done
    if [ "$TOTAL_SKIPPED" -gt 0 ]; then
        echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
    else
        echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
    fi
    if [ "$TOTAL_FAILED" -gt 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ setup ---

mkdir -p "$ARTIFACTS"
rm -rf "$LOGS" "$ARTIFACTS"/swift-sqlite "$ARTIFACTS"/swift-postgres \
    "$ARTIFACTS"/e2e-sqlite "$ARTIFACTS"/e2e-postgres
mkdir -p "$LOGS"

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# The e2e suite's Python packages (PyPI names) and the modules that prove them installed.
# pyxtream, xtream-api-client and m3u-ipytv are the real IPTV clients of tests/e2e/test_xtream.py, at the
# versions the spec's compatibility notes describe.
PY_PACKAGES=(selenium requests pytest schemathesis 'moto[server]' boto3 akamai-edgeauth pyjwt pyxtream==0.8.0 xtream-api-client==0.1.0 m3u-ipytv==1.0.2)
PY_MODULES="selenium, requests, pytest, schemathesis, moto.server, boto3, akamai.edgeauth, jwt, pyxtream, xtream_api_client, ipytv"

python_deps_ok() {
    "$PYTHON" -c "import $PY_MODULES" >/dev/null 2>&1
}

apt_lists_present() {
    compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

install_debian_packages() {
    local missing=() p
    # nginx: Debian's build has secure_link and auth_request, for the signed-URL round trip and the
    # callback adapter (test_stream_tokens.py).
    # ffmpeg: the short HLS test stream WebTV plays through nginx secure_link (test_webtv_browser.py).
    for p in postgresql chromium chromium-driver xmltv-util libxml2-utils nginx ffmpeg; do
        pkg_installed "$p" || missing+=("$p")
    done
    if ! python_deps_ok && ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
        missing+=(python3-pip)
    fi
    [ "${#missing[@]}" -gt 0 ] || return 0
    log "installing Debian packages: ${missing[*]}"
    if ! apt_lists_present; then
        as_root apt-get update -qq >>"$LOGS/apt.log" 2>&1
    fi
    if ! as_root apt-get install -y -qq "${missing[@]}" >>"$LOGS/apt.log" 2>&1; then
        # Package lists may be stale: refresh once and retry.
        as_root apt-get update -qq >>"$LOGS/apt.log" 2>&1
        as_root apt-get install -y -qq "${missing[@]}" >>"$LOGS/apt.log" 2>&1 || {
            tail -n 40 "$LOGS/apt.log" >&2
            return 1
        }
    fi
}

install_python_packages() {
    python_deps_ok && return 0
    log "installing Python packages: ${PY_PACKAGES[*]}"
    if ! "$PYTHON" -m pip install -q "${PY_PACKAGES[@]}" >>"$LOGS/pip.log" 2>&1; then
        # Debian's own python3 is "externally managed" (PEP 668).
        "$PYTHON" -m pip install -q --break-system-packages "${PY_PACKAGES[@]}" >>"$LOGS/pip.log" 2>&1 || {
            tail -n 40 "$LOGS/pip.log" >&2
            return 1
        }
    fi
    python_deps_ok
}

CURRENT_STAGE=setup
if ! { install_debian_packages && install_python_packages; }; then
    record_stage setup FAILED 0 1 0
    DELIBERATE_EXIT=1
    exit 1
fi
if ! command -v swift >/dev/null; then
    echo "swift is not on PATH" >&2
    record_stage setup FAILED 0 1 0
    DELIBERATE_EXIT=1
    exit 1
fi

# --------------------------------------------------------------- stage run ---

# run_stage NAME RESULT_DIR CMD... : runs CMD with a hard timeout, output to the
# terminal and to artifacts/logs/NAME.log, then counts the *.xml in RESULT_DIR.
run_stage() {
    local name=$1 results=$2 rc counts passed failed skipped status
    shift 2
    CURRENT_STAGE=$name
    log "stage $name: $*"
    rm -f "$STATE_DIR/stage.pid" "$STATE_DIR/stage.rc"
    # Temporary files of the stage (server data dirs, browser profiles) go
    # below STATE_DIR, which on_exit removes even when a stage was killed.
    mkdir -p "$STATE_DIR/tmp"
    # `timeout` leads its own process group (servers, browsers, test
    # processes); the pipeline runs in the background so that a signal to this
    # script is handled at once (on_exit stops the group through stop_stage).
    {
        TMPDIR="$STATE_DIR/tmp" timeout -k 30 "${STAGE_LIMIT:-$STAGE_TIMEOUT}" "$@" </dev/null 2>&1 &
        echo $! >"$STATE_DIR/stage.pid"
        wait $!
        echo $? >"$STATE_DIR/stage.rc"
    } | tee "$LOGS/$name.log" &
    wait $! || true
    rc=$(cat "$STATE_DIR/stage.rc" 2>/dev/null || echo 1)
    rm -f "$STATE_DIR/stage.pid"
    # pytest's 5 = "no tests collected": a failure, unless asked for (a -k that
    # selects nothing in one of the two runs, say).
    if [ "$rc" -eq 5 ] && [ "${ALLOW_NO_TESTS:-0}" = 1 ] && [[ $name == e2e-* ]]; then rc=0; fi
    passed=0 failed=0 skipped=0
    if [ -n "$results" ]; then
        # The xUnit/JUnit files; the log is read only when there are none.
        if counts=$("$PYTHON" "$COUNT_RESULTS" --log "$LOGS/$name.log" "$results"/*.xml); then
            read -r passed failed skipped <<<"$counts"
        fi
    fi
    if [ "$rc" -ne 0 ]; then
        status=FAILED
        [ "$rc" -eq 124 ] && status=TIMEOUT
        [ "$rc" -eq 5 ] && status=NOTESTS     # pytest collected nothing: a failure
        # A failing stage always counts at least one failure.
        [ "$failed" -gt 0 ] || failed=1
        log "stage $name failed (exit status $rc)"
    else
        status=ok
        [ $((passed + failed + skipped)) -gt 0 ] || [ -z "$results" ] || status=EMPTY
    fi
    if [ -n "$results" ] || [ "$rc" -ne 0 ]; then
        record_stage "$name" "$status" "$passed" "$failed" "$skipped"
    else
        STAGE_LINES+=("$(printf '  %-16s %-7s' "$name" "$status")")
    fi
    return "$rc"
}

# ------------------------------------------------------------------ build ---

if [ "${SKIP_BUILD:-0}" = 1 ]; then
    log "SKIP_BUILD=1: using the existing build"
else
    log "$(swift --version 2>&1 | head -n 1)"
    if ! STAGE_LIMIT=$BUILD_TIMEOUT run_stage build "" swift build --build-tests; then
        log "build failed: no test stage runs"
        DELIBERATE_EXIT=1
        exit 1
    fi
fi

# --------------------------------------------------------------- postgres ---

start_postgres() {
    CURRENT_STAGE=postgres
    local attempt
    # (called in an `if`: set -e does not apply here, hence the `|| return 1`)
    PG_DIR=$(mktemp -d "${TVMS_PG_TMPDIR:-/tmp}/tvms-pg.XXXXXX") || return 1
    chmod 700 "$PG_DIR" && as_root chown postgres:postgres "$PG_DIR" || return 1
    log "initdb in $PG_DIR"
    (cd / && as_root runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" \
        -A trust -U postgres -E UTF8 --locale=C) >"$LOGS/postgres-initdb.log" 2>&1 || return 1
    for attempt in 1 2 3; do
        PGPORT=$(free_port)
        if (cd / && as_root runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" \
            -l "$PG_DIR/postgres.log" -w -t 60 \
            -o "-p $PGPORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start) >>"$LOGS/postgres-ctl.log" 2>&1; then
            PG_STARTED=1
            break
        fi
        log "PostgreSQL did not start on port $PGPORT (attempt $attempt)"
    done
    [ "$PG_STARTED" = 1 ] || return 1
    PG_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
    psql "$PG_URL" -v ON_ERROR_STOP=1 -Atqc 'select version()' >>"$LOGS/postgres-ctl.log" 2>&1 || return 1
    log "PostgreSQL 15 ready at $PG_URL"
}

NEED_PG=0
if stage_selected swift-postgres || stage_selected e2e-postgres; then NEED_PG=1; fi
if [ "$NEED_PG" = 1 ]; then
    if ! start_postgres; then
        tail -n 30 "$LOGS/postgres-initdb.log" "$LOGS/postgres-ctl.log" "$PG_DIR/postgres.log" 2>/dev/null >&2 || true
        record_stage postgres FAILED 0 1 0
        stop_postgres
        NEED_PG=0
    fi
fi

# ------------------------------------------------------------------- moto ---

# An S3-compatible server for the publish-to-bucket tests (Swift and e2e).
if moto_env=$(PYTHON="$PYTHON" MOTO_DIR="$STATE_DIR/moto" scripts/moto.sh 2>>"$LOGS/moto.log"); then
    eval "$moto_env"
    export TVMS_TEST_S3_ENDPOINT TVMS_TEST_S3_PIDFILE
    log "moto S3 at $TVMS_TEST_S3_ENDPOINT"
else
    tail -n 20 "$LOGS/moto.log" >&2 || true
    record_stage moto FAILED 0 1 0
fi

# ------------------------------------------------------------ test stages ---

read -r -a swift_extra <<<"${SWIFT_TEST_ARGS:-}"
read -r -a pytest_extra <<<"${PYTEST_ARGS:-}"

if stage_selected swift-sqlite; then
    mkdir -p "$ARTIFACTS/swift-sqlite"
    run_stage swift-sqlite "$ARTIFACTS/swift-sqlite" \
        env -u DATABASE_URL -u TVMS_TEST_DATABASE_URL \
        swift test --skip-build --xunit-output "$ARTIFACTS/swift-sqlite/xunit.xml" \
        ${swift_extra[@]+"${swift_extra[@]}"} || true
fi

if stage_selected swift-postgres && [ "$NEED_PG" = 1 ]; then
    mkdir -p "$ARTIFACTS/swift-postgres"
    run_stage swift-postgres "$ARTIFACTS/swift-postgres" \
        env -u DATABASE_URL TVMS_TEST_DATABASE_URL="$PG_URL" \
        swift test --skip-build --xunit-output "$ARTIFACTS/swift-postgres/xunit.xml" \
        ${swift_extra[@]+"${swift_extra[@]}"} || true
fi

if stage_selected e2e-sqlite; then
    mkdir -p "$ARTIFACTS/e2e-sqlite"
    run_stage e2e-sqlite "$ARTIFACTS/e2e-sqlite" \
        env -u DATABASE_URL -u TVMS_E2E_DATABASE_URL \
        TVMS_BIN="$TVMS_BIN" TVMS_ARTIFACTS_DIR="$ARTIFACTS/e2e-sqlite" \
        "$PYTHON" -m pytest tests/e2e --junitxml="$ARTIFACTS/e2e-sqlite/junit.xml" \
        ${pytest_extra[@]+"${pytest_extra[@]}"} || true
fi

if stage_selected e2e-postgres && [ "$NEED_PG" = 1 ]; then
    mkdir -p "$ARTIFACTS/e2e-postgres"
    run_stage e2e-postgres "$ARTIFACTS/e2e-postgres" \
        env -u DATABASE_URL TVMS_E2E_DATABASE_URL="$PG_URL" \
        TVMS_BIN="$TVMS_BIN" TVMS_ARTIFACTS_DIR="$ARTIFACTS/e2e-postgres" \
        "$PYTHON" -m pytest tests/e2e --junitxml="$ARTIFACTS/e2e-postgres/junit.xml" \
        ${pytest_extra[@]+"${pytest_extra[@]}"} || true
fi

CURRENT_STAGE=finished
# on_exit prints the summary and sets the exit status.
