"""``kehu bench load``: many people using Kehu at once, over real HTTP.

It starts ``kehu serve`` on a free port (or targets ``--url``, a server on the
same database), then drives it with simulated people, each a thread with its
own connection and cookies, as a browser would hold them:

1. **Reference**: the mix below with one person, for ``--reference-minutes``.
2. **Load**: the same mix with ``--users`` people, started one after another
   over ``--ramp`` seconds (their logins fall there; the ramp's requests are
   reported apart), then ``--minutes`` of steady load.

Each person logs in with a real user of the benchmark data (``kehu generate``
gives every user the password ``bench1234``; ``--password``), makes one round
of every action in a random order (so that every kind of request is measured
in both phases), then picks actions by weight, waiting 1–5 s (``--think``)
between them:

=================  ======  =====================================================
action             weight  requests (each one timed as its own kind)
=================  ======  =====================================================
dashboard          12      ``GET /``
customer list      12      ``GET /customers/``
search             12      ``GET /customers/?q=<two characters of a name>``
customer 360       15      ``GET /customers/<id>/``
API list           8       ``GET /api/v1/customers?limit=50`` (bearer token)
API detail         10      ``GET /api/v1/customers/<id>`` (bearer token)
answer a survey    3       ``GET /s/<token>/`` then ``POST`` the questionnaire
import orders      1       ``POST /import/`` (a two-order CSV, checked), then
                           ``POST /import/<id>/confirm/``
log in again       1       a fresh browser: ``GET /login/``, ``POST /login/``
=================  ======  =====================================================

Every person acts as a user of their own kind: one in five is the head
office's sales director (``bench_director``, who sees every customer), the
others salespeople (``bench_sales001``…), each with a sample of the customers
they may see, an API token made for the run (revoked afterwards) and the
survey invitations of a wave opened for the run (survey ``bench-load``, the
natural-gas template; the wave is closed afterwards). The orders imported
(references ``LOAD-<run>-…``) are deleted afterwards and their customers'
kept purchase summary recomputed, so the benchmark data stays as generated.

A request is an error unless it gets the answer a browser expects (200, or
the redirect of a successful login, upload or confirmation; the thank-you
page after a submission). Reported per phase: requests per second, errors,
p50 / p95 / p99 per kind and for all pages and API calls but the logins, the
web server's CPU per request (when it was started here), and the ratio of the
load p95 to the reference p95.

The client is our own (threads of ``http.client``, the standard library), not
locust: see docs/benchmarks.md for why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import deque

BENCH_PASSWORD_ENV = "KEHU_BENCH_PASSWORD"
SURVEY_CODE = "bench-load"
REF_PREFIX = "LOAD-"
TOKEN_NAME = "kehu bench load"
PAGE_TARGET_MS = 200.0
RATIO_TARGET = 4.0

KINDS = ("login form", "login", "dashboard", "customer list", "search", "customer 360", "API list", "API detail",
         "answer page", "answer submit", "import upload", "import confirm")
# the logins are reported apart (the password check is deliberately slow)
LOGIN_KINDS = ("login",)

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
IMPORT_RE = re.compile(r"/import/(\d+)/")

from kehu.bench.answer_page import ANSWERS, DONE_MARK, LOW_ANSWERS, is_low  # noqa: E402


# ---------------------------------------------------------------- the data

@dataclasses.dataclass
class Account:
    username: str
    customer_ids: list[int]
    refs: list[str]
    terms: list[str]
    token: str = ""


@dataclasses.dataclass
class Plan:
    tag: str
    password: str
    accounts: list[Account]            # one per simulated person (an account may serve several)
    answer_tokens: deque = dataclasses.field(default_factory=deque)
    api_token_ids: list[int] = dataclasses.field(default_factory=list)
    wave_id: int | None = None
    weights: dict = dataclasses.field(default_factory=dict)   # action -> weight (Person.ACTIONS unless changed)
    notes: list[str] = dataclasses.field(default_factory=list)


def _bench_users(users: int):
    """The people to simulate: every fifth the head-office director, the others salespeople."""
    from django.db.models import Count, Q

    from kehu.org.models import Role, User

    director = (User.objects.filter(is_active=True, username="bench_director").first()
                or User.objects.filter(is_active=True, role=Role.SALES_MANAGER, team__parent__isnull=True)
                .order_by("id").first())
    sales = list(User.objects.filter(is_active=True, role=Role.SALESPERSON)
                 .annotate(n=Count("owned_customers", filter=Q(owned_customers__isnull=False)))
                 .filter(n__gt=0).order_by("username")[:users])
    if not sales and director is None:
        raise SystemExit("kehu bench load: no salespeople with customers and no head-office manager; "
                         "run `kehu generate` first")
    out = []
    for i in range(users):
        if director is not None and (i % 5 == 0 or not sales):
            out.append(director)
        else:
            out.append(sales[i % len(sales)])
    return out


def _sample_customers(user, rng: random.Random, k: int = 60) -> list[tuple[int, str, str]]:
    """(id, ref, name) of up to ``k`` customers ``user`` may see, from a few places of the id range."""
    from django.db.models import Max, Min

    from kehu.customers.selectors import customer_list

    qs = customer_list(viewer=user)
    bounds = qs.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return []
    rows: dict[int, tuple[int, str, str]] = {}
    for _ in range(4):
        start = rng.randint(bounds["lo"], bounds["hi"])
        for row in qs.filter(id__gte=start).order_by("id").values_list("id", "ref", "name")[: k // 4]:
            rows[row[0]] = row
    if len(rows) < k // 4:
        for row in qs.order_by("id").values_list("id", "ref", "name")[:k]:
            rows[row[0]] = row
    return list(rows.values())


def _runner():
    """A user who may run survey waves: the benchmark's administrator, else any administrator."""
    from django.db.models import Q

    from kehu.org.models import Role, User

    return (User.objects.filter(is_active=True, username="bench_admin").first()
            or User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
            .order_by("id").first())


