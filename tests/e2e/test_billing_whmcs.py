"""The business API (/api/{Controller}/{action}) driven the way a WHMCS provisioning module
drives it (spec: tvms-crm-and-api.md section 12, flows F6/F7).

How WHMCS calls: every parameter in the query string, an empty POST body (Content-Length: 0),
`Accept: application/json`, booleans as "true"/"false", "0" for a parameter it has no value
for. It reads `loginid`/`loginId` and `password` from AddCustomer, `ProductID`/`ProductName`
from GetProducts and an error text from the JSON field `Message`; it handles HTTP 400, 401,
406 and 500.

The module runs its own `tvms serve --demo` on a fresh database (SQLite data dir, or a fresh
PostgreSQL database with TVMS_E2E_DATABASE_URL), so the demo data is exactly as loaded:
product "Basic Monthly" (plans "1 month" and "12 months", extra package "Sports"), the
postpaid reseller 1 (plan "1 month" at 10 % off: 9 credits a sale; Sports at 5 credits less
10 % = 4.5, rounded half up to 5) and the prepaid reseller 2 (a used-up order of 3 units and an
open order of 10). Reseller balances and orders are read back through REST v1 as the owner.

Covered: the WHMCS lifecycle (GetProducts → AddCustomer → GetCustomer → CustomerStatus →
RenewCustomer → ChangeCustomerProduct → ExtraPackages/Add → DisableCustomer/EnableCustomer →
EditCustomer → ChangeLoginDetails → CustomerSubscription/ExtendDate → CancelSubscription →
DeleteCustomer), GetCustomerStatusByReseller (filters and 1,000-row pages), GetCountries,
ValidateCustomer, devices by MAC, BulkDeleteCustomers, CustomerRecommendation, the error
shape, reseller charges through the API, idempotent retries and parameter flexibility.
"""
from __future__ import annotations

import calendar
import re
import secrets
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from support import (DEMO_AUTH_TOKEN, DEMO_CMS, DEMO_CRM, HTTP_TIMEOUT, OWNER_EMAIL, OWNER_PASSWORD,
                     ServerPool, http_session)

AUTH = {"crmService": DEMO_CRM, "cmsService": DEMO_CMS, "authToken": DEMO_AUTH_TOKEN}
WHMCS_HEADERS = {"Accept": "application/json"}
POSTPAID, PREPAID = 1, 2        # the demo resellers
SALE_CREDITS = 9                # "1 month" costs 10 credits, reseller 1 gets 10 % off
SPORTS_CREDITS = 5              # Sports costs 5 credits less 10 % = 4.5, rounded half up


def tag() -> str:
    return uuid.uuid4().hex[:10]


def wire(value) -> str:
    """A parameter as WHMCS puts it on the wire: booleans as true/false, the rest as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(r: requests.Response) -> str:
    return (f"{r.request.method} {r.request.path_url} -> {r.status_code}"
            f" [{r.headers.get('Content-Type')}] {r.text[:700]}")


def assert_billing_error(r: requests.Response, status: int) -> dict:
    """The business API's error shape: JSON `{"Message", "Code"[, "Fields"]}`, never HTML."""
    assert r.status_code == status, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    assert "<html" not in r.text.lower(), describe(r)
    body = r.json()
    assert isinstance(body, dict), describe(r)
    assert isinstance(body.get("Message"), str) and body["Message"].strip(), f"no Message: {describe(r)}"
    assert isinstance(body.get("Code"), str) and body["Code"], f"no Code: {describe(r)}"
    if "Fields" in body:
        assert isinstance(body["Fields"], dict) and body["Fields"], describe(r)
    return body


# ------------------------------------------------------------------- clients ---


class Whmcs:
    """The business API as the WHMCS module calls it."""

    def __init__(self, server):
        self.server = server
        self.http = http_session()

    def call(self, path: str, params: dict | None = None, *, method: str = "POST", auth: dict | None = AUTH,
             headers: dict | None = None) -> requests.Response:
        query = {k: wire(v) for k, v in {**(auth or {}), **(params or {})}.items()}
        h = {**WHMCS_HEADERS, **(headers or {})}
        url = self.server.url(path)
        if method == "POST":    # everything in the query string, an empty body
            return self.http.post(url, params=query, data=b"", headers=h, timeout=HTTP_TIMEOUT)
        return self.http.request(method, url, params=query, headers=h, timeout=HTTP_TIMEOUT)

    def ok(self, path: str, params: dict | None = None, **kw):
        r = self.call(path, params, **kw)
        assert r.status_code == 200, describe(r)
        assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
        return r.json()

    def error(self, path: str, params: dict | None, status: int, **kw) -> dict:
        return assert_billing_error(self.call(path, params, **kw), status)

    # The calls the lifecycle repeats.
    def customer(self, ids: dict) -> dict:
        return self.ok("/api/GetCustomer/getCustomer_V2", ids, method="GET")

    def status(self, ids: dict) -> dict:
        return self.ok("/api/CustomerStatus/GetCustomerStatus", ids, method="GET")

    def validate(self, userid: str, password: str) -> dict:
        return self.ok("/api/ValidateCustomer/validateCustomer", {"userid": userid, "password": password}, method="GET")

    def by_reseller(self, reseller_id: int, page: int = 1, **extra) -> dict:
        return self.ok("/api/CustomerStatus/GetCustomerStatusByReseller",
                       {"reseller_id": reseller_id, "page": page, **extra}, method="GET")


