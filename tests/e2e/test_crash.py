"""Crash consistency of reseller sales: SIGKILL in the middle of a burst of sales.

A server on a fresh database (SQLite data dir, or a fresh PostgreSQL database with
TVMS_E2E_DATABASE_URL) gets a postpaid reseller with credits for every sale of the
burst. THREADS threads sell customers on its account through REST v1, each with its
own login, until KILL_AFTER sales have been acknowledged (201); then the server's
process group gets SIGKILL, with the other requests still in flight. The server is
restarted on the same data, and:

  - every acknowledged sale's customer is there, under the id the 201 gave (durability);
  - every customer of the reseller has exactly one charge in the reseller's ledger, and
    every charge names one of those customers (no customer without its charge, no
    charge without its customer); no customer appears whose sale was never sent;
  - the balance the API reports == credits issued - charges x price;
  - `tvms ledger verify` exits 0, on the data as the crash left it and after restart;
  - the restarted server still sells, and the ledger still verifies.

A request cut off by the kill has an unknown outcome: its customer may or may not exist,
but only together with its charge. The numbers of the run (sales acknowledged before the
kill, cut off, customers found after the restart) go to
<artifacts>/server-logs/crash-sales-summary.json.
"""
from __future__ import annotations

import json
import queue
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests

from support import (DEMO_CMS, HTTP_TIMEOUT, OWNER_EMAIL, OWNER_PASSWORD, PG_ADMIN_URL, SERVER_LOGS,
                     ServerPool, http_session, port_is_free)

SALES = 400              # sales offered to the burst (the credits cover all of them)
THREADS = 8
KILL_AFTER = 40          # acknowledged sales before the SIGKILL
BURST_DEADLINE = 60.0    # seconds for KILL_AFTER acknowledgements
PAGE = 100               # page size for the customer list and the ledger


# --------------------------------------------------------------- API helpers ---


class Api:
    def __init__(self, server, token: str):
        self.server = server
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = http_session()

    def call(self, method: str, path: str, *, expect: int = 200, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        r = self.http.request(method, self.server.url("/api/v1" + path), headers=self.headers, **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text[:500]}"
        return r.json() if r.content else None

    def pages(self, path: str, **params) -> list[dict]:
        """Every item of a cursor-paged list (`data` + `nextCursor`)."""
        out, cursor, seen = [], None, set()
        while True:
            q = dict(params, limit=PAGE)
            if cursor:
                q["cursor"] = cursor
            body = self.call("GET", path, params=q)
            out.extend(body["data"])
            cursor = body.get("nextCursor")
            if not cursor:
                return out
            assert cursor not in seen, f"GET {path}: the cursor {cursor} came back twice"
            seen.add(cursor)


def owner_token(server) -> str:
    with http_session() as http:
        r = http.post(server.url("/api/v1/auth/login"), timeout=HTTP_TIMEOUT,
                      json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "tokenName": "e2e-crash"})
    assert r.status_code in (200, 201), r.text
    return r.json()["token"]


def demo_plan(api: Api, dep: str) -> tuple[int, int, int]:
    """(productId, planId, creditsPrice) of the first product plan with a credits price."""
    for product in api.call("GET", f"/deployments/{dep}/products")["data"]:
        for plan in product["plans"]:
            if plan.get("creditsPrice"):
                return product["id"], plan["id"], plan["creditsPrice"]
    pytest.fail("the demo data has no plan with a credits price")


# -------------------------------------------------------------------- burst ---


@dataclass
class Burst:
    """What the sale threads saw. Only the main thread reads it after join()."""
    acked: dict[str, int] = field(default_factory=dict)       # login -> customer id (201)
    cut_off: dict[str, str] = field(default_factory=dict)     # login -> error: outcome unknown
    refused: dict[str, str] = field(default_factory=dict)     # login -> error: never reached the server
    rejected: dict[str, str] = field(default_factory=dict)    # login -> "status body": not 201
    early_errors: dict[str, str] = field(default_factory=dict)  # errors before the kill
    sent: set[str] = field(default_factory=set)
    acked_at_kill: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)   # KILL_AFTER acks, or all threads done
    killing: threading.Event = field(default_factory=threading.Event)  # set just before SIGKILL
    running: int = THREADS