def _open_wave(tag: str, invitations: int):
    """A wave of the ``bench-load`` survey, open, with ``invitations`` invitations: (wave, tokens)."""
    from kehu.surveys.models import Survey
    from kehu.surveys.services import distribution as svc
    from kehu.surveys.services.definitions import survey_create_from_template, survey_set_status

    actor = _runner()
    if actor is None:
        raise RuntimeError("no administrator to open a survey wave as")
    survey = Survey.objects.filter(code=SURVEY_CODE).first()
    if survey is None:
        survey = survey_create_from_template(actor=actor, template="natural-gas", code=SURVEY_CODE)
    if survey.status != "active":
        survey = survey_set_status(actor=actor, survey=survey, status="active")
    wave = svc.wave_create(actor=actor, survey=survey, name=f"load {tag}")
    svc.invitations_create(actor=actor, wave=wave, design=svc.SampleDesign(size=invitations, seed=1))
    svc.wave_open(actor=actor, wave=wave)
    return wave, list(wave.invitations.order_by("id").values_list("token", flat=True))


def prepare(*, users: int, password: str, invitations: int, usernames: list[str] | None = None,
            seed: int = 1) -> Plan:
    """Find the people, their customers and search terms; make their API tokens and a
    survey wave with invitations. Runs in this process, on the server's database."""
    from kehu.cli import setup_django

    setup_django()
    from kehu.org.models import User
    from kehu.org.services import token_create

    rng = random.Random(seed)
    tag = dt.datetime.now().strftime("%m%d%H%M%S") + secrets.token_hex(2)
    if usernames:
        found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
        missing = [n for n in usernames if n not in found]
        if missing:
            raise SystemExit(f"kehu bench load: no active user {', '.join(missing)}")
        people = [found[usernames[i % len(usernames)]] for i in range(users)]
    else:
        people = _bench_users(users)
    plan = Plan(tag=tag, password=password, accounts=[])
    made: dict[int, Account] = {}
    for user in people:
        if user.pk not in made:
            rows = _sample_customers(user, rng)
            if not rows:
                raise SystemExit(f"kehu bench load: {user.username} sees no customer")
            record, raw = token_create(user=user, name=f"{TOKEN_NAME} {tag}")
            plan.api_token_ids.append(record.pk)
            terms = sorted({name[:2] for _i, _r, name in rows if len(name) >= 2}) or ["客户"]
            made[user.pk] = Account(username=user.username, customer_ids=[r[0] for r in rows],
                                    refs=[r[1] for r in rows if r[1]], terms=terms, token=raw)
        plan.accounts.append(made[user.pk])
    try:
        wave, tokens = _open_wave(tag, invitations)
        plan.wave_id = wave.pk
        plan.answer_tokens.extend(tokens)
    except Exception as exc:  # reported: the answer page is then left out of the mix
        plan.notes.append(f"no survey wave for the answer page ({type(exc).__name__}: {exc})")
    return plan


