"""Publishing the catalogue to an S3-compatible bucket (moto), without a browser.

The S3 server is the moto that scripts/test.sh started (TVMS_TEST_S3_ENDPOINT), else one
of this module's own, started as scripts/moto.sh does (`python -m moto.server` on a free
loopback port, ready once /moto-api/ answers) and stopped at the end. moto takes any
credentials. A bucket of its own (a new name, so a shared moto is no problem) is made with
boto3 before a second demo server starts with TVMS_PUBLISH_S3_* pointing at it, under a
prefix.

Every server publishes once at start (the 15-minute schedule's first slot): the test waits
for that job, so that its own publishes never race it. Then, through the console over
HTTP (requests, CSRF token from the pages): Publish now with nothing changed, a change
(a movie out of the demo "Movies" package), Publish now (movies v2), Publish now again;
after each, the bucket is listed and read with boto3 and compared with what the server
serves at /catalogue/{crmService}/{productId}/{kind}.json.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import boto3
import pytest
import requests
from botocore.config import Config

import htmlutil
from support import (DEMO_CRM, HTTP_TIMEOUT, POLL_INTERVAL, SERVER_LOGS, ServerPool, _die_with_parent,
                     console_session, free_port, http_session, redirect_path, tag)

KINDS = ("channels", "movies", "series", "music", "courses", "apps")
DEMO_PRODUCT = "Basic Monthly"
REGION = "eu-west-1"
ACCESS_KEY = "AKIDTVMSE2E"          # moto accepts any key pair
SECRET_KEY = "tvms-e2e-secret"
IMMUTABLE = "public, max-age=31536000, immutable"
CURRENT = "no-cache"
MOTO_WAIT = 30.0                    # seconds for a new moto to answer
PUBLISH_JOB_WAIT = 60.0             # seconds for the start-up publish to finish
NOTHING_CHANGED = "Nothing changed since the last publish."


# --------------------------------------------------------------- fixtures ---


def _moto_answers(endpoint: str) -> bool:
    try:
        with http_session() as http:
            return http.get(f"{endpoint}/moto-api/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def s3_endpoint():
    shared = (os.environ.get("TVMS_TEST_S3_ENDPOINT") or "").rstrip("/")
    if shared:
        assert _moto_answers(shared), f"TVMS_TEST_S3_ENDPOINT={shared} does not answer /moto-api/"
        yield shared
        return
    SERVER_LOGS.mkdir(parents=True, exist_ok=True)
    proc = None
    try:
        for attempt in range(3):         # another process may take the port first
            port = free_port()
            endpoint = f"http://127.0.0.1:{port}"
            log_path = SERVER_LOGS / f"moto-{port}.log"
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent)
            deadline = time.monotonic() + MOTO_WAIT
            while proc.poll() is None and time.monotonic() < deadline and not _moto_answers(endpoint):
                time.sleep(POLL_INTERVAL)    # readiness polling, as for the servers
            if proc.poll() is None and _moto_answers(endpoint):
                break
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
            if attempt == 2:
                pytest.fail(f"moto did not answer on port {port}; log {log_path}:\n"
                            + log_path.read_text(errors="replace")[-2000:])
        yield endpoint
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


@pytest.fixture(scope="module")
def s3(s3_endpoint):
    return boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        # Path-style like TVMS; proxies={} keeps loopback traffic off any proxy of the environment.
        config=Config(s3={"addressing_style": "path"}, proxies={}, retries={"max_attempts": 2}))


@pytest.fixture(scope="module")
def bucket(s3):
    name = f"tvms-e2e-{tag()}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield name
    # A shared moto lives on: leave nothing behind.
    for key in list_keys(s3, name, ""):
        s3.delete_object(Bucket=name, Key=key)
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def publishing(s3_endpoint, bucket):
    """(server, key prefix): a demo server publishing to the bucket under a prefix of its own.
    The prefix is given with a leading slash and no trailing one; keys start with it as a
    folder (`published/<tag>/`)."""
    t = tag()
    pool = ServerPool("s3")
    try:
        server = pool.start("publisher", demo=True, fresh_database=True, env={
            "TVMS_PUBLISH_S3_ENDPOINT": s3_endpoint + "/",
            "TVMS_PUBLISH_S3_BUCKET": bucket,
            "TVMS_PUBLISH_S3_REGION": REGION,
            "TVMS_PUBLISH_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "TVMS_PUBLISH_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "TVMS_PUBLISH_S3_PREFIX": f"/published/{t}",
        })
    except Exception:
        pool.stop_all()
        raise
    yield server, f"published/{t}/"
    problems = pool.stop_all()
    assert not problems, "graceful shutdown failed:\n" + "\n".join(problems)


# ---------------------------------------------------------------- helpers ---


def list_keys(s3, bucket: str, prefix: str) -> set[str]:
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.update(o["Key"] for o in page.get("Contents", []))
    return keys


def document_keys(prefix: str, product_ids, versions: dict[str, int]) -> set[str]:
    """Every object the documents should have: each version of each kind, and the current one."""
    keys = set()
    for pid in product_ids:
        for kind in KINDS:
            keys.add(f"{prefix}{DEMO_CRM}/{pid}/{kind}.json.gz")
            keys.update(f"{prefix}{DEMO_CRM}/{pid}/{kind}.v{v}.json.gz"
                        for v in range(1, versions.get(f"{pid}/{kind}", 1) + 1))
    return keys


def table_rows(page: htmlutil.Page) -> list[list[str]]:
    """The cells of every table row of the page, in order (the console's tables are not nested)."""
    rows: list[list[str]] = []
    for e in page.elements:
        if e.tag == "tr":
            rows.append([])
        elif e.tag == "td" and rows:
            rows[-1].append(e.text.strip())
    return [r for r in rows if r]


def flash_of(page: htmlutil.Page, kind: str = "success") -> str:
    flashes = page.with_classes("flash", kind)
    assert flashes, f"no .flash.{kind} on the page"
    return flashes[0].text.strip()


def publish_now(console) -> str:
    """Publish now on CMS › Publish; returns the flash it leads to."""
    form = next((f for f in console.page("/cms/publish").forms if f.attrs.get("action") == "/cms/publish"), None)
    assert form is not None, "no Publish now form on /cms/publish"
    r = console.post("/cms/publish", {"_csrf": form.value("_csrf")}, timeout=60)
    assert r.status_code == 303 and redirect_path(r) == "/cms/publish", \
        f"Publish now: {r.status_code} {r.headers.get('Location')} {r.text[:300]}"
    return flash_of(console.page("/cms/publish"))


def products(console) -> dict[str, int]:
    """{product name: id} from the Current documents table of CMS › Publish, which also
    gives each product's address."""
    out = {}
    for row in table_rows(console.page("/cms/publish")):
        m = len(row) > 1 and re.fullmatch(rf"https?://\S+/catalogue/{DEMO_CRM}/(\d+)/\{{kind\}}\.json", row[1])
        if m:
            out[row[0]] = int(m[1])
    assert DEMO_PRODUCT in out, f"no address of {DEMO_PRODUCT} on /cms/publish: {out}"
    return out


def wait_startup_publish(console) -> None:
    """Waits until the start-up publish (the schedule's first slot) has succeeded."""
    deadline = time.monotonic() + PUBLISH_JOB_WAIT
    while True:
        # Columns: #, Kind, Status, Attempts, Run at, Took, Node, Result / error.
        rows = [r for r in table_rows(console.page("/jobs?kind=cms.publish")) if r[1:2] == ["cms.publish"]]
        if any(r[2] == "succeeded" for r in rows):
            return
        assert time.monotonic() < deadline, \
            f"the start-up publish did not succeed within {PUBLISH_JOB_WAIT:.0f} s: {rows}"
        time.sleep(POLL_INTERVAL)


def served(server, pid: int, name: str) -> tuple[requests.Response, bytes]:
    """GET /catalogue/…/{name} as an app would: the response, and its body as sent (gzip)."""
    with http_session() as http:
        r = http.get(server.url(f"/catalogue/{DEMO_CRM}/{pid}/{name}"), timeout=HTTP_TIMEOUT,
                     headers={"Accept-Encoding": "gzip"}, stream=True)
        raw = r.raw.read(decode_content=False)
    assert r.status_code == 200, f"GET {name}: {r.status_code} {raw[:200]!r}"
    assert r.headers.get("Content-Encoding") == "gzip", r.headers
    return r, raw


def check_object(s3, bucket: str, key: str, cache_control: str, server, pid: int, name: str) -> bytes:
    """The object is the very document the server serves as `name`, stored for a CDN;
    returns the JSON."""
    obj = s3.get_object(Bucket=bucket, Key=key)
    stored = obj["Body"].read()
    assert obj.get("ContentEncoding") == "gzip", (key, obj.get("ContentEncoding"))
    assert obj.get("ContentType") == "application/json", (key, obj.get("ContentType"))
    assert obj.get("CacheControl") == cache_control, (key, obj.get("CacheControl"))
    body = gzip.decompress(stored)
    sha = hashlib.sha256(body).hexdigest()
    assert obj.get("Metadata", {}).get("sha256") == sha, (key, obj.get("Metadata"))
    r, raw = served(server, pid, name)
    assert r.headers.get("ETag") == f'"{sha}"', (key, r.headers.get("ETag"), sha)
    assert gzip.decompress(raw) == body, f"{key} differs from GET {name}"
    assert stored == raw, f"{key}: the gzip bytes differ from those the server sends"
    return body


def remove_first_movie(console) -> str:
    """Takes the first movie out of the demo "Movies" package (console, over HTTP); returns
    the package page's flash."""
    listing = console.page("/cms/movies/packages")
    link = next((a for a in listing.by_tag("a") if a.text.strip() == "Movies"
                 and re.fullmatch(r"/cms/movies/packages/\d+", a.attrs.get("href", ""))), None)
    assert link is not None, "no demo package Movies on /cms/movies/packages"
    page = console.page(link.attrs["href"])
    remove = next((f for f in page.forms
                   if re.fullmatch(rf"{link.attrs['href']}/items/\d+/remove", f.attrs.get("action", ""))), None)
    assert remove is not None, f"no Remove button on {link.attrs['href']}"
    r = console.post(remove.attrs["action"], {"_csrf": remove.value("_csrf")})
    assert r.status_code == 303 and redirect_path(r) == link.attrs["href"], (r.status_code, r.headers)
    return flash_of(console.page(link.attrs["href"]))


# ------------------------------------------------------------------- test ---


def test_publish_to_s3_bucket(publishing, s3, s3_endpoint, bucket):
    server, prefix = publishing
    console = console_session(server)
    wait_startup_publish(console)
    page_text = " ".join(e.text for e in console.page("/cms/publish").by_tag("p"))
    assert f"Copies go to: s3://{bucket}/{prefix} at {s3_endpoint}." in page_text, page_text
    ids = products(console)
    pid = ids[DEMO_PRODUCT]

    # Nothing changed since the start-up publish: its objects are all there is.
    assert publish_now(console) == NOTHING_CHANGED
    keys = list_keys(s3, bucket, "")
    assert keys == document_keys(prefix, ids.values(), {}), sorted(keys)
    movies_key = f"{prefix}{DEMO_CRM}/{pid}/movies"
    v1 = check_object(s3, bucket, f"{movies_key}.v1.json.gz", IMMUTABLE, server, pid, "movies.v1.json")
    current = check_object(s3, bucket, f"{movies_key}.json.gz", CURRENT, server, pid, "movies.json")
    assert current == v1
    assert served(server, pid, "movies.v1.json")[0].headers.get("Cache-Control") == IMMUTABLE

    # A movie leaves the product's package: Publish now writes movies v2 and moves the
    # current object to it; v1 stays as it was.
    assert remove_first_movie(console) == "Movie removed from the package."
    text = publish_now(console)
    m = re.fullmatch(rf"Published 1 document\(s\): product {pid} movies v2 \((\d+) items\)\.", text)
    assert m, text
    keys2 = list_keys(s3, bucket, "")
    assert keys2 == keys | {f"{movies_key}.v2.json.gz"}, sorted(keys2 - keys)
    v2 = check_object(s3, bucket, f"{movies_key}.v2.json.gz", IMMUTABLE, server, pid, "movies.v2.json")
    current = check_object(s3, bucket, f"{movies_key}.json.gz", CURRENT, server, pid, "movies.json")
    assert current == v2 != v1
    assert check_object(s3, bucket, f"{movies_key}.v1.json.gz", IMMUTABLE, server, pid, "movies.v1.json") == v1
    assert len(json.loads(v2)["items"]) == int(m[1]) == len(json.loads(v1)["items"]) - 1
    head = s3.head_object(Bucket=bucket, Key=f"{movies_key}.json.gz")

    # Publishing again without a change writes nothing.
    assert publish_now(console) == NOTHING_CHANGED
    assert list_keys(s3, bucket, "") == keys2
    again = s3.head_object(Bucket=bucket, Key=f"{movies_key}.json.gz")
    assert (again["ETag"], again["LastModified"]) == (head["ETag"], head["LastModified"]), \
        "the current movies object was written again"
