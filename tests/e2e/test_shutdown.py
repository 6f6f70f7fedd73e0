"""Graceful shutdown: SIGTERM ends a serving process within 20 s, with status 0."""
from support import SHUTDOWN_DEADLINE, ServerPool, http_session


def test_sigterm_stops_server_gracefully():
    pool = ServerPool("shutdown")
    try:
        srv = pool.start("demo", demo=True, fresh_database=True)
        with http_session() as http:
            assert http.get(srv.url("/healthz"), timeout=10).status_code == 200
        problem = srv.stop()
        assert problem is None, problem
        assert srv.exit_code == 0, \
            f"exit status {srv.exit_code} after SIGTERM; log {srv.log_path}:\n{srv.log_tail()}"
        assert srv.shutdown_seconds is not None and srv.shutdown_seconds < SHUTDOWN_DEADLINE
    finally:
        pool.stop_all()