def cleanup(plan: Plan) -> list[str]:
    """Revoke the run's tokens, close its wave, delete the orders it imported (and
    recompute their customers' kept purchase summary). Returns what it did."""
    from django.db import connection, transaction

    from kehu.org.models import ApiToken
    from kehu.org.services import token_revoke
    from kehu.sales.models import Order, OrderLine
    from kehu.sales.purchase_summary import summary_refresh
    from kehu.surveys.models import Wave
    from kehu.surveys.services import distribution as svc

    done = []
    for token in ApiToken.objects.filter(pk__in=plan.api_token_ids, revoked_at__isnull=True):
        token_revoke(token=token)
    done.append(f"{len(plan.api_token_ids)} API tokens revoked")
    wave = Wave.objects.filter(pk=plan.wave_id).first() if plan.wave_id else None
    if wave is not None and wave.status == "open":
        svc.wave_close(actor=_runner(), wave=wave)
        done.append(f"survey wave '{wave.name}' closed")
    with transaction.atomic():
        rows = list(Order.objects.filter(ref__startswith=f"{REF_PREFIX}{plan.tag}-").values_list("id", "customer_id"))
        ids = [r[0] for r in rows]
        if ids:
            OrderLine.objects.filter(order_id__in=ids).delete()
            with connection.cursor() as cur:
                cur.execute(f"DELETE FROM {Order._meta.db_table} WHERE id IN ({', '.join(map(str, ids))})")
            summary_refresh({r[1] for r in rows})
    done.append(f"{len(ids)} imported orders deleted")
    return done


# ---------------------------------------------------------------- the client

