"""REST API v1 against its own OpenAPI document, with schemathesis (PyPI).

One `tvms serve --demo` on a fresh database of its own (not the shared `server` fixture:
schemathesis creates, changes and deletes a great deal). The owner logs in through
POST /api/v1/auth/login; then the schemathesis CLI runs once over every operation of
/api/v1/openapi.json with that bearer token and two checks:

  not_a_server_error            no 5xx, whatever the input (valid or not)
  response_schema_conformance   a response with a documented status has the documented body

Path identifiers are `type: string` in the document, so random strings alone would rarely
get past "not found"; the ids of the demo data (deployment, products, plans, customers,
resellers, ...) are handed to schemathesis as dictionaries that it mixes with generated
values (probability below), so the handlers behind the ids are exercised too.

The run is deterministic (fixed seed, no example database) and bounded: MAX_EXAMPLES per
operation, one pass, one worker. It gets RUN_BUDGET seconds; past that it is interrupted
(SIGINT: schemathesis still prints its report) and the test fails. (`--max-time` is not
used: in schemathesis 4 it makes fuzzing and stateful testing repeat until the budget is
spent, so every run would take the whole budget and cover a different amount.)

On a failure the assertion message is schemathesis's own report, with a curl command per
failure; junit.xml and a pytest file that replays the failures are kept under
<artifacts>/schemathesis/.

Environment: TVMS_SCHEMATHESIS_EXAMPLES and TVMS_SCHEMATHESIS_SEED override the defaults.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from support import (ARTIFACTS, DEMO_CMS, HTTP_TIMEOUT, OWNER_EMAIL, OWNER_PASSWORD,
                     ServerPool, http_session)

MAX_EXAMPLES = int(os.environ.get("TVMS_SCHEMATHESIS_EXAMPLES") or 25)
SEED = int(os.environ.get("TVMS_SCHEMATHESIS_SEED") or 20261125)
RUN_BUDGET = 170.0           # seconds for the schemathesis run (SIGINT after that)
INTERRUPT_GRACE = 30.0       # seconds it may take to print its report after SIGINT
KNOWN_ID_PROBABILITY = 0.8   # share of generated ids taken from the demo data
REPORT_DIR = ARTIFACTS / "schemathesis"

CHECKS = "not_a_server_error,response_schema_conformance"

# Operations left out, each with the reason. Nothing is left out for failing.
EXCLUDED_OPERATIONS = {
    # schemathesis learns token ids from GET /api/v1/tokens and deletes them: the first
    # one it revokes is the run's own bearer token, and every request after that is a 401
    # (the whole run would test nothing but the authentication middleware).
    "deletetokens_By_id",
}


@pytest.fixture(scope="module")
def st_server():
    pool = ServerPool("schemathesis")
    try:
        srv = pool.start("demo", demo=True, fresh_database=True)
    except Exception:
        pool.stop_all()
        raise
    yield srv
    problems = pool.stop_all()
    assert not problems, "graceful shutdown failed:\n" + "\n".join(problems)


def owner_token(server) -> str:
    with http_session() as http:
        r = http.post(server.url("/api/v1/auth/login"),
                      json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "tokenName": "schemathesis"},
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 201, f"owner login: {r.status_code} {r.text}"
    return r.json()["token"]


def demo_ids(server, token: str) -> dict[str, list]:
    """Identifiers of the demo data, by path parameter name."""
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str):
        with http_session() as http:
            r = http.get(server.url(path), headers=headers, timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text}"
        return r.json()

    demo = [d for d in get("/api/v1/deployments?limit=500")["data"] if d["cmsService"] == DEMO_CMS]
    assert demo, f"no demo deployment (cmsService {DEMO_CMS!r})"
    dep = demo[0]["id"]
    base = f"/api/v1/deployments/{dep}"

    products = get(base + "/products")["data"]
    plans, extras, options = [], [], []
    for p in products:
        plans += [pl["id"] for pl in p.get("plans", [])]
        for e in p.get("extraPackages", []):
            extras.append(e["id"])
            plans += [pl["id"] for pl in e.get("plans", [])]
        options += [o["id"] for o in p.get("options", [])]
    customers = [c["id"] for c in get(base + "/customers?limit=20")["data"]]
    devices, entries = [], []
    for cid in customers[:5]:
        devices += [d["id"] for d in get(f"{base}/customers/{cid}/devices")["data"]]
        entries += [e["id"] for e in get(f"{base}/customers/{cid}/extra-packages")["data"]]
    resellers = get(base + "/resellers")["data"]
    orders = [o["id"] for r in resellers for o in r.get("orders", [])]
    users = [u["id"] for u in get("/api/v1/system-users?limit=500")["data"]]
    jobs = [j["id"] for j in get("/api/v1/jobs?limit=20")["data"]]
    ids = {
        "deploymentId": [dep],
        "code": [c["code"] for c in get(base + "/currencies")["data"]],
        "productId": [p["id"] for p in products],
        "planId": plans,
        "extraId": extras,
        "optionId": options,
        "customerId": customers,
        "deviceId": devices,
        "entryId": entries,
        "resellerId": [r["id"] for r in resellers],
        "orderId": orders,
        "id": users + jobs,      # system-users/{id} (UUID) and jobs/{id}/retry (integer)
    }
    return {name: values for name, values in ids.items() if values}


def write_config(path: Path, ids: dict[str, list]) -> None:
    """schemathesis.toml: one dictionary per path parameter, and for the same names in
    query strings and JSON bodies where the document has them."""
    lines = []
    for name, values in ids.items():
        lines.append(f"[dictionaries.{name}]")
        lines.append("values = " + json.dumps([str(v) for v in values]))
    lines.append("")
    lines.append("[parameters]")
    bound = {f"path.{name}": name for name in ids}
    bound |= {f"query.{name}": name for name in ("deploymentId", "productId", "resellerId")}
    bound |= {f"body.{name}": name for name in ("productId", "planId", "resellerId", "orderId")}
    bound |= {"body.ids[*]": "customerId", "body.deploymentIds[*]": "deploymentId"}
    for key, name in sorted(bound.items()):
        if name in ids:
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = {KNOWN_ID_PROBABILITY} }}')
    path.write_text("\n".join(lines) + "\n")


def schemathesis_command(config: Path, base_url: str, token: str) -> list[str]:
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
           "run", f"{base_url}/api/v1/openapi.json",
           "--url", base_url,
           "-H", f"Authorization: Bearer {token}",
           "--checks", CHECKS,
           "--max-examples", str(MAX_EXAMPLES),
           "--seed", str(SEED),
           "--generation-database", "none",
           "--workers", "1",
           "--request-timeout", str(HTTP_TIMEOUT),
           "--report", "junit,pytest",
           "--report-dir", str(REPORT_DIR)]
    for op in sorted(EXCLUDED_OPERATIONS):
        cmd += ["--exclude-operation-id", op]
    return cmd


def test_rest_api_conforms_to_its_openapi_document(st_server):
    try:
        import schemathesis  # noqa: F401
    except ImportError:
        pytest.fail("schemathesis is not installed: python3 -m pip install schemathesis"
                    " (scripts/test.sh installs it)")
    token = owner_token(st_server)
    ids = demo_ids(st_server, token)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tvms-schemathesis-") as tmp:
        config = Path(tmp) / "schemathesis.toml"
        write_config(config, ids)
        cmd = schemathesis_command(config, st_server.base_url, token)
        log_path = REPORT_DIR / "schemathesis.log"
        started = time.monotonic()
        with open(log_path, "w+") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=tmp, env={**os.environ, "NO_COLOR": "1"})
            interrupted = False
            try:
                rc = proc.wait(RUN_BUDGET)
            except subprocess.TimeoutExpired:
                interrupted = True
                proc.send_signal(signal.SIGINT)      # schemathesis stops and prints its report
                try:
                    rc = proc.wait(INTERRUPT_GRACE)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    rc = proc.wait(10)
            elapsed = time.monotonic() - started
            log.seek(0)
            output = log.read()
    print(f"schemathesis: exit {rc} after {elapsed:.0f} s; output in {log_path}")

    # The run must not have locked itself out: the token still works afterwards.
    with http_session() as http:
        me = http.get(st_server.url("/api/v1/me"), headers={"Authorization": f"Bearer {token}"},
                      timeout=HTTP_TIMEOUT)
    assert not interrupted, \
        f"schemathesis did not finish within {RUN_BUDGET:.0f} s (interrupted); its report:\n{output}"
    assert rc == 0, f"schemathesis found failures (exit {rc}):\n{output}"
    assert me.status_code == 200, \
        f"the run's bearer token stopped working ({me.status_code} {me.text}): results are not meaningful\n{output}"
    assert st_server.proc.poll() is None, f"the server died during the run:\n{st_server.log_tail()}"
