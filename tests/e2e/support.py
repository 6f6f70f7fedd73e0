"""Shared helpers of the TVMS end-to-end suite: running `tvms serve`, fresh
PostgreSQL databases, and a requests-based console client.

Environment:
  TVMS_BIN               server binary (default: <repo>/.build/debug/tvms)
  TVMS_E2E_DATABASE_URL  admin URL of a PostgreSQL server; when set, every server
                         run gets a fresh database created through it, and the
                         scale-out tests run
  TVMS_ARTIFACTS_DIR     where server logs and screenshots go (default: <repo>/artifacts)
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

import htmlutil

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("TVMS_ARTIFACTS_DIR") or REPO / "artifacts")
SCREENSHOTS = ARTIFACTS / "screenshots"
SERVER_LOGS = ARTIFACTS / "server-logs"
TVMS_BIN = Path(os.environ.get("TVMS_BIN") or REPO / ".build" / "debug" / "tvms")
PG_ADMIN_URL = os.environ.get("TVMS_E2E_DATABASE_URL") or None

OWNER_EMAIL = "owner@demo.tvms"
OWNER_PASSWORD = "demo1234"
DEMO_CMS = "democms"
DEMO_CRM = "democrm"
DEMO_AUTH_TOKEN = "demo-auth-token"
SESSION_COOKIE = "tvms-session"

STARTUP_DEADLINE = 120.0   # seconds until /healthz must answer 200
SHUTDOWN_DEADLINE = 20.0   # seconds a server may take to exit after SIGTERM
KILL_DEADLINE = 10.0       # seconds for a SIGKILLed server to be gone and its port free
COMMAND_TIMEOUT = 120.0    # seconds for a `tvms` subcommand (run_command)
POLL_INTERVAL = 0.1        # readiness polling interval
HTTP_TIMEOUT = 15.0        # per request

# ----------------------------------------------------------------- basics ---


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False          # never route loopback traffic through a proxy
    return s


def port_is_free(port: int) -> bool:
    """Whether a new listener could bind 127.0.0.1:port now (SO_REUSEADDR, as servers
    set it, so connections left in TIME_WAIT do not count: only a live listener does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def redirect_path(resp: requests.Response) -> str | None:
    """Path of a redirect's Location, resolved against the request URL."""
    loc = resp.headers.get("Location")
    if loc is None:
        return None
    return path_of(urljoin(resp.url, loc))


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: no orphan if pytest is killed
    except OSError:
        pass


# -------------------------------------------------------------- databases ---


def _psql(admin_url: str, sql: str) -> None:
    proc = subprocess.run(
        ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"psql failed ({sql}): {proc.stderr.strip()}")


def create_database(admin_url: str) -> str:
    """CREATE DATABASE with a unique name; returns its URL (admin URL, new path)."""
    name = f"tvms_e2e_{uuid.uuid4().hex[:12]}"
    _psql(admin_url, f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(admin_url)._replace(path="/" + name))


def drop_database(admin_url: str, url: str) -> None:
    name = path_of(url).lstrip("/")
    _psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- servers ---


class ServerError(RuntimeError):
    pass


@dataclass
class TvmsServer:
    """One `tvms serve`. start() may be called again once the process has ended (stop()
    or kill()): the new process runs on the same data dir and database, on a new port,
    with a new log file.

    own_process_group: start the server in a session (and process group) of its own, so
    kill() takes down everything it may have started; off by default, so a Ctrl-C at
    the terminal reaches the servers as before.

    extra_env: more environment variables for its processes (e.g. TVMS_PUBLISH_S3_*),
    set over the inherited ones."""
    name: str
    demo: bool
    database_url: str | None
    data_dir: Path
    port: int = 0
    log_path: Path | None = None
    proc: subprocess.Popen | None = None
    exit_code: int | None = None
    shutdown_seconds: float | None = None
    own_process_group: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def env(self) -> dict[str, str]:
        """The environment of this server's processes: its data dir and database."""
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env["TVMS_DATA_DIR"] = str(self.data_dir)
        env["TVMS_NODE_NAME"] = self.name
        env.setdefault("TVMS_LOG_FORMAT", "text")
        # Cheap password hashing keeps the many logins of the suite fast in a
        # debug build; the hash format and checks are the same.
        env.setdefault("TVMS_BCRYPT_COST", "4")
        # One installation key for every node of a suite, as operators must set it when several
        # nodes share one database (docs/OPERATIONS.md).
        env.setdefault("TVMS_SECRETS_KEY", "dHZtcy1lMmUtc2VjcmV0cy1rZXktMzItYnl0ZXMhISE=")
        env.update(self.extra_env)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def run_command(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
        """Runs `tvms ARGS...` on this server's data (e.g. "ledger", "verify");
        output captured as text, never raises on a non-zero status."""
        return subprocess.run(
            [str(TVMS_BIN), *args], env=self.env(), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout, cwd=REPO,
            preexec_fn=_die_with_parent)

    def start(self) -> None:
        if not TVMS_BIN.is_file():
            raise ServerError(f"server binary not found: {TVMS_BIN} (set TVMS_BIN or build first)")
        if self.proc is not None and self.proc.poll() is None:
            raise ServerError(f"{self.name} is already running (pid {self.proc.pid})")
        self.exit_code = None
        self.shutdown_seconds = None
        SERVER_LOGS.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            self.port = free_port()
            self.log_path = SERVER_LOGS / f"{self.name}-{self.port}.log"
            args = [str(TVMS_BIN), "serve", "--hostname", "127.0.0.1", "--port", str(self.port)]
            if self.demo:
                args.append("--demo")
            with open(self.log_path, "wb") as log:
                log.write(f"$ {' '.join(args)}\n".encode())
                log.flush()
                self.proc = subprocess.Popen(
                    args, env=self.env(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, cwd=REPO, preexec_fn=_die_with_parent,
                    start_new_session=self.own_process_group)
            try:
                self._wait_healthy()
                return
            except ServerError:
                in_use = "address already in use" in self.log_tail(200).lower()
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait(10)
                if in_use and attempt < 2:
                    continue       # lost the race for the free port: try another one
                raise

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE
        with http_session() as http:
            while True:
                code = self.proc.poll()
                if code is not None:
                    raise ServerError(
                        f"{self.name} exited with status {code} before /healthz answered;"
                        f" log {self.log_path}:\n{self.log_tail()}")
                try:
                    if http.get(self.url("/healthz"), timeout=2).status_code == 200:
                        return
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"{self.name}: /healthz did not answer 200 within {STARTUP_DEADLINE:.0f} s;"
                        f" log {self.log_path}:\n{self.log_tail()}")
                time.sleep(POLL_INTERVAL)   # readiness polling interval

    def stop(self) -> str | None:
        """SIGTERM, then wait up to SHUTDOWN_DEADLINE. Returns a problem or None."""
        if self.proc is None or self.exit_code is not None:
            return None
        if self.proc.poll() is not None:
            self.exit_code = self.proc.returncode
            return f"{self.name} had already exited with status {self.exit_code}:\n{self.log_tail()}"
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.proc.wait(SHUTDOWN_DEADLINE)
            self.shutdown_seconds = time.monotonic() - started
            return None
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exit_code = self.proc.wait(10)
            return (f"{self.name} did not exit within {SHUTDOWN_DEADLINE:.0f} s of SIGTERM"
                    f" (killed); log {self.log_path}")

    def kill(self) -> None:
        """SIGKILL, no grace: a crash. Sends it to the server's process group when it has
        its own (own_process_group), else to the process; reaps the process, then waits
        until no process of that group is left and nothing listens on the port any more.
        exit_code is then -SIGKILL (unless the process had died of something else)."""
        if self.proc is None:
            raise ServerError(f"{self.name} was never started")
        if self.proc.poll() is not None:
            self.exit_code = self.proc.returncode
            raise ServerError(f"{self.name} had already exited with status {self.exit_code}"
                              f" before SIGKILL; log {self.log_path}:\n{self.log_tail()}")
        pgid = self.proc.pid if self.own_process_group else None
        if pgid is not None:
            os.killpg(pgid, signal.SIGKILL)
        else:
            self.proc.kill()
        self.exit_code = self.proc.wait(KILL_DEADLINE)       # reaped: no zombie left behind
        deadline = time.monotonic() + KILL_DEADLINE
        while pgid is not None:
            try:
                os.killpg(pgid, 0)           # anything (a child of the server) still in the group?
            except ProcessLookupError:
                break
            if time.monotonic() > deadline:
                raise ServerError(f"{self.name}: processes of group {pgid} outlived SIGKILL")
            time.sleep(POLL_INTERVAL)
        while not port_is_free(self.port):
            if time.monotonic() > deadline:
                raise ServerError(f"{self.name}: port {self.port} still taken {KILL_DEADLINE:.0f} s"
                                  " after SIGKILL")
            time.sleep(POLL_INTERVAL)


@dataclass
class ServerPool:
    """Starts servers and databases; stop_all() ends every one of them."""
    label: str
    servers: list[TvmsServer] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    _tmp: list[tempfile.TemporaryDirectory] = field(default_factory=list)

    def fresh_database(self) -> str | None:
        if not PG_ADMIN_URL:
            return None
        url = create_database(PG_ADMIN_URL)
        self.databases.append(url)
        return url

    def start(self, name: str, *, demo: bool = True, database_url: str | None = None,
              fresh_database: bool = False, own_process_group: bool = False,
              env: dict[str, str] | None = None) -> TvmsServer:
        if fresh_database:
            database_url = self.fresh_database()
        tmp = tempfile.TemporaryDirectory(prefix=f"tvms-e2e-{self.label}-{name}-")
        self._tmp.append(tmp)
        server = TvmsServer(f"{self.label}-{name}", demo, database_url, Path(tmp.name),
                            own_process_group=own_process_group, extra_env=dict(env or {}))
        self.servers.append(server)
        server.start()
        return server

    def stop_all(self) -> list[str]:
        problems = []
        for server in reversed(self.servers):
            problem = server.stop()
            if problem:
                problems.append(problem)
        for url in self.databases:
            try:
                drop_database(PG_ADMIN_URL, url)
            except Exception as exc:  # the cluster is thrown away anyway
                print(f"warning: could not drop {url}: {exc}")
        for tmp in self._tmp:
            tmp.cleanup()
        return problems


# ---------------------------------------------------------------- console ---


class Console:
    """The web console through requests: no redirects are followed implicitly."""

    def __init__(self, server: TvmsServer, http: requests.Session | None = None):
        self.server = server
        self.http = http or http_session()

    def get(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.http.get(self.server.url(path), **kw)

    def post(self, path: str, data, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.http.post(self.server.url(path), data=data, **kw)

    def page(self, path: str) -> htmlutil.Page:
        r = self.get(path)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.headers.get('Location')}"
        return htmlutil.parse(r.text)

    def login_form(self) -> htmlutil.Form:
        form = self.page("/login").form(id="login-form")
        assert form is not None, "GET /login has no form#login-form"
        return form

    def login(self, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD,
              **extra) -> requests.Response:
        form = self.login_form()
        data = {"email": email, "password": password, "_csrf": form.value("_csrf") or ""}
        data.update(extra)
        return self.post(form_action(form, "/login"), data)

    def login_ok(self, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD) -> None:
        r = self.login(email, password)
        assert r.status_code == 303 and redirect_path(r) == "/", \
            f"login as {email}: {r.status_code} Location={r.headers.get('Location')}"


def console_session(server: TvmsServer) -> Console:
    """A Console logged in as the demo owner."""
    console = Console(server)
    console.login_ok()
    return console


def tag() -> str:
    """A short unique suffix for names a test makes."""
    return uuid.uuid4().hex[:8]


def form_action(form: htmlutil.Form, default: str) -> str:
    action = form.attrs.get("action") or default
    parts = urlsplit(action)
    return urlunsplit(("", "", parts.path or default, parts.query, ""))