class Browser:
    """One person's connection and cookies (``http.client``: gunicorn's sync workers close
    the connection after each answer, so each request opens one, as it would here)."""

    def __init__(self, base_url: str, record):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.cookies: dict[str, str] = {}
        self.record = record

    def request(self, kind: str, method: str, path: str, *, body: bytes | None = None, headers=None,
                ok=(200,), check=None):
        """Send, read the whole answer, record (kind, seconds, ok, status). Returns (status, headers, text)."""
        import http.client

        h = {"Accept-Language": "zh-hans", "User-Agent": "kehu-bench-load"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        start = time.perf_counter()
        status, text, answer = 0, "", {}
        try:
            conn.request(method, self.prefix + path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            seconds = time.perf_counter() - start
            status = resp.status
            for k, v in resp.getheaders():
                if k.lower() == "set-cookie":
                    name, _eq, rest = v.partition("=")
                    value = rest.split(";", 1)[0]
                    if value and 'expires=Thu, 01 Jan 1970' not in v:
                        self.cookies[name.strip()] = value
                    else:
                        self.cookies.pop(name.strip(), None)
                answer[k.lower()] = v
            text = data.decode("utf-8", "replace")
        except OSError as exc:
            seconds = time.perf_counter() - start
            text = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
        good = status in ok and (check is None or check(status, answer, text))
        self.record(kind, seconds, good, status, method, path)
        return status, answer, text

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


class Person:
    """One simulated person: logs in, then acts until ``stop``."""

    ACTIONS = (("dashboard", 12), ("customer list", 12), ("search", 12), ("customer 360", 15), ("API list", 8),
               ("API detail", 10), ("answer", 3), ("import", 1), ("relogin", 1))

    def __init__(self, plan: Plan, account: Account, base_url: str, record, rng: random.Random,
                 think: tuple[float, float], ident: str = "w"):
        self.plan, self.account, self.base_url, self.record = plan, account, base_url, record
        self.ident = ident   # unique in the run: the imported orders' references
        self.rng, self.think = rng, think
        self.browser = Browser(base_url, record)
        self.imports = 0

    # the actions
    def login(self) -> bool:
        self.browser = Browser(self.base_url, self.record)   # a fresh browser: no cookies
        status, _h, text = self.browser.request("login form", "GET", "/login/",
                                                check=lambda s, h, t: bool(CSRF_RE.search(t)))
        match = CSRF_RE.search(text)
        if not match:
            return False
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1), "username": self.account.username,
                                       "password": self.plan.password}).encode()
        status, headers, _t = self.browser.request(
            "login", "POST", "/login/", body=body, ok=(302,),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            check=lambda s, h, t: "/login" not in h.get("location", ""))
        return status == 302 and "sessionid" in self.browser.cookies

    def dashboard(self):
        self.browser.request("dashboard", "GET", "/")

    def customer_list(self):
        self.browser.request("customer list", "GET", "/customers/")

    def search(self):
        term = self.rng.choice(self.account.terms)
        self.browser.request("search", "GET", "/customers/?q=" + urllib.parse.quote(term))

    def customer_360(self):
        self.browser.request("customer 360", "GET", f"/customers/{self.rng.choice(self.account.customer_ids)}/")

    def _api(self):
        return {"Authorization": f"Bearer {self.account.token}", "Accept": "application/json"}

    def api_list(self):
        Browser(self.base_url, self.record).request("API list", "GET", "/api/v1/customers?limit=50",
                                                    headers=self._api())

    def api_detail(self):
        Browser(self.base_url, self.record).request(
            "API detail", "GET", f"/api/v1/customers/{self.rng.choice(self.account.customer_ids)}",
            headers=self._api())

    def answer(self):
        try:
            token = self.plan.answer_tokens.popleft()
        except IndexError:
            return
        # a respondent's own browser, not the salesperson's
        b = Browser(self.base_url, self.record)
        _s, _h, text = b.request("answer page", "GET", f"/s/{token}/", check=lambda s, h, t: bool(CSRF_RE.search(t)))
        match = CSRF_RE.search(text)
        if not match:
            return
        body = f"csrfmiddlewaretoken={match.group(1)}&{LOW_ANSWERS if is_low(token) else ANSWERS}".encode()
        b.request("answer submit", "POST", f"/s/{token}/", body=body,
                  headers={"Content-Type": "application/x-www-form-urlencoded"},
                  check=lambda s, h, t: DONE_MARK.decode() in t)

    def order_import(self):
        if not self.account.refs:
            return
        self.imports += 1
        today = dt.date.today()
        lines = ["customer_ref,order_ref,order_date,amount,cost"]
        for k in range(2):
            ref = f"{REF_PREFIX}{self.plan.tag}-{self.ident}-{self.imports}-{k}"
            cents = self.rng.randint(10_000, 500_000)
            lines.append(f"{self.rng.choice(self.account.refs)},{ref},{(today - dt.timedelta(days=k)).isoformat()},"
                         f"{cents // 100}.{cents % 100:02d},{cents // 200}.00")
        content = ("\n".join(lines) + "\n").encode()
        boundary = "kehu" + secrets.token_hex(8)
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\norders\r\n'.encode(),
                 (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="orders.csv"\r\n'
                  f"Content-Type: text/csv\r\n\r\n").encode() + content + b"\r\n",
                 f"--{boundary}--\r\n".encode()]
        status, headers, _t = self.browser.request(
            "import upload", "POST", "/import/", body=b"".join(parts), ok=(302,),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": self.browser.csrf()},
            check=lambda s, h, t: bool(IMPORT_RE.search(h.get("location", ""))))
        match = IMPORT_RE.search(headers.get("location", ""))
        if status != 302 or not match:
            return
        self.browser.request("import confirm", "POST", f"/import/{match.group(1)}/confirm/", body=b"", ok=(302,),
                             headers={"Content-Type": "application/x-www-form-urlencoded",
                                      "X-CSRFToken": self.browser.csrf()},
                             check=lambda s, h, t: "/result/" in h.get("location", ""))

    def act(self, name: str):
        {"dashboard": self.dashboard, "customer list": self.customer_list, "search": self.search,
         "customer 360": self.customer_360, "API list": self.api_list, "API detail": self.api_detail,
         "answer": self.answer, "import": self.order_import, "relogin": self.login}[name]()

    def run(self, stop_at: float, stop: threading.Event):
        def wait():
            pause = self.rng.uniform(*self.think)
            stop.wait(max(0.0, min(pause, stop_at - time.monotonic())))

        while not self.login():
            wait()
            if stop.is_set() or time.monotonic() >= stop_at:
                return
        mix = self.plan.weights or dict(self.ACTIONS)
        names = [n for n, w in mix.items() if w > 0]
        weights = [mix[n] for n in names]
        tour = names[:]
        self.rng.shuffle(tour)
        while not stop.is_set() and time.monotonic() < stop_at:
            wait()
            if stop.is_set() or time.monotonic() >= stop_at:
                break
            self.act(tour.pop() if tour else self.rng.choices(names, weights)[0])