class Rest:
    """REST v1 as the owner: what the operator sees of resellers, orders and the ledger."""

    def __init__(self, server):
        self.server = server
        self.http = http_session()
        r = self.http.post(server.url("/api/v1/auth/login"), timeout=HTTP_TIMEOUT,
                           json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "tokenName": "e2e-billing"})
        assert r.status_code in (200, 201), r.text
        self.headers = {"Authorization": f"Bearer {r.json()['token']}"}
        demo = [d for d in self.call("GET", "/deployments")["data"] if d.get("cmsService") == DEMO_CMS]
        assert demo, f"no deployment with cmsService {DEMO_CMS!r}"
        self.dep = demo[0]["id"]
        self.tz = ZoneInfo(demo[0]["timeZone"])

    def call(self, method: str, path: str, *, expect: int | tuple = 200, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        r = self.http.request(method, self.server.url("/api/v1" + path), headers=self.headers, **kw)
        ok = r.status_code in expect if isinstance(expect, tuple) else r.status_code == expect
        assert ok, f"REST {method} {path}: {r.status_code} {r.text[:500]}"
        return r.json() if r.content else None

    def reseller(self, rid: int) -> dict:
        return self.call("GET", f"/deployments/{self.dep}/resellers/{rid}")

    def ledger(self, rid: int) -> list[dict]:
        return self.call("GET", f"/deployments/{self.dep}/resellers/{rid}/ledger", params={"limit": 500})["data"]

    def new_postpaid_reseller(self, name: str, plan_id: int, product_id: int, discount: str, credits: int) -> int:
        rid = self.call("POST", f"/deployments/{self.dep}/resellers", expect=201,
                        json={"name": name, "type": "postpaid"})["id"]
        self.call("POST", f"/deployments/{self.dep}/resellers/{rid}/plans",
                  json={"productId": product_id, "planId": plan_id, "discountPercent": discount})
        if credits:
            self.add_credits(rid, credits)
        return rid

    def add_credits(self, rid: int, amount: int) -> int:
        return self.call("POST", f"/deployments/{self.dep}/resellers/{rid}/credits",
                         json={"amount": amount, "reason": "e2e billing test", "idempotencyKey": f"e2e-{tag()}"})["balance"]

    def customer(self, cid: int) -> dict:
        return self.call("GET", f"/deployments/{self.dep}/customers/{cid}")


class Catalog:
    """What WHMCS maps its shop products to, from GetProducts."""

    def __init__(self, products: list[dict]):
        by_name = {p["ProductName"]: p for p in products}
        basic = by_name["Basic Monthly"]
        self.basic_id = basic["ProductID"]
        plans = {(p["Length"], p["LengthUnit"]): p for p in basic["Plans"]}
        self.month_plan = plans[(1, "months")]["PlanID"]
        self.year_plan = plans[(12, "months")]["PlanID"]
        sports = [x for x in basic["ExtraPackages"] if x["PackageMappingID"] == "sports"][0]
        self.sports_id = sports["ExtraPackageID"]
        self.sports_plan = sports["Plans"][0]["PlanID"]
        self.trial_id = by_name["Free Trial"]["ProductID"]


# ------------------------------------------------------------------ fixtures ---


@pytest.fixture(scope="module")
def billing_server():
    """A demo server of this module's own, on a fresh database: the demo data as loaded."""
    pool = ServerPool("billing")
    try:
        srv = pool.start("demo", demo=True, fresh_database=True)
    except Exception:
        pool.stop_all()
        raise
    yield srv
    problems = pool.stop_all()
    assert not problems, "graceful shutdown failed:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def whmcs(billing_server):
    return Whmcs(billing_server)


@pytest.fixture(scope="module")
def rest(billing_server):
    return Rest(billing_server)


@pytest.fixture(scope="module")
def catalog(whmcs):
    return Catalog(whmcs.ok("/api/GetProducts/getProducts_V2", method="GET"))


def customer_params(catalog: Catalog, t: str, **over) -> dict:
    """An AddCustomer call as WHMCS sends it for a paid order of shop client `t`."""
    p = {"firstname": "Jan", "lastname": f"Jansen {t}", "street": "Damrak 1", "zipcode": "1012 LG",
         "city": "Amsterdam", "state": "Noord-Holland", "country": "Netherlands", "phone": "+31201234567",
         "mobile": "+31612345678", "email": f"jan.{t}@example.com", "productid": catalog.basic_id,
         "subscriptionlengthinmonths": 1, "subscriptionlengthindays": 0, "renewalinterval": 1,
         "customermappingid": f"whmcs-{t}", "currency": "EUR", "sendMail": False}
    p.update(over)
    return p


def add_customer(whmcs: Whmcs, catalog: Catalog, t: str | None = None, path: str = "/api/AddCustomer/addCustomer",
                 **over) -> tuple[dict, dict]:
    """AddCustomer; returns its answer and the ids WHMCS keeps for later calls."""
    t = t or tag()
    params = customer_params(catalog, t, **over)
    created = whmcs.ok(path, params)
    login = created.get("loginid") or created.get("loginId")
    assert login and created.get("password"), f"AddCustomer gave no loginid/password: {created}"
    ids = {"userid": login, "password": created["password"]}
    if wire(params.get("customermappingid", "0")) != "0":
        ids["customermappingid"] = params["customermappingid"]
    return created, ids


def add_months(epoch: int, months: int, tz: ZoneInfo) -> int:
    """Calendar months in the deployment's zone, the month end clamped (Jan 31 + 1 = Feb 28)."""
    local = datetime.fromtimestamp(epoch, tz)
    years, month0 = divmod(local.month - 1 + months, 12)
    year, month = local.year + years, month0 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return int(local.replace(year=year, month=month, day=day).timestamp())


# ------------------------------------------------------------ product sync ---


def test_get_products_gives_what_whmcs_maps(whmcs):
    products = whmcs.ok("/api/GetProducts/getProducts_V2", method="GET")
    assert isinstance(products, list) and products, products
    for p in products:
        assert isinstance(p.get("ProductID"), int) and isinstance(p.get("ProductName"), str) and p["ProductName"], p
    by_name = {p["ProductName"]: p for p in products}
    assert {"Basic Monthly", "Free Trial"} <= set(by_name), sorted(by_name)
    basic = by_name["Basic Monthly"]
    assert basic["ProductMappingID"] == "basic-monthly" and basic["DefaultCurrency"] == "EUR", basic
    plans = {p["PlanName"]: p for p in basic["Plans"]}
    assert set(plans) == {"1 month", "12 months"}, basic["Plans"]
    assert (plans["1 month"]["Length"], plans["1 month"]["LengthUnit"]) == (1, "months")
    assert (plans["12 months"]["Length"], plans["12 months"]["LengthUnit"]) == (12, "months")
    assert plans["1 month"]["Prices"]["EUR"] == "9.99" and plans["12 months"]["Prices"]["EUR"] == "99.00", plans
    assert plans["1 month"]["CreditsPrice"] == 10, plans["1 month"]
    sports = [x for x in basic["ExtraPackages"] if x["PackageMappingID"] == "sports"]
    assert len(sports) == 1 and sports[0]["Name"] == "Sports", basic["ExtraPackages"]
    assert [p["PlanName"] for p in sports[0]["Plans"]] == ["Sports 1 month"], sports
    # The extra package's plan is not offered as a plan of the product itself.
    assert sports[0]["Plans"][0]["PlanID"] not in {p["PlanID"] for p in basic["Plans"]}
    assert by_name["Free Trial"]["SubscriptionType"] == "trial"

    # Every alias and method answers the same list.
    for path, method in [("/api/GetProducts/getProducts", "POST"), ("/api/GetProducts/getProducts_V2", "POST"),
                         ("/api/GetProducts/getProductsV2", "GET")]:
        assert whmcs.ok(path, method=method) == products, f"{method} {path} differs from GET getProducts_V2"


# ------------------------------------------------------------- lifecycle ---


def test_whmcs_lifecycle_from_sale_to_delete(whmcs, rest, catalog):
    t = tag()
    tz = rest.tz

    # F6: a paid order → addCustomerAsync; WHMCS keeps loginid + password + its client id.
    before = int(time.time())
    created, ids = add_customer(whmcs, catalog, t, path="/api/AddCustomer/addCustomerAsync")
    after = int(time.time())
    assert created["loginid"] == created["loginId"] == created["userid"], created
    assert created["status"] == "Active" and created["reseller_id"] is None, created
    assert created["ProductID"] == catalog.basic_id and created["PlanID"] == catalog.month_plan, created
    cid = created["CustomerID"]
    assert isinstance(cid, int) and created["customerId"] == cid, created

    c = whmcs.customer(ids)
    assert c["CustomerID"] == cid and c["loginid"] == ids["userid"] and c["customermappingid"] == f"whmcs-{t}", c
    expected_contact = {"firstname": "Jan", "lastname": f"Jansen {t}", "street": "Damrak 1", "zipcode": "1012 LG",
                        "city": "Amsterdam", "state": "Noord-Holland", "country": "NL", "phone": "+31201234567",
                        "mobile": "+31612345678", "email": f"jan.{t}@example.com"}
    assert {k: c[k] for k in expected_contact} == expected_contact, c
    assert (c["ProductID"], c["ProductName"], c["PlanID"], c["currency"], c["status"]) == \
        (catalog.basic_id, "Basic Monthly", catalog.month_plan, "EUR", "Active"), c
    assert before - 1 <= c["startdate"] <= after + 1, (before, c["startdate"], after)
    exp0 = c["expiredate"]
    assert exp0 == created["expiredate"] == add_months(c["startdate"], 1, tz), c
    assert c["extraPackages"] == [] and c["devices"] == [], c
    stored = rest.customer(cid)
    assert stored["renewalInterval"] == 1 and stored.get("resellerId") is None, stored

    st = whmcs.status(ids)
    assert (st["CustomerID"], st["loginid"], st["status"], st["expiredate"], st["ProductID"], st["ProductName"]) == \
        (cid, ids["userid"], "Active", exp0, catalog.basic_id, "Basic Monthly"), st
    assert whmcs.ok("/api/CustomerStatus/GetCustomerStatus", ids) == st, "POST GetCustomerStatus differs from GET"

    # F7: recurring payment → one month more, counted from the current expiry.
    renewed = whmcs.ok("/api/RenewCustomer/renewCustomerV2",
                       {**ids, "months": 1, "days": 0, "fromExpireDate": True, "currency": "EUR"})
    exp1 = add_months(exp0, 1, tz)
    assert renewed["expiredate"] == exp1 and renewed["status"] == "Active", (exp0, renewed)
    assert whmcs.status(ids)["expiredate"] == exp1

    # Upgrade to the 12-month plan of the same product, from the current expiry.
    changed = whmcs.ok("/api/ChangeCustomerProduct/changeCustomerProduct",
                       {**ids, "productid": catalog.basic_id, "subscriptionlengthinmonths": 12,
                        "subscriptionlengthindays": 0, "fromExpireDate": True})
    exp2 = add_months(exp1, 12, tz)
    assert changed["expiredate"] == exp2 and changed["ProductID"] == catalog.basic_id, (exp1, changed)
    assert whmcs.customer(ids)["PlanID"] == catalog.year_plan

    # Add-on, synced with the subscription.
    extra = whmcs.ok("/api/ExtraPackages/Add", {**ids, "packageMappingId": "sports", "syncWithCurrentSubscription": True,
                                                "subscriptionlengthinmonths": 0, "subscriptionlengthindays": 0})
    assert (extra["ExtraPackageID"], extra["PlanID"], extra["expiredate"], extra["syncWithCurrentSubscription"]) == \
        (catalog.sports_id, catalog.sports_plan, exp2, True), extra
    assert whmcs.customer(ids)["extraPackages"] == [
        {"ExtraPackageID": catalog.sports_id, "PlanID": catalog.sports_plan, "expiredate": exp2, "syncWithCurrentSubscription": True}]

    # Non-payment → Disabled; payment → Active; EnableCustomer also brings it back.
    disabled = whmcs.ok("/api/DisableCustomer/changeCustomerStatus", {**ids, "status": "Disabled"})
    assert disabled["status"] == "Disabled" and disabled["expiredate"] == exp2, disabled
    v = whmcs.validate(ids["userid"], ids["password"])
    assert v["valid"] is True and v["served"] is False and v["status"] == "Disabled", v
    assert whmcs.ok("/api/DisableCustomer/changeCustomerStatus", {**ids, "status": "Active"})["status"] == "Active"
    assert whmcs.validate(ids["userid"], ids["password"])["served"] is True
    assert whmcs.ok("/api/DisableCustomer/changeCustomerStatus", {**ids, "status": "Disabled"})["status"] == "Disabled"
    enabled = whmcs.ok("/api/EnableCustomer/enableCustomer", ids)
    assert enabled["status"] == "Active" and enabled["expiredate"] == exp2, enabled
    assert whmcs.status(ids)["status"] == "Active"

    # EditCustomer changes what it is given and nothing else.
    new_email = f"jan.{t}.new@example.com"
    edited = whmcs.ok("/api/EditCustomer/EditCustomer_V2", {**ids, "email": new_email})
    assert edited["email"] == new_email, edited
    c = whmcs.customer(ids)
    assert c["email"] == new_email, c
    assert {k: c[k] for k in expected_contact if k != "email"} == \
        {k: v for k, v in expected_contact.items() if k != "email"}, f"EditCustomer changed other fields: {c}"
    assert (c["customermappingid"], c["PlanID"], c["expiredate"]) == (f"whmcs-{t}", catalog.year_plan, exp2), c

    # New credentials: the old ones stop working, the new ones address the same customer.
    new_login, new_password = f"whmcs{t}", "N3w-pass!"
    moved = whmcs.ok("/api/ChangeLoginDetails/Update", {"old_userid": ids["userid"], "old_password": ids["password"],
                                                        "new_userid": new_login, "new_password": new_password})
    assert moved["CustomerID"] == cid and moved["loginid"] == new_login, moved
    whmcs.error("/api/GetCustomer/getCustomer_V2", {"userid": ids["userid"], "password": ids["password"]}, 404, method="GET")
    assert whmcs.validate(ids["userid"], ids["password"])["valid"] is False
    ids = {"userid": new_login, "password": new_password, "customermappingid": f"whmcs-{t}"}
    assert whmcs.customer(ids)["CustomerID"] == cid
    assert whmcs.validate(new_login, new_password)["valid"] is True

    # An explicit expiry; the synced add-on follows it.
    target = exp2 + 10 * 86_400
    extended = whmcs.ok("/api/CustomerSubscription/ExtendDate", {**ids, "date": target})
    assert extended["expiredate"] == target and extended["status"] == "Active", extended
    c = whmcs.customer(ids)
    assert c["expiredate"] == target and c["extraPackages"][0]["expiredate"] == target, c

    # Cancellation ends the subscription now.
    before = int(time.time())
    cancelled = whmcs.ok("/api/CancelSubscription/Cancel", ids)
    after = int(time.time())
    assert cancelled["status"] == "Expired" and before - 1 <= cancelled["expiredate"] <= after, (before, cancelled, after)
    assert whmcs.status(ids)["status"] == "Expired"
    v = whmcs.validate(new_login, new_password)
    assert v["valid"] is True and v["served"] is False and v["status"] == "Expired", v

    # Termination: trashed, and from then on the API does not know the customer.
    trashed = whmcs.ok("/api/DeleteCustomer/trashCustomer", ids)
    assert trashed["CustomerID"] == cid and trashed["status"] == "Trashed", trashed
    gone = whmcs.error("/api/GetCustomer/getCustomer_V2", ids, 404, method="GET")
    assert gone["Code"] == "not_found", gone
    whmcs.error("/api/CustomerStatus/GetCustomerStatus", ids, 404, method="GET")
    assert whmcs.validate(new_login, new_password)["valid"] is False
    assert cid not in {x["CustomerID"] for x in whmcs.by_reseller(0)["customers"]}


def test_expired_customer_renews_from_today(whmcs, rest, catalog):
    """A renewal after the expiry counts from now (nothing is owed for the gap) and reactivates."""
    _, ids = add_customer(whmcs, catalog)
    assert whmcs.ok("/api/CancelSubscription/Cancel", ids)["status"] == "Expired"
    before = int(time.time())
    renewed = whmcs.ok("/api/RenewCustomer/renewCustomerV2", {**ids, "months": 1, "days": 0, "fromExpireDate": True})
    after = int(time.time())
    assert renewed["status"] == "Active", renewed
    assert add_months(before, 1, rest.tz) - 1 <= renewed["expiredate"] <= add_months(after, 1, rest.tz) + 1, renewed


def test_whmcs_password_change_through_edit_customer_v2(whmcs, catalog):
    """The WHMCS module changes a subscriber's password with
    EditCustomer/EditCustomer_V2?userid=…&password=<new password> (spec 12.2, EditCustomer [C:whmcs])."""
    _, ids = add_customer(whmcs, catalog)
    new_password = "Chg-" + secrets.token_hex(4)
    r = whmcs.call("/api/EditCustomer/EditCustomer_V2", {"userid": ids["userid"], "password": new_password})
    assert r.status_code == 200, f"WHMCS's password change is refused: {describe(r)}"
    assert whmcs.validate(ids["userid"], new_password)["valid"] is True
    assert whmcs.validate(ids["userid"], ids["password"])["valid"] is False


# ------------------------------------------------------------ status polling ---


def test_customer_status_by_reseller(whmcs, catalog):
    own = whmcs.by_reseller(0)
    assert (own["page"], own["pageSize"]) == (1, 1000), own
    assert own["total"] == len(own["customers"]) and own["pages"] == 1, own
    assert "demoviewer" in {x["loginid"] for x in own["customers"]}, own
    ids = [x["CustomerID"] for x in own["customers"]]
    assert ids == sorted(ids), "customers are not oldest first"

    res = whmcs.by_reseller(POSTPAID)
    assert res["total"] >= 3 and res["total"] == len(res["customers"]), res
    assert not {x["CustomerID"] for x in res["customers"]} & set(ids), "a customer listed for reseller 0 and 1"
    for x in res["customers"]:
        full = whmcs.customer({"userid": x["loginid"]})
        assert full["reseller_id"] == POSTPAID and full["CustomerID"] == x["CustomerID"], full
        assert (x["status"], x["expiredate"], x["ProductID"]) == (full["status"], full["expiredate"], full["ProductID"]), (x, full)

    # status_type filters; a disabled customer moves from one list to the other.
    victim = res["customers"][0]
    who = {"userid": victim["loginid"]}
    assert whmcs.ok("/api/DisableCustomer/changeCustomerStatus", {**who, "status": "Disabled"})["status"] == "Disabled"
    try:
        dis = whmcs.by_reseller(POSTPAID, status_type="Disabled")
        assert [x["CustomerID"] for x in dis["customers"]] == [victim["CustomerID"]] and dis["total"] == 1, dis
        act = whmcs.by_reseller(POSTPAID, status_type="active")
        assert victim["CustomerID"] not in {x["CustomerID"] for x in act["customers"]}, act
        assert all(x["status"] == "Active" for x in act["customers"]) and act["total"] == res["total"] - 1, act
        assert whmcs.by_reseller(POSTPAID, status_type="Expired")["customers"] == []
    finally:
        whmcs.ok("/api/DisableCustomer/changeCustomerStatus", {**who, "status": "Active"})

    # Beyond the last page: empty, same total.
    p2 = whmcs.by_reseller(POSTPAID, page=2)
    assert p2["customers"] == [] and p2["total"] == res["total"] and p2["page"] == 2, p2

    bad = whmcs.error("/api/CustomerStatus/GetCustomerStatusByReseller",
                      {"reseller_id": POSTPAID, "page": 1, "status_type": "Sleeping"}, 400, method="GET")
    assert "status_type" in bad["Message"] and "status_type" in bad["Fields"], bad
    missing = whmcs.error("/api/CustomerStatus/GetCustomerStatusByReseller", {"page": 1}, 400, method="GET")
    assert "reseller_id" in missing["Message"], missing


def test_customer_status_by_reseller_pages_of_1000(whmcs, rest, catalog):
    t = tag()
    rid = rest.new_postpaid_reseller(f"WHMCS paging {t}", catalog.month_plan, catalog.basic_id, "0", 0)
    made = []
    for count in (1000, 1):
        out = rest.call("POST", f"/deployments/{rest.dep}/customers/range", expect=201, json={
            "baseName": f"Page {t}", "count": count, "startNumber": len(made) + 1, "productId": catalog.basic_id,
            "planId": catalog.month_plan, "contact": {"resellerId": rid}})
        made += [x["customer"]["id"] for x in out["created"]]
    assert len(made) == 1001

    p1 = whmcs.by_reseller(rid, page=1)
    p2 = whmcs.by_reseller(rid, page=2)
    p3 = whmcs.by_reseller(rid, page=3)
    for p in (p1, p2, p3):
        assert (p["pageSize"], p["total"], p["pages"]) == (1000, 1001, 2), {k: v for k, v in p.items() if k != "customers"}
    first = [x["CustomerID"] for x in p1["customers"]]
    second = [x["CustomerID"] for x in p2["customers"]]
    assert len(first) == 1000 and len(second) == 1 and p3["customers"] == [], (len(first), len(second), p3["customers"])
    assert first + second == sorted(made), "pages overlap, skip a customer or are not oldest first"
    # The filter pages too.
    assert len(whmcs.by_reseller(rid, page=1, status_type="Active")["customers"]) == 1000


# --------------------------------------------------------- countries, validation ---


def test_get_countries_names_round_trip_through_add_customer(whmcs, catalog):
    countries = whmcs.ok("/api/GetCountries/getCountries", method="GET")
    assert isinstance(countries, list) and len(countries) >= 200, countries[:5]
    codes = [c["code"] for c in countries]
    names = [c["name"] for c in countries]
    assert all(len(c) == 2 and c.isalpha() and c.isupper() for c in codes), [c for c in codes if len(c) != 2]
    assert len(set(codes)) == len(codes) and len(set(n.lower() for n in names)) == len(names), "duplicates"
    by_code = {c["code"]: c["name"] for c in countries}
    assert by_code["NL"] == "Netherlands" and by_code["DE"] == "Germany" and by_code["GB"] == "United Kingdom", by_code
    assert whmcs.ok("/api/GetCountries/getCountries_V2") == countries

    # What GetCountries names, AddCustomer accepts (with '&' and non-ASCII names on the wire).
    for code in ("NL", "AG", "CI", "AX"):
        created, ids = add_customer(whmcs, catalog, country=by_code[code])
        assert whmcs.customer(ids)["country"] == code, (code, by_code[code])

    bad = whmcs.error("/api/AddCustomer/addCustomer", customer_params(catalog, tag(), country="Atlantis"), 400)
    assert "country" in bad["Fields"] and "country" in bad["Message"], bad


def test_validate_customer(whmcs, catalog):
    login, password = f"val{tag()}", "Val-1234"
    created, _ = add_customer(whmcs, catalog, userid=login, password=password)
    assert (created["loginid"], created["password"]) == (login, password), created
    ok = whmcs.validate(login, password)
    assert (ok["valid"], ok["served"], ok["status"], ok["CustomerID"], ok["ProductID"], ok["expiredate"]) == \
        (True, True, "Active", created["CustomerID"], catalog.basic_id, created["expiredate"]), ok
    for user, pw in [(login, "wrong-pass"), ("nosuchuser1", password)]:
        no = whmcs.validate(user, pw)
        assert no["valid"] is False and no["served"] is False and no["Message"], no
        assert "CustomerID" not in no, f"a failed validation leaks the customer: {no}"
    # The POST alias answers the same.
    assert whmcs.ok("/api/ValidateCustomer/validate", {"userid": login, "password": password}) == ok
    whmcs.error("/api/ValidateCustomer/validateCustomer", {"userid": login}, 400, method="GET")


# ------------------------------------------------------------------ devices ---


def test_devices_by_mac(whmcs, catalog):
    _, a = add_customer(whmcs, catalog)
    _, b = add_customer(whmcs, catalog)
    raw = secrets.token_hex(3)
    mac = "00:1A:79:" + ":".join(raw[i:i + 2] for i in (0, 2, 4)).upper()

    added = whmcs.ok("/api/AddDeviceToCustomer/addDeviceToCustomer", {**a, "mac": mac.lower(), "model": "MAG 524"})
    assert added["mac"] == mac and added["loginid"] == a["userid"] and isinstance(added["DeviceID"], int), added
    found = whmcs.ok("/api/MacAddress/GetCustomer", {"mac": mac.replace(":", "-")}, method="GET")
    assert found["loginid"] == a["userid"] and found["status"] == "Active", found
    assert whmcs.customer(a)["devices"] == [{"DeviceID": added["DeviceID"], "mac": mac, "model": "MAG 524", "serial": ""}]

    taken = whmcs.error("/api/AddDeviceToCustomer/addDeviceToCustomer", {**b, "mac": mac}, 409)
    assert mac.replace(":", "").upper() in taken["Message"].replace(":", "").upper(), taken
    assert whmcs.customer(b)["devices"] == []

    deleted = whmcs.ok("/api/DeleteDeviceFromCustomer/deleteDeviceFromCustomer", {**a, "mac": mac.replace(":", "").lower()})
    assert deleted == {"DeviceID": added["DeviceID"], "deleted": True}, deleted
    whmcs.error("/api/MacAddress/GetCustomer", {"mac": mac}, 404, method="GET")
    assert whmcs.customer(a)["devices"] == []
    whmcs.error("/api/DeleteDeviceFromCustomer/deleteDeviceFromCustomer", {**a, "mac": mac}, 404)

    # The MAC is free again.
    assert whmcs.ok("/api/AddDeviceToCustomer/addDeviceToCustomer", {**b, "mac": mac})["mac"] == mac
    assert whmcs.ok("/api/MacAddress/getCustomerByMac", {"mac": mac})["loginid"] == b["userid"]


# ------------------------------------------------------------- bulk delete ---


def test_bulk_delete_customers(whmcs, catalog):
    _, a = add_customer(whmcs, catalog)
    _, b = add_customer(whmcs, catalog)
    _, m = add_customer(whmcs, catalog)
    keep, k = add_customer(whmcs, catalog)
    out = whmcs.ok("/api/BulkDeleteCustomers/bulkDeleteCustomers",
                   {"userids": f"{a['userid']}, {b['userid']},nosuchuser1", "customermappingids": m["customermappingid"]})
    assert out["deleted"] == 3, out
    results = {(x.get("userid") or x.get("customermappingid")): x for x in out["results"]}
    assert len(out["results"]) == 4, out
    for key in (a["userid"], b["userid"], m["customermappingid"]):
        assert results[key]["result"] == "deleted", out
    assert results["nosuchuser1"]["result"] == "not found" and results["nosuchuser1"]["Message"], out
    for ids in (a, b, m):
        whmcs.error("/api/GetCustomer/getCustomer_V2", ids, 404, method="GET")
    assert whmcs.customer(k)["CustomerID"] == keep["CustomerID"], "BulkDelete removed a customer it was not given"

    again = whmcs.ok("/api/BulkDeleteCustomers/bulkDelete", {"userids": a["userid"]})
    assert again["deleted"] == 0 and again["results"][0]["result"] == "not found", again
    whmcs.error("/api/BulkDeleteCustomers/bulkDeleteCustomers", {}, 400)


# ---------------------------------------------------------- recommendation ---


def test_customer_recommendation(whmcs, rest, catalog):
    t = tag()
    premium = rest.call("POST", f"/deployments/{rest.dep}/products", expect=201, json={
        "name": f"Premium {t}", "subscriptionType": "regular", "paymentType": "subscription", "maxDevices": 2,
        "defaultCurrency": "EUR"})
    rest.call("POST", f"/deployments/{rest.dep}/products/{premium['id']}/plans", expect=201,
              json={"name": "1 month", "length": 1, "unit": "months", "prices": {"EUR": "19.99"}})
    for _ in range(2):
        add_customer(whmcs, catalog, productid=premium["id"])
    _, ids = add_customer(whmcs, catalog)

    rec = whmcs.ok("/api/CustomerRecommendation/getRecommendations", ids, method="GET")
    assert rec["loginid"] == ids["userid"], rec
    assert [x["PackageMappingID"] for x in rec["extraPackages"]] == ["sports"], rec
    offered = {x["ProductID"]: x for x in rec["products"]}
    assert premium["id"] in offered and offered[premium["id"]]["customers"] == 2, rec
    assert catalog.basic_id not in offered, "recommends the product the customer already has"
    assert catalog.trial_id not in offered, "recommends a trial product"

    whmcs.ok("/api/ExtraPackages/Add", {**ids, "packageMappingId": "sports", "syncWithCurrentSubscription": True})
    rec = whmcs.ok("/api/CustomerRecommendation/getCustomerRecommendation", ids)
    assert rec["extraPackages"] == [], f"recommends a package the customer has: {rec}"


# ------------------------------------------------------------------ errors ---


ERROR_CASES = [
    # id, path, params, auth, headers, method, status, code
    ("wrong_auth_token", "/api/GetProducts/getProducts_V2", {}, {"crmService": DEMO_CRM, "authToken": "not-the-token"},
     None, "GET", 401, "bad_auth_token"),
    ("missing_crm_service", "/api/GetProducts/getProducts_V2", {}, {"authToken": DEMO_AUTH_TOKEN}, None, "GET", 401,
     "missing_crm_service"),
    ("unknown_crm_service", "/api/GetProducts/getProducts_V2", {}, {"crmService": "nosuchcrm", "authToken": DEMO_AUTH_TOKEN},
     None, "GET", 401, "bad_auth_token"),
    ("missing_auth_token", "/api/AddCustomer/addCustomer", {}, {"crmService": DEMO_CRM}, None, "POST", 401,
     "missing_auth_token"),
    ("foreign_cms_service", "/api/GetProducts/getProducts_V2", {}, {**AUTH, "cmsService": "othercms"}, None, "GET", 401,
     "bad_cms_service"),
    ("unknown_controller", "/api/NoSuchController/noSuchAction", {}, AUTH, None, "POST", 404, "not_found"),
    ("unknown_action", "/api/AddCustomer/noSuchAction", {}, AUTH, None, "POST", 404, "not_found"),
    ("unknown_path_html_accept", "/api/NoSuchController/noSuchAction", {}, AUTH,
     {"Accept": "text/html,application/xhtml+xml"}, "GET", 404, "not_found"),
    ("html_only_accept", "/api/GetProducts/getProducts_V2", {}, AUTH, {"Accept": "text/html"}, "GET", 406, "not_acceptable"),
    ("html_only_accept_post", "/api/AddCustomer/addCustomer", {"productid": 1}, AUTH, {"Accept": "text/html"}, "POST", 406,
     "not_acceptable"),
    ("bad_json_body", "/api/GetProducts/getProducts_V2", None, AUTH, None, "BADJSON", 400, "bad_json"),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_answer_json_with_message(whmcs, case):
    _, path, params, auth, headers, method, status, code = case
    if method == "BADJSON":
        r = whmcs.http.post(whmcs.server.url(path), params=auth, data=b"{not json",
                            headers={**WHMCS_HEADERS, "Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
    else:
        r = whmcs.call(path, params, method=method, auth=auth, headers=headers)
    body = assert_billing_error(r, status)
    assert body["Code"] == code, describe(r)


def test_unknown_product_is_404_and_creates_nothing(whmcs, catalog):
    t = tag()
    body = whmcs.error("/api/AddCustomer/addCustomer", customer_params(catalog, t, productid=987654), 404)
    assert "product" in body["Message"].lower(), body
    body = whmcs.error("/api/AddCustomer/addCustomer",
                       customer_params(catalog, t, productid=0, productmappingid="no-such-mapping"), 404)
    assert "product" in body["Message"].lower(), body
    whmcs.error("/api/CustomerStatus/GetCustomerStatus", {"customermappingid": f"whmcs-{t}"}, 404, method="GET")


def test_duplicate_userid_is_refused_naming_the_field(whmcs, catalog):
    login = f"dup{tag()}"
    add_customer(whmcs, catalog, userid=login, password="Dup-1234")
    t = tag()
    r = whmcs.call("/api/AddCustomer/addCustomer", customer_params(catalog, t, userid=login, password="Dup-5678"))
    assert 400 <= r.status_code < 500, describe(r)
    body = assert_billing_error(r, r.status_code)
    assert "already" in body["Message"].lower(), body
    # The API's parameter is `userid`: that is the name an integrator can map back to its form.
    assert "userid" in body["Message"] and "userid" in body.get("Fields", {}), \
        f"the refusal does not name the userid parameter: {body}"
    whmcs.error("/api/CustomerStatus/GetCustomerStatus", {"customermappingid": f"whmcs-{t}"}, 404, method="GET")
    assert whmcs.validate(login, "Dup-1234")["valid"] is True


def test_bad_boolean_is_400_and_changes_nothing(whmcs, catalog):
    _, ids = add_customer(whmcs, catalog)
    exp = whmcs.status(ids)["expiredate"]
    body = whmcs.error("/api/RenewCustomer/renewCustomerV2", {**ids, "months": 1, "fromExpireDate": "maybe"}, 400)
    assert "fromExpireDate" in body["Message"] and "fromExpireDate" in body["Fields"], body
    assert whmcs.status(ids)["expiredate"] == exp, "a refused renewal renewed"
    body = whmcs.error("/api/ExtraPackages/Add", {**ids, "packageMappingId": "sports",
                                                  "syncWithCurrentSubscription": "sometimes"}, 400)
    assert "syncWithCurrentSubscription" in body["Message"], body
    assert whmcs.customer(ids)["extraPackages"] == []
    t = tag()
    body = whmcs.error("/api/AddCustomer/addCustomer",
                       customer_params(catalog, t, StartSubscriptionFromFirstLogin="yes please"), 400)
    assert "StartSubscriptionFromFirstLogin" in body["Message"], body
    whmcs.error("/api/CustomerStatus/GetCustomerStatus", {"customermappingid": f"whmcs-{t}"}, 404, method="GET")


def test_wrong_customer_password_is_refused(whmcs, catalog):
    _, ids = add_customer(whmcs, catalog)
    wrong = {**ids, "password": "not-the-password"}
    body = whmcs.error("/api/GetCustomer/getCustomer_V2", wrong, 401, method="GET")
    assert "password" in body["Message"].lower(), body
    exp = whmcs.status(ids)["expiredate"]
    whmcs.error("/api/RenewCustomer/renewCustomerV2", {**wrong, "months": 1}, 401)
    whmcs.error("/api/DeleteCustomer/trashCustomer", wrong, 401)
    assert whmcs.status(ids)["expiredate"] == exp


# --------------------------------------------------------------- resellers ---


def sales_of(rest: Rest, rid: int, customer_id: int) -> list[dict]:
    return [e for e in rest.ledger(rid) if e.get("customerId") == customer_id]


def test_postpaid_reseller_sale_is_charged_nine_credits(whmcs, rest, catalog):
    balance = rest.reseller(POSTPAID)["balance"]
    assert balance >= SALE_CREDITS + SPORTS_CREDITS, f"demo reseller 1 has only {balance} credits"
    created, ids = add_customer(whmcs, catalog, reseller_id=POSTPAID)
    assert created["reseller_id"] == POSTPAID, created
    cid = created["CustomerID"]
    assert rest.reseller(POSTPAID)["balance"] == balance - SALE_CREDITS
    entries = sales_of(rest, POSTPAID, cid)
    assert [(e["from"], e["to"], e["amount"], e["unit"]) for e in entries] == \
        [(f"reseller:{POSTPAID}", "operator:sales", SALE_CREDITS, "CREDITS")], entries
    assert whmcs.customer(ids)["reseller_id"] == POSTPAID
    assert cid in {x["CustomerID"] for x in whmcs.by_reseller(POSTPAID)["customers"]}
    assert cid not in {x["CustomerID"] for x in whmcs.by_reseller(0)["customers"]}

    # The Sports add-on on the reseller's account: 5 credits less 10 %, rounded half up.
    whmcs.ok("/api/ExtraPackages/Add", {**ids, "reseller_id": POSTPAID, "packageMappingId": "sports",
                                        "syncWithCurrentSubscription": True})
    assert rest.reseller(POSTPAID)["balance"] == balance - SALE_CREDITS - SPORTS_CREDITS
    assert sorted(e["amount"] for e in sales_of(rest, POSTPAID, cid)) == sorted([SALE_CREDITS, SPORTS_CREDITS])


def test_prepaid_reseller_sale_uses_one_unit_of_the_order(whmcs, rest, catalog):
    orders = rest.reseller(PREPAID)["orders"]
    open_order = [o for o in orders if o["quantity"] == 10 and o["status"] == "open"]
    used_up = [o for o in orders if o["remaining"] == 0]
    assert open_order and used_up, orders
    oid, spent = open_order[0]["id"], used_up[0]["id"]

    created, ids = add_customer(whmcs, catalog, reseller_id=PREPAID, order_id=oid)
    assert created["reseller_id"] == PREPAID, created
    after = {o["id"]: o for o in rest.reseller(PREPAID)["orders"]}
    assert (after[oid]["used"], after[oid]["remaining"]) == (open_order[0]["used"] + 1, open_order[0]["remaining"] - 1), after[oid]
    assert all(after[o["id"]] == o for o in orders if o["id"] != oid), "another order changed"
    entries = sales_of(rest, PREPAID, created["CustomerID"])
    assert [(e["from"], e["amount"], e["unit"], e["orderId"]) for e in entries] == [(f"order:{oid}", 1, "UNITS", oid)], entries

    # An order with no units left: refused, nothing created, nothing used.
    t = tag()
    body = whmcs.error("/api/AddCustomer/addCustomer", customer_params(catalog, t, reseller_id=PREPAID, order_id=spent), 409)
    assert "unit" in body["Message"].lower(), body
    whmcs.error("/api/CustomerStatus/GetCustomerStatus", {"customermappingid": f"whmcs-{t}"}, 404, method="GET")
    assert {o["id"]: o for o in rest.reseller(PREPAID)["orders"]} == after


def test_sale_for_an_unknown_reseller_is_404_and_creates_nothing(whmcs, catalog):
    t = tag()
    body = whmcs.error("/api/AddCustomer/addCustomer", customer_params(catalog, t, reseller_id=999999), 404)
    assert "reseller" in body["Message"].lower(), body
    whmcs.error("/api/CustomerStatus/GetCustomerStatus", {"customermappingid": f"whmcs-{t}"}, 404, method="GET")


def test_insufficient_credits_is_409_and_creates_no_customer(whmcs, rest, catalog):
    t = tag()
    rid = rest.new_postpaid_reseller(f"WHMCS low credits {t}", catalog.month_plan, catalog.basic_id, "10", SALE_CREDITS - 1)
    params = customer_params(catalog, t, reseller_id=rid)
    r = whmcs.call("/api/AddCustomer/addCustomer", params)
    body = assert_billing_error(r, 409)
    assert body["Code"] == "insufficient_credits" and "credits" in body["Message"].lower(), body
    assert re.search(rf"\b{SALE_CREDITS}\b", body["Message"]) and re.search(rf"\b{SALE_CREDITS - 1}\b", body["Message"]), \
        f"the refusal does not say what the sale costs and what is left: {body}"
    whmcs.error("/api/CustomerStatus/GetCustomerStatus", {"customermappingid": f"whmcs-{t}"}, 404, method="GET")
    assert whmcs.by_reseller(rid)["total"] == 0
    assert rest.reseller(rid)["balance"] == SALE_CREDITS - 1
    assert [e["from"] for e in rest.ledger(rid)] == ["operator:issued"], "something was charged"

    # The refusal does not stick: after a top-up the same call goes through.
    assert rest.add_credits(rid, 1) == SALE_CREDITS
    created, _ = add_customer(whmcs, catalog, t, reseller_id=rid)
    assert created["reseller_id"] == rid and rest.reseller(rid)["balance"] == 0, created


# ------------------------------------------------------------- idempotency ---


def test_retried_add_customer_creates_one_customer(whmcs, catalog):
    t = tag()
    key = f"whmcs-order-{t}"
    params = customer_params(catalog, t)
    total = whmcs.by_reseller(0)["total"]

    first = whmcs.call("/api/AddCustomer/addCustomer", params, headers={"Idempotency-Key": key})
    again = whmcs.call("/api/AddCustomer/addCustomer", params, headers={"Idempotency-Key": key})
    by_param = whmcs.call("/api/AddCustomer/addCustomer", {**params, "requestId": key})
    for r in (first, again, by_param):
        assert r.status_code == 200, describe(r)
    assert first.headers.get("Idempotent-Replayed") is None, first.headers
    assert again.headers.get("Idempotent-Replayed") == "true" and by_param.headers.get("Idempotent-Replayed") == "true", \
        (again.headers, by_param.headers)
    assert again.content == first.content and by_param.content == first.content, (first.text, again.text, by_param.text)
    created = first.json()
    # One customer: two with this mapping id would make the lookup ambiguous (409).
    assert whmcs.status({"customermappingid": f"whmcs-{t}"})["CustomerID"] == created["CustomerID"]
    assert whmcs.by_reseller(0)["total"] == total + 1
    assert whmcs.validate(created["loginid"], created["password"])["valid"] is True

    # requestId alone is a key too.
    t2 = tag()
    p2 = {**customer_params(catalog, t2), "requestId": f"whmcs-order-{t2}"}
    one, two = whmcs.call("/api/AddCustomer/addCustomer", p2), whmcs.call("/api/AddCustomer/addCustomer", p2)
    assert one.status_code == two.status_code == 200 and one.content == two.content, (describe(one), describe(two))
    assert two.headers.get("Idempotent-Replayed") == "true"
    assert whmcs.by_reseller(0)["total"] == total + 2

    # A key belongs to its call: used for another one it is refused, and nothing happens.
    ids = {"userid": created["loginid"], "password": created["password"]}
    exp = whmcs.status(ids)["expiredate"]
    body = whmcs.error("/api/RenewCustomer/renewCustomerV2", {**ids, "months": 1}, 409, headers={"Idempotency-Key": key})
    assert body["Code"] == "idempotency_key_reused", body
    assert whmcs.status(ids)["expiredate"] == exp


def test_retried_reseller_sale_is_charged_once(whmcs, rest, catalog):
    t = tag()
    balance = rest.reseller(POSTPAID)["balance"]
    params = customer_params(catalog, t, reseller_id=POSTPAID)
    key = f"whmcs-order-{t}"
    first = whmcs.call("/api/AddCustomer/addCustomer", params, headers={"Idempotency-Key": key})
    again = whmcs.call("/api/AddCustomer/addCustomer", params, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200, (describe(first), describe(again))
    assert again.content == first.content and again.headers.get("Idempotent-Replayed") == "true", describe(again)
    cid = first.json()["CustomerID"]
    assert rest.reseller(POSTPAID)["balance"] == balance - SALE_CREDITS
    assert [e["amount"] for e in sales_of(rest, POSTPAID, cid)] == [SALE_CREDITS]
    assert whmcs.status({"customermappingid": f"whmcs-{t}"})["CustomerID"] == cid


# ------------------------------------------------------ parameter flexibility ---


def test_form_encoded_body(whmcs, catalog):
    t = tag()
    url = whmcs.server.url("/api/AddCustomer/addCustomer")
    form = {k: wire(v) for k, v in {**AUTH, **customer_params(catalog, t), "StartSubscriptionFromFirstLogin": True}.items()}
    r = whmcs.http.post(url, data=form, headers=WHMCS_HEADERS, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    created = r.json()
    assert created["status"] == "Pending" and created["expiredate"] is None, f"a body parameter was ignored: {created}"
    r = whmcs.http.post(whmcs.server.url("/api/GetCustomer/getCustomer"), headers=WHMCS_HEADERS, timeout=HTTP_TIMEOUT,
                        data={**AUTH, "userid": created["loginid"], "password": created["password"]})
    assert r.status_code == 200, describe(r)
    c = r.json()
    assert (c["CustomerID"], c["customermappingid"], c["country"], c["lastname"]) == \
        (created["CustomerID"], f"whmcs-{t}", "NL", f"Jansen {t}"), c


def test_json_body(whmcs, rest, catalog):
    t = tag()
    body = {**AUTH, **customer_params(catalog, t), "renewalinterval": 3, "StartSubscriptionFromFirstLogin": False}
    assert body["productid"] == catalog.basic_id and body["subscriptionlengthindays"] == 0 and body["sendMail"] is False
    r = whmcs.http.post(whmcs.server.url("/api/AddCustomer/addCustomer"), json=body, headers=WHMCS_HEADERS, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    created = r.json()
    assert created["status"] == "Active" and created["PlanID"] == catalog.month_plan, created
    assert rest.customer(created["CustomerID"])["renewalInterval"] == 3
    r = whmcs.http.post(whmcs.server.url("/api/GetCustomer/getCustomer_V2"), headers=WHMCS_HEADERS, timeout=HTTP_TIMEOUT,
                        json={**AUTH, "userid": created["loginid"], "password": created["password"]})
    assert r.status_code == 200, describe(r)
    assert r.json()["customermappingid"] == f"whmcs-{t}"

    # The same with booleans set: JSON true is read as true.
    t2 = tag()
    r = whmcs.http.post(whmcs.server.url("/api/AddCustomer/addCustomer"), headers=WHMCS_HEADERS, timeout=HTTP_TIMEOUT,
                        json={**AUTH, **customer_params(catalog, t2), "StartSubscriptionFromFirstLogin": True})
    assert r.status_code == 200 and r.json()["status"] == "Pending", describe(r)


def test_empty_body_with_a_json_content_type(whmcs):
    """Some modules send `Content-Type: application/json` with their empty POST body."""
    r = whmcs.call("/api/CustomerStatus/GetCustomerStatus", {"userid": "demoviewer", "password": "demo1234"},
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["loginid"] == "demoviewer", describe(r)


def test_parameter_names_in_any_case(whmcs, catalog):
    t = tag()
    params = {"CRMSERVICE": DEMO_CRM, "AuthToken": DEMO_AUTH_TOKEN, "CmsService": DEMO_CMS, "ProductId": catalog.basic_id,
              "SubscriptionLengthInMonths": 12, "SubscriptionLengthInDays": 0, "RenewalInterval": 12,
              "FirstName": "Anna", "LastName": f"Case {t}", "Country": "Netherlands", "Email": f"case.{t}@example.com",
              "CustomerMappingId": f"whmcs-{t}", "Currency": "eur", "SendMail": False}
    created = whmcs.ok("/api/AddCustomer/addCustomer", params, auth=None)
    assert created["PlanID"] == catalog.year_plan, f"SubscriptionLengthInMonths was not read: {created}"
    c = whmcs.ok("/api/GetCustomer/getCustomer_V2", {"crmservice": DEMO_CRM, "AUTHTOKEN": DEMO_AUTH_TOKEN,
                                                     "UserId": created["loginid"], "PASSWORD": created["password"]},
                 method="GET", auth=None)
    assert (c["firstname"], c["lastname"], c["country"], c["customermappingid"], c["currency"]) == \
        ("Anna", f"Case {t}", "NL", f"whmcs-{t}", "EUR"), c


def test_zero_means_not_given(whmcs, rest, catalog):
    """WHMCS sends "0" for what it has no value for: not a reseller, no order, no login."""
    balance = rest.reseller(POSTPAID)["balance"]
    created, _ = add_customer(whmcs, catalog, reseller_id=0, order_id=0, dealer_id=0, userid=0, password=0,
                              productmappingid=0, customermappingid=0)
    assert created["reseller_id"] is None and created["loginid"] != "0" and created["password"] != "0", created
    c = whmcs.customer({"userid": created["loginid"], "password": created["password"]})
    assert c["customermappingid"] is None and c["dealer_id"] is None and c["reseller_id"] is None, c
    assert rest.reseller(POSTPAID)["balance"] == balance


def test_paths_match_in_any_case(whmcs, catalog):
    t = tag()
    created = whmcs.ok("/api/addcustomer/ADDCUSTOMER", customer_params(catalog, t))
    ids = {"userid": created["loginid"], "password": created["password"]}
    assert whmcs.ok("/api/getcustomer/GETCUSTOMER_V2", ids, method="GET")["customermappingid"] == f"whmcs-{t}"
    assert whmcs.ok("/api/CUSTOMERSTATUS/getcustomerstatus", ids)["status"] == "Active"
    # Errors on such a path keep the business API's shape.
    body = whmcs.error("/api/addcustomer/ADDCUSTOMER", customer_params(catalog, tag()), 401,
                       auth={"crmService": DEMO_CRM, "authToken": "not-the-token"})
    assert body["Code"] == "bad_auth_token", body


def test_upper_case_api_prefix_keeps_the_business_error_shape(whmcs, catalog):
    """/API/… is routed to the business API (paths match in any case), so its errors must be
    the business API's too: {"Message"} and the 400/401/406 WHMCS handles."""
    created = whmcs.ok("/API/AddCustomer/addCustomer", customer_params(catalog, tag()))
    assert created["loginid"], created
    whmcs.error("/API/GetProducts/getProducts_V2", {}, 401, method="GET", auth={"crmService": DEMO_CRM, "authToken": "x"})
    whmcs.error("/Api/CustomerStatus/GetCustomerStatusByReseller", {"page": 1}, 400, method="GET")
    whmcs.error("/API/GetProducts/getProducts_V2", {}, 406, method="GET", headers={"Accept": "text/html"})
