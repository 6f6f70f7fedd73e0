"""Operational endpoints: health, readiness, metrics, OpenAPI and its docs page."""
import re
import time

from support import HTTP_TIMEOUT

PROM_SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?\s+(?:[-+]?[0-9.eE+-]+|NaN|[-+]?Inf)(?:\s+-?\d+)?$')


def test_healthz(server, http):
    r = http.get(server.url("/healthz"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200


def test_readyz_reports_ready(server, http):
    r = http.get(server.url("/readyz"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body, dict)
    assert body.get("status") == "ready", body


def test_metrics_is_prometheus_text_with_http_requests_total(server, http):
    # Make sure at least one request has been counted, then read the metrics.
    # The counter may be updated after the response is sent: poll briefly.
    http.get(server.url("/healthz"), timeout=HTTP_TIMEOUT)
    deadline = time.monotonic() + 10
    while True:
        r = http.get(server.url("/metrics"), timeout=HTTP_TIMEOUT)
        assert r.status_code == 200
        if "http_requests_total" in r.text or time.monotonic() > deadline:
            break
        time.sleep(0.2)   # polling interval
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    assert "http_requests_total" in r.text, r.text[:2000]
    samples = [ln for ln in r.text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert samples, "no samples"
    bad = [ln for ln in samples if not PROM_SAMPLE.match(ln)]
    assert not bad, f"lines not in Prometheus text format: {bad[:5]}"
    assert any(ln.startswith("http_requests_total") for ln in samples), \
        "no http_requests_total sample"


def test_openapi_document(server, http):
    r = http.get(server.url("/api/v1/openapi.json"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    doc = r.json()
    assert str(doc.get("openapi", "")).startswith("3.1"), doc.get("openapi")
    assert isinstance(doc.get("paths"), dict) and doc["paths"], "empty paths"
    assert "info" in doc


def test_api_docs_page_is_html(server, http):
    r = http.get(server.url("/api/v1/docs"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/html"), r.headers
    assert "<html" in r.text.lower()