# ---------------------------------------------------------------- phases and figures

class Recorder:
    def __init__(self):
        self.rows: list[tuple] = []
        self.phase = "reference"
        self.errors_seen: list[str] = []

    def __call__(self, kind, seconds, ok, status, method, path):
        self.rows.append((self.phase, kind, seconds, ok, status))
        if not ok and len(self.errors_seen) < 20:
            self.errors_seen.append(f"{self.phase}: {kind} {method} {path} -> {status or 'no answer'}")


def run_phase(plan: Plan, base_url: str, recorder: Recorder, *, users: int, seconds: float, ramp: float,
              think: tuple[float, float], seed: int) -> dict:
    """``users`` people for ``ramp`` + ``seconds``; the requests of the ramp are recorded as
    phase '<phase> ramp'. Returns the steady part's wall time."""
    stop = threading.Event()
    phase = recorder.phase
    start = time.monotonic()
    steady_at = start + ramp
    stop_at = steady_at + seconds
    threads = []
    for i in range(users):
        person = Person(plan, plan.accounts[i % len(plan.accounts)], base_url, recorder,
                        random.Random(seed * 1000 + i), think, ident=f"{phase[0]}{i}")
        t = threading.Thread(target=person.run, args=(stop_at, stop), daemon=True, name=f"person-{i}")
        delay = ramp * i / users if users > 1 else 0.0
        threads.append((t, delay))
    if ramp:
        recorder.phase = f"{phase} ramp"
    for t, delay in threads:
        stop.wait(max(0.0, start + delay - time.monotonic()))
        t.start()
    if ramp:
        stop.wait(max(0.0, steady_at - time.monotonic()))
        recorder.phase = phase
    for t, _d in threads:
        t.join(timeout=max(0.0, stop_at - time.monotonic()) + 150)
    stop.set()
    return {"seconds": round(time.monotonic() - steady_at, 1)}


def nearest_rank(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _stats(rows: list[tuple], seconds: float | None = None) -> dict:
    times = [r[2] * 1000 for r in rows]
    out = {"n": len(rows), "errors": sum(1 for r in rows if not r[3])}
    for p in (50, 95, 99):
        v = nearest_rank(times, p)
        out[f"p{p}_ms"] = None if v is None else round(v, 1)
    if seconds:
        out["per_second"] = round(len(rows) / seconds, 2)
    return out


def figures(recorder: Recorder, walls: dict) -> dict:
    out = {}
    for phase, wall in walls.items():
        rows = [r for r in recorder.rows if r[0] == phase]
        kinds = {k: _stats([r for r in rows if r[1] == k]) for k in KINDS}
        pages = [r for r in rows if r[1] not in LOGIN_KINDS]
        out[phase] = {"seconds": wall, **_stats(rows, wall), "kinds": kinds,
                      "pages_and_api": _stats(pages), "error_statuses": {}}
        for r in rows:
            if not r[3]:
                out[phase]["error_statuses"][str(r[4])] = out[phase]["error_statuses"].get(str(r[4]), 0) + 1
        ramp = [r for r in recorder.rows if r[0] == f"{phase} ramp"]
        if ramp:
            out[phase]["ramp"] = {**_stats(ramp), "logins": _stats([r for r in ramp if r[1] == "login"]),
                                  "pages_and_api": _stats([r for r in ramp if r[1] not in LOGIN_KINDS]),
                                  "kinds": {k: sum(1 for r in ramp if r[1] == k) for k in KINDS}}
    return out


def ratios(fig: dict) -> dict:
    ref, load = fig.get("reference"), fig.get("load")
    if not ref or not load:
        return {}
    out = {}
    for k in KINDS:
        a, b = ref["kinds"][k]["p95_ms"], load["kinds"][k]["p95_ms"]
        out[k] = round(b / a, 2) if a and b else None
    a, b = ref["pages_and_api"]["p95_ms"], load["pages_and_api"]["p95_ms"]
    out["pages and API"] = round(b / a, 2) if a and b else None
    return out


# ---------------------------------------------------------------- the server

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int | None, log_path: str, timeout: float = 600.0):
    """``kehu serve`` on a free port, in its own process group; (process, url) once it answers."""
    import http.client

    port = _free_port()
    cmd = [sys.executable, "-m", "kehu.cli", "serve", "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kehu serve stopped before it answered (see {log_path})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError(f"kehu serve did not answer on port {port} within {timeout:.0f} s (see {log_path})")


def stop_server(proc) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)   # gunicorn's master: a graceful stop of its workers
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _server_cpu(proc) -> float:
    from kehu.bench.answer_page import _cpu_seconds

    return _cpu_seconds(proc.pid) if proc is not None else 0.0