def sell_worker(server, token: str, dep: str, rid: int, product: int, plan: int,
                todo: queue.Queue, burst: Burst) -> None:
    url = server.url(f"/api/v1/deployments/{dep}/resellers/{rid}/customers")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with http_session() as http:     # requests does not retry: a POST is sent at most once
            while not burst.killing.is_set():
                try:
                    login = todo.get_nowait()
                except queue.Empty:
                    return
                body = {"productId": product, "planId": plan, "login": login, "password": "pw-" + login,
                        "contact": {"lastName": f"Crash sale {login}"}}
                with burst.lock:
                    burst.sent.add(login)
                try:
                    r = http.post(url, json=body, headers=headers, timeout=HTTP_TIMEOUT)
                    created = r.json()["customer"] if r.status_code == 201 else None
                except (requests.RequestException, ValueError) as exc:
                    with burst.lock:
                        if not burst.killing.is_set():
                            burst.early_errors[login] = repr(exc)
                        elif isinstance(exc, requests.ConnectionError) and "refused" in str(exc).lower():
                            burst.refused[login] = repr(exc)
                        else:
                            burst.cut_off[login] = repr(exc)
                    if burst.killing.is_set():
                        return
                    continue
                with burst.lock:
                    if created is None or created.get("login") != login:
                        burst.rejected[login] = f"{r.status_code} {r.text[:300]}"
                        continue
                    burst.acked[login] = created["id"]
                    if len(burst.acked) >= KILL_AFTER:
                        burst.enough.set()
    finally:
        with burst.lock:
            burst.running -= 1
            if burst.running == 0:
                burst.enough.set()       # nobody left to reach KILL_AFTER: do not wait for it


# --------------------------------------------------------------------- test ---


def verify_ledger(server, when: str) -> str:
    proc = server.run_command("ledger", "verify")
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0, f"`tvms ledger verify` {when}: status {proc.returncode}\n{out}"
    return out


