"""REST API v1 against its own OpenAPI document, with schemathesis (PyPI).

One `tvms serve --demo` on a fresh database of its own (not the shared `server` fixture:
schemathesis creates, changes and deletes a great deal). The owner logs in through
POST /api/v1/auth/login; then the schemathesis CLI runs over every operation of
/api/v1/openapi.json with that bearer token and two checks:

  not_a_server_error            no 5xx, whatever the input (valid or not)
  response_schema_conformance   a response with a documented status has the documented body

Path identifiers are `type: string` in the document, so generated values would almost never
name a real resource and every handler would stop at "not found" or "not a number". So the
test makes a few resources first (a customer with a device and an extra package, a reseller
customer, a system user; the rest is demo data) and fixes the path parameters to their ids
(schemathesis `[parameters]`); request bodies still get generated ids, mixed with the known
ones (schemathesis dictionaries).

Two passes, the same checks: the operations that trash or purge customers in bulk or one by
one run last (pass 2), otherwise a generated `{"filter": {}}` on bulk-delete trashes every
customer early and all per-customer operations only ever see "not found".

Deterministic (fixed seed, no example database) and bounded: MAX_EXAMPLES per operation, one
worker, each pass once. The passes share RUN_BUDGET seconds; past that the run is interrupted
(SIGINT: schemathesis still prints its report) and the test fails. (`--max-time` is not used:
in schemathesis 4 it makes fuzzing and stateful testing repeat until the budget is spent, so
every run would take the whole budget and cover a different amount.)

On a failure the assertion message is schemathesis's own report, with a curl command per
failure; its output, junit.xml and a pytest file that replays the failures are kept under
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
RUN_BUDGET = 170.0           # seconds for both passes together (SIGINT after that)
INTERRUPT_GRACE = 30.0       # seconds schemathesis may take to print its report after SIGINT
BODY_ID_PROBABILITY = 0.5    # share of generated ids in request bodies taken from known ones
REPORT_DIR = ARTIFACTS / "schemathesis"

CHECKS = "not_a_server_error,response_schema_conformance"

# Operations left out, each with the reason. Nothing is left out for failing.
EXCLUDED_OPERATIONS = {
    # schemathesis learns token ids from GET /api/v1/tokens and deletes them: the first
    # one it revokes is the run's own bearer token, and every request after that is a 401
    # (the whole run would test nothing but the authentication middleware).
    "deletetokens_By_id",
}

# Pass 2 (see the module doc): operations that take customers (or the content the path
# parameters name) away.
LAST_OPERATIONS = [
    "postdeployments_By_deploymentId_customers_bulk_delete",
    "deletedeployments_By_deploymentId_customers_By_customerId",
    "deletedeployments_By_deploymentId_customers_By_customerId_purge",
    "deletedeployments_By_deploymentId_channels_By_channelId",
    "deletedeployments_By_deploymentId_vod_By_itemId",
    "deletedeployments_By_deploymentId_packages_By_packageId",
    "deletedeployments_By_deploymentId_ppv_rules_By_ruleId",
]


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


class Api:
    def __init__(self, server, token: str):
        self.server = server
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body=None, expect: int = 200):
        with http_session() as http:
            r = http.request(method, self.server.url(path), json=body, headers=self.headers,
                             timeout=HTTP_TIMEOUT)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()


def prepare_targets(server, token: str) -> dict:
    """Resources for the path parameters: demo data plus a few made here. Returns
    {"path": {name: id}, "per_operation": [(path regex, {name: id})], "body": {name: [ids]}}."""
    api = Api(server, token)
    demo = [d for d in api.call("GET", "/api/v1/deployments?limit=500")["data"] if d["cmsService"] == DEMO_CMS]
    assert demo, f"no demo deployment (cmsService {DEMO_CMS!r})"
    dep = demo[0]["id"]
    base = f"/api/v1/deployments/{dep}"

    products = api.call("GET", base + "/products")["data"]
    product = next(p for p in products if p["plans"] and p["extraPackages"] and p["options"])
    plan = product["plans"][0]["id"]
    extra = product["extraPackages"][0]
    customer = api.call("POST", base + "/customers", {"productId": product["id"], "planId": plan},
                        expect=201)["customer"]["id"]
    device = api.call("POST", f"{base}/customers/{customer}/devices",
                      {"mac": "02:00:5E:10:00:01", "model": "schemathesis"}, expect=201)["id"]
    entry = api.call("POST", f"{base}/customers/{customer}/extra-packages",
                     {"planId": extra["plans"][0]["id"]}, expect=201)["id"]
    resellers = api.call("GET", base + "/resellers")["data"]
    postpaid = next(r for r in resellers if r["type"] == "postpaid" and r["plans"])
    prepaid = next(r for r in resellers if r["type"] == "prepaid" and r["orders"])
    sold = api.call("POST", f"{base}/resellers/{postpaid['id']}/customers",
                    {"productId": postpaid["plans"][0]["productId"], "planId": postpaid["plans"][0]["planId"]},
                    expect=201)["customer"]["id"]
    user = api.call("POST", "/api/v1/system-users",
                    {"email": "schemathesis@demo.tvms", "name": "Schemathesis target", "password": "Schemathesis-2026!",
                     "role": "admin", "deploymentIds": [dep]}, expect=201)["id"]
    jobs = api.call("GET", "/api/v1/jobs?limit=5")["data"]
    currencies = [c["code"] for c in api.call("GET", base + "/currencies")["data"]]
    code = next((c for c in currencies if c != demo[0]["defaultCurrency"]), currencies[0])
    customers = [c["id"] for c in api.call("GET", base + "/customers?limit=50")["data"]]
    plans = [p["id"] for pr in products for p in pr["plans"]]
    plans += [p["id"] for pr in products for e in pr["extraPackages"] for p in e["plans"]]

    # Content: a channel, a movie in a movie package, and a PPV rule made for the run.
    channel = api.call("POST", base + "/channels", {"number": 9001, "name": "Schemathesis TV",
                                                    "hlsUrl": "https://live.example/st/index.m3u8"}, expect=201)["id"]
    movie = api.call("POST", base + "/vod", {"kind": "movie", "title": "Schemathesis Movie",
                                             "streamUrl": "https://vod.example/st.mp4"}, expect=201)["id"]
    package = api.call("POST", base + "/packages", {"kind": "movie", "name": "Schemathesis films"}, expect=201)["id"]
    api.call("POST", f"{base}/packages/{package}/items", {"items": [movie]})
    rule = api.call("POST", base + "/ppv-rules", {"section": "movie", "name": "Schemathesis rental", "unit": "hours",
                                                  "count": 24}, expect=201)["id"]

    per_operation = [
        # the prepaid reseller's orders; the postpaid reseller's own customer
        (r"/resellers/\{resellerId\}/orders", {"resellerId": prepaid["id"], "orderId": prepaid["orders"][-1]["id"]}),
        (r"/resellers/\{resellerId\}/customers/\{customerId\}/", {"customerId": sold}),
        # a system user made for this, never the owner the run is logged in as
        (r"^/api/v1/system-users/\{id\}$", {"id": user}),
    ]
    if jobs:
        per_operation.append((r"^/api/v1/jobs/\{id\}/", {"id": jobs[-1]["id"]}))
    return {
        "path": {"deploymentId": dep, "code": code, "productId": product["id"], "planId": plan,
                 "extraId": extra["id"], "optionId": product["options"][0]["id"], "customerId": customer,
                 "deviceId": device, "entryId": entry, "resellerId": postpaid["id"],
                 "channelId": channel, "itemId": movie, "packageId": package, "ruleId": rule},
        "per_operation": per_operation,
        "body": {"deploymentId": [dep], "productId": [p["id"] for p in products], "planId": plans,
                 "resellerId": [r["id"] for r in resellers], "orderId": [o["id"] for r in resellers for o in r["orders"]],
                 "customerId": customers},
    }


def toml_str(value) -> str:
    return json.dumps(str(value))   # a JSON string is a valid TOML basic string


def write_config(path: Path, targets: dict) -> None:
    """schemathesis.toml: fixed path parameters (also for the same names in query strings),
    per-operation ones, and dictionaries for ids in request bodies."""
    lines = []
    for name, values in targets["body"].items():
        # Entries are used as they are: JSON numbers for bodies, strings for query strings.
        lines += [f"[dictionaries.{name}]", "values = " + json.dumps(values), ""]
        lines += [f"[dictionaries.{name}_text]", "values = " + json.dumps([str(v) for v in values]), ""]
    lines.append("[parameters]")
    for name, value in targets["path"].items():
        lines.append(f'"path.{name}" = {toml_str(value)}')
    bindings = {f"body.{n}": n for n in ("productId", "planId", "resellerId", "orderId")}
    bindings |= {f"query.{n}": f"{n}_text" for n in ("deploymentId", "productId", "resellerId")}
    bindings |= {"body.ids[*]": "customerId", "body.deploymentIds[*]": "deploymentId"}
    for key, name in sorted(bindings.items()):
        if targets["body"].get(name.removesuffix("_text")):
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = {BODY_ID_PROBABILITY} }}')
    for regex, params in targets["per_operation"]:
        lines += ["", "[[operations]]", f"include-path-regex = {toml_str(regex)}",
                  "parameters = { " + ", ".join(f'"path.{k}" = {toml_str(v)}' for k, v in params.items()) + " }"]
    path.write_text("\n".join(lines) + "\n")


def schemathesis_command(config: Path, base_url: str, token: str, *, operations: list[str],
                         exclude: bool, report_dir: Path) -> list[str]:
    """One pass: the operations listed (exclude=False) or all but them (exclude=True)."""
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
           "--report-dir", str(report_dir)]
    for op in sorted(EXCLUDED_OPERATIONS):
        cmd += ["--exclude-operation-id", op]
    for op in operations:
        cmd += ["--exclude-operation-id" if exclude else "--include-operation-id", op]
    return cmd


def run_pass(cmd: list[str], cwd: str, log_path: Path, deadline: float) -> tuple[int, bool, str]:
    """Runs one schemathesis pass; SIGINT at the deadline. Returns (status, interrupted, output)."""
    with open(log_path, "w+") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, env={**os.environ, "NO_COLOR": "1"})
        interrupted = False
        try:
            rc = proc.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            interrupted = True
            proc.send_signal(signal.SIGINT)      # schemathesis stops and prints its report
            try:
                rc = proc.wait(INTERRUPT_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait(10)
        log.seek(0)
        return rc, interrupted, log.read()


def test_rest_api_conforms_to_its_openapi_document(st_server):
    try:
        import schemathesis  # noqa: F401
    except ImportError:
        pytest.fail("schemathesis is not installed: python3 -m pip install schemathesis"
                    " (scripts/test.sh installs it)")
    token = owner_token(st_server)
    targets = prepare_targets(st_server, token)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    deadline = started + RUN_BUDGET
    problems, reports = [], []
    with tempfile.TemporaryDirectory(prefix="tvms-schemathesis-") as tmp:
        config = Path(tmp) / "schemathesis.toml"
        write_config(config, targets)
        (REPORT_DIR / "schemathesis.toml").write_text(config.read_text())
        for n, exclude in ((1, True), (2, False)):
            cmd = schemathesis_command(config, st_server.base_url, token, operations=LAST_OPERATIONS,
                                       exclude=exclude, report_dir=REPORT_DIR / f"pass{n}")
            log_path = REPORT_DIR / f"pass{n}.log"
            rc, interrupted, output = run_pass(cmd, tmp, log_path, deadline)
            print(f"schemathesis pass {n}: exit {rc} after {time.monotonic() - started:.0f} s; output in {log_path}")
            reports.append(f"===== pass {n} ({log_path}) =====\n{output}")
            if interrupted:
                problems.append(f"pass {n} did not finish within the {RUN_BUDGET:.0f} s budget (interrupted)")
                break
            if rc != 0:
                problems.append(f"pass {n} found failures (exit {rc})")
            if st_server.proc.poll() is not None:
                problems.append(f"the server died during pass {n}:\n{st_server.log_tail()}")
                break

    if st_server.proc.poll() is None:
        # The run must not have locked itself out: its token still works afterwards.
        with http_session() as http:
            me = http.get(st_server.url("/api/v1/me"), headers={"Authorization": f"Bearer {token}"},
                          timeout=HTTP_TIMEOUT)
        if me.status_code != 200:
            problems.append(f"the run's bearer token stopped working ({me.status_code} {me.text}):"
                            " the results are not meaningful")
    assert not problems, "schemathesis: " + "; ".join(problems) + "\n\n" + "\n".join(reports)