# ---------------------------------------------------------------- the command

def expected_answers(users: int, seconds: float, think: tuple[float, float]) -> int:
    """Invitations enough for the answer action at the mix's weight, with room to spare."""
    total = sum(w for _n, w in Person.ACTIONS)
    share = dict(Person.ACTIONS)["answer"] / total
    per_person = seconds / (sum(think) / 2 + 0.05) * share + 2   # the first round answers once
    return int(math.ceil(users * per_person * 2)) + 10


def run_load(*, users: int = 50, minutes: float = 10.0, reference_minutes: float = 2.0, ramp: float = 60.0,
             url: str | None = None, workers: int | None = None, password: str | None = None,
             usernames: list[str] | None = None, think: tuple[float, float] = (1.0, 5.0), seed: int = 1,
             keep: bool = False, weights: dict | None = None, out=None) -> dict:
    """Both phases (see the module docstring); returns the figures (also printed unless
    ``out`` is False)."""
    password = password or os.environ.get(BENCH_PASSWORD_ENV) or "bench1234"
    invitations = expected_answers(users, minutes * 60 + ramp, think) + \
        expected_answers(1, reference_minutes * 60, think)
    plan = prepare(users=users, password=password, invitations=invitations, usernames=usernames, seed=seed)
    plan.weights = {**dict(Person.ACTIONS), **(weights or {})}
    proc = None
    log_path = None
    recorder = Recorder()
    walls, cpu = {}, {}
    from django.db import connections

    connections.close_all()   # the server and this process do not share a connection
    try:
        if url is None:
            log_path = os.path.join(tempfile.mkdtemp(prefix="kehu-bench-load-"), "serve.log")
            proc, url = start_server(workers, log_path)
        url = url.rstrip("/")
        # warm every worker up (imports, templates, the first queries) before measuring
        warm = Person(plan, plan.accounts[0], url, lambda *a: None, random.Random(seed), (0, 0))
        warm.login()
        for _ in range(2 * (workers or os.cpu_count() or 2)):
            warm.dashboard()
            warm.customer_list()
        for phase, n, seconds, r in (("reference", 1, reference_minutes * 60, 0.0),
                                     ("load", users, minutes * 60, ramp if users > 1 else 0.0)):
            recorder.phase = phase
            c0 = _server_cpu(proc)
            walls[phase] = run_phase(plan, url, recorder, users=n, seconds=seconds, ramp=r, think=think,
                                     seed=seed + (n > 1))["seconds"]
            steady = [row for row in recorder.rows if row[0] == phase]
            if proc is not None:
                cpu[phase] = round((_server_cpu(proc) - c0) * 1000 / max(1, len(steady) + len(
                    [row for row in recorder.rows if row[0] == f"{phase} ramp"])), 1)
    finally:
        stop_server(proc)
        cleaned = [] if keep else cleanup(plan)
    fig = figures(recorder, walls)
    for phase, value in cpu.items():
        fig[phase]["server_cpu_ms_per_request"] = value
    result = {"url": url, "started_here": proc is not None, "users": users, "minutes": minutes,
              "reference_minutes": reference_minutes, "ramp_seconds": ramp, "think_seconds": list(think),
              "weights": plan.weights,
              "phases": fig, "p95_ratio": ratios(fig), "notes": plan.notes, "cleanup": cleaned,
              "errors_seen": recorder.errors_seen, "server_log": log_path,
              "targets": targets(fig)}
    if out is not False:
        print_report(result, out or sys.stdout)
    return result