def test_sigkill_during_sales_burst_loses_nothing_and_splits_nothing():
    pool = ServerPool("crash")
    try:
        server = pool.start("sales", demo=True, fresh_database=True, own_process_group=True)
        token = owner_token(server)
        api = Api(server, token)
        demo = [d for d in api.call("GET", "/deployments")["data"] if d.get("cmsService") == DEMO_CMS]
        assert demo, f"no deployment with cmsService {DEMO_CMS!r}"
        dep = demo[0]["id"]
        product, plan, price = demo_plan(api, dep)
        credits = SALES * price

        tag = uuid.uuid4().hex[:6]
        reseller = api.call("POST", f"/deployments/{dep}/resellers", expect=201, json={
            "name": f"Crash Test Reseller {tag}", "type": "postpaid", "allowCustomLogin": True})
        rid = reseller["id"]
        api.call("POST", f"/deployments/{dep}/resellers/{rid}/plans",
                 json={"productId": product, "planId": plan, "discountPercent": "0"})
        r = api.call("POST", f"/deployments/{dep}/resellers/{rid}/credits",
                     json={"amount": credits, "reason": "crash test credits", "idempotencyKey": f"crash-{tag}"})
        assert r["balance"] == credits, r

        # ---- the burst, and SIGKILL once KILL_AFTER sales are acknowledged
        todo: queue.Queue = queue.Queue()
        logins = [f"crash{tag}{i:04d}" for i in range(SALES)]
        for login in logins:
            todo.put(login)
        burst = Burst()
        threads = [threading.Thread(target=sell_worker, name=f"sale-{k}", daemon=True,
                                    args=(server, token, dep, rid, product, plan, todo, burst))
                   for k in range(THREADS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        reached = burst.enough.wait(BURST_DEADLINE)
        with burst.lock:
            burst.acked_at_kill = len(burst.acked)
            burst.killing.set()
        assert reached and burst.acked_at_kill >= KILL_AFTER, (
            f"only {burst.acked_at_kill} of {KILL_AFTER} sales acknowledged before the kill"
            f" (in {time.monotonic() - started:.1f} s); rejected: {dict(list(burst.rejected.items())[:5])};"
            f" errors: {dict(list(burst.early_errors.items())[:5])}; log {server.log_path}:\n{server.log_tail()}")
        crashed_log = server.log_path
        server.kill()
        killed_after = time.monotonic() - started
        for t in threads:
            t.join(HTTP_TIMEOUT + 5)
        assert not any(t.is_alive() for t in threads), "sale threads still running after the kill"
        assert server.exit_code == -signal.SIGKILL, f"exit status {server.exit_code}, not SIGKILL"
        assert port_is_free(server.port)

        # Nothing may have gone wrong before the kill: every sale the credits cover is a 201.
        assert not burst.early_errors, f"requests failed before the kill: {burst.early_errors}"
        assert not burst.rejected, f"sales refused before the kill: {burst.rejected}"
        # The kill must have hit the burst in flight, or this tests nothing.
        assert burst.cut_off, (
            f"no request was in flight at the SIGKILL ({len(burst.acked)} acknowledged,"
            f" {len(burst.refused)} refused)")
        assert len(set(burst.acked.values())) == len(burst.acked), "two 201s with the same customer id"
        unsent = set(logins) - burst.sent

        # ---- the data as the crash left it, then a restart on the same data
        verify_before = verify_ledger(server, "on the data the SIGKILL left")
        server.start()
        api = Api(server, token)     # the token is in the database: it survives too

        customers = api.pages(f"/deployments/{dep}/customers", resellerId=rid)
        by_login = {c["login"]: c for c in customers}
        assert len(by_login) == len(customers), "a login listed twice"
        assert all(c.get("resellerId") == rid for c in customers), "the resellerId filter leaked"
        ids = {c["id"] for c in customers}

        # Durability: every acknowledged sale survived, under the id the 201 gave.
        lost = {login: cid for login, cid in burst.acked.items() if login not in by_login}
        assert not lost, f"{len(lost)} acknowledged sale(s) lost by the crash: {lost}"
        moved = {login: (cid, by_login[login]["id"]) for login, cid in burst.acked.items()
                 if by_login[login]["id"] != cid}
        assert not moved, f"customer ids changed across the crash (201 id, now): {moved}"
        # Only sales that were sent can exist; cut-off ones may or may not.
        strangers = set(by_login) - set(burst.acked) - set(burst.cut_off)
        assert not strangers, (
            f"customers whose sale was never acknowledged nor in flight: {sorted(strangers)}"
            f" (refused: {sorted(strangers & set(burst.refused))}, never sent: {sorted(strangers & unsent)})")

        # One charge per customer, one customer per charge.
        ledger = api.pages(f"/deployments/{dep}/resellers/{rid}/ledger")
        assert len({e["id"] for e in ledger}) == len(ledger), "a ledger entry listed twice"
        charges = [e for e in ledger if e["from"] == f"reseller:{rid}" and e["to"] == "operator:sales"]
        others = [e for e in ledger if e not in charges]
        assert [(e["from"], e["to"], e["amount"], e["unit"]) for e in others] == \
            [("operator:issued", f"reseller:{rid}", credits, "CREDITS")], \
            f"the ledger holds more than the sales and the one top-up: {others}"
        assert all(e["unit"] == "CREDITS" and e["amount"] == price for e in charges), \
            [e for e in charges if e["unit"] != "CREDITS" or e["amount"] != price]
        per_customer = Counter(e.get("customerId") for e in charges)
        without_charge = sorted(c["login"] for c in customers if per_customer[c["id"]] == 0)
        charged_twice = {cid: n for cid, n in per_customer.items() if n > 1}
        orphans = [e for e in charges if e.get("customerId") not in ids]
        assert not without_charge, f"customers without a charge: {without_charge}"
        assert not charged_twice, f"customers charged more than once: {charged_twice}"
        assert not orphans, f"charges naming no existing customer: {orphans}"
        assert len(charges) == len(customers)

        # The balance the API reports is what the ledger says it must be.
        balance = api.call("GET", f"/deployments/{dep}/resellers/{rid}")["balance"]
        assert balance == credits - len(charges) * price, \
            f"balance {balance}, expected {credits} - {len(charges)} x {price}"
        verify_after = verify_ledger(server, "after the restart")

        # The restarted server still sells on the same account.
        extra = f"crash{tag}after"
        api.call("POST", f"/deployments/{dep}/resellers/{rid}/customers", expect=201, json={
            "productId": product, "planId": plan, "login": extra, "password": "pw-" + extra,
            "contact": {"lastName": "Crash sale after restart"}})
        balance_after = api.call("GET", f"/deployments/{dep}/resellers/{rid}")["balance"]
        assert balance_after == balance - price, (balance, balance_after)
        verify_ledger(server, "after a sale on the restarted server")

        summary = {
            "database": "postgresql" if PG_ADMIN_URL else "sqlite",
            "acked_at_kill": burst.acked_at_kill, "acked": len(burst.acked), "cut_off": len(burst.cut_off),
            "refused": len(burst.refused), "never_sent": len(unsent), "killed_after_s": round(killed_after, 2),
            "customers_after_restart": len(customers), "cut_off_committed": len(set(by_login) & set(burst.cut_off)),
            "charges": len(charges), "balance": balance, "crashed_log": str(crashed_log),
        }
        SERVER_LOGS.mkdir(parents=True, exist_ok=True)
        (SERVER_LOGS / f"{server.name}-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        print("crash summary:", json.dumps(summary))
        print("ledger verify:", verify_before, "|", verify_after)
    finally:
        problems = pool.stop_all()
    assert not problems, "graceful shutdown after the restart failed:\n" + "\n".join(problems)