def targets(fig: dict) -> dict:
    load = fig.get("load")
    if not load:
        return {}
    r = ratios(fig).get("pages and API")
    p95 = load["pages_and_api"]["p95_ms"]
    return {"zero_errors": load["errors"] == 0 and fig["reference"]["errors"] == 0,
            "p95_pages_and_api_le_200ms": p95 is not None and p95 <= PAGE_TARGET_MS,
            "ratio_le_4": r is not None and r <= RATIO_TARGET}


def _ms(v) -> str:
    return "—" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def print_report(result: dict, out) -> None:
    w = lambda s="": print(s, file=out)  # noqa: E731
    fig = result["phases"]
    w(f"kehu bench load: {result['url']}" + (" (kehu serve started here)" if result["started_here"] else ""))
    w(f"  each person waits {result['think_seconds'][0]:g}–{result['think_seconds'][1]:g} s between actions; "
      "mix: " + ", ".join(f"{k} {v:g}" for k, v in result["weights"].items()))
    for phase, f in fig.items():
        users = 1 if phase == "reference" else result["users"]
        cpu = f.get("server_cpu_ms_per_request")
        w(f"  {phase:9s} {users:3d} users  {f['seconds']:7.1f} s  {f['n']:6d} requests  {f.get('per_second', 0):6.2f}/s"
          f"  errors {f['errors']}" + (f"  server CPU {cpu} ms/request" if cpu is not None else "")
          + (f"  {f['error_statuses']}" if f["error_statuses"] else ""))
        if "ramp" in f:
            rp = f["ramp"]
            w(f"            ramp before it: {rp['n']} requests, errors {rp['errors']}, logins p50 "
              f"{_ms(rp['logins']['p50_ms'])} ms p95 {_ms(rp['logins']['p95_ms'])} ms, pages and API p95 "
              f"{_ms(rp['pages_and_api']['p95_ms'])} ms")
    w()
    w(f"  {'kind':15s} | {'reference':^31s} | {'load':^39s} | p95")
    w(f"  {'':15s} | {'n':>5s} {'p50':>7s} {'p95':>7s} {'p99':>7s} | {'n':>6s} {'err':>4s} {'p50':>7s} "
      f"{'p95':>7s} {'p99':>7s} {'/s':>3s} | ratio")
    rat = result["p95_ratio"]
    ref, load = fig.get("reference", {}), fig.get("load", {})
    for kind in (*KINDS, "pages and API"):
        a = ref["kinds"][kind] if kind in KINDS else ref.get("pages_and_api")
        b = load["kinds"][kind] if kind in KINDS else load.get("pages_and_api")
        if not a or not b:
            continue
        rate = f"{b['n'] / load['seconds']:.1f}" if load.get("seconds") else ""
        r = rat.get(kind)
        w(f"  {kind:15s} | {a['n']:5d} {_ms(a['p50_ms']):>7s} {_ms(a['p95_ms']):>7s} {_ms(a['p99_ms']):>7s} | "
          f"{b['n']:6d} {b['errors']:4d} {_ms(b['p50_ms']):>7s} {_ms(b['p95_ms']):>7s} {_ms(b['p99_ms']):>7s} "
          f"{rate:>3s} | {'—' if r is None else f'{r:.2f}'}")
    w("  (milliseconds; 'pages and API' is every request but the logins)")
    t = result["targets"]
    if t:
        w(f"  targets: zero errors {'met' if t['zero_errors'] else 'MISSED'}; pages and API p95 ≤ "
          f"{PAGE_TARGET_MS:.0f} ms {'met' if t['p95_pages_and_api_le_200ms'] else 'MISSED'}; p95 under load ≤ "
          f"{RATIO_TARGET:g}× the one-user p95 {'met' if t['ratio_le_4'] else 'MISSED'}")
    for note in result["notes"]:
        w(f"  note: {note}")
    for line in result["errors_seen"][:10]:
        w(f"  error: {line}")
    if result["cleanup"]:
        w("  afterwards: " + "; ".join(result["cleanup"]))
