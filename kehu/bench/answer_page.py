"""``kehu bench answer-page``: how many questionnaires the public answer page
takes per second, measured through real HTTP against ``kehu serve``.

1. A scratch PostgreSQL database of its own (``kehu_bench_answers`` by
   default; dropped and created again) is migrated, and a survey (the
   natural-gas template, eleven questions with a condition), an open wave and
   N invitations (through the services: sample, tokens) are created in it.
2. ``kehu serve`` (gunicorn, sync workers) is started on a free port with the
   answer page's per-address limit off (every request comes from 127.0.0.1;
   the per-token limit stays on) and no background worker.
3. Phase 1, page loads: each invitation's link is opened once (GET), which
   also gives the CSRF cookie and token a browser would get.
4. Phase 2, submissions: every invitation submits a complete questionnaire
   (POST), ``--concurrency`` at a time from a pool of client threads in
   ``--clients`` processes. A submission counts as a success only when the
   thank-you page comes back (200 with the "done" marker); anything else is
   an error.

Reported: requests per second of each phase, latency p50/p95/p99 and the
errors; the submitted responses are then counted in the database (each must
be complete and scored). The figures depend on the machine and what else runs
on it; ``docs/benchmarks.md`` records a run.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ANSWERS = "Q1=5&Q2=4&Q3=yes&Q4=5&Q5=4&Q6=5&Q7=3&Q8=5&Q9=4&Q10=4&Q11=%E5%BE%88%E5%A5%BD&action=submit"
# About one respondent in five is dissatisfied: an index below the survey's
# follow-up threshold (60), so the submission also creates a follow-up task
# for the customer's owner, as it would in a real wave.
LOW_ANSWERS = "Q1=2&Q2=1&Q3=yes&Q4=2&Q5=2&Q6=1&Q7=2&Q8=2&Q9=1&Q10=2&Q11=%E5%A4%AA%E6%85%A2&action=submit"
LOW_SHARE = 0.2


def is_low(token: str) -> bool:
    """Whether ``token``'s respondent submits the dissatisfied answers
    (decided by the token, so the same run always has the same mix)."""
    import hashlib

    return hashlib.blake2s(token.encode(), digest_size=2).digest()[0] < int(256 * LOW_SHARE)
DONE_MARK = b'data-testid="answer-done"'
CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin_url(database_url: str, name: str) -> tuple[str, str]:
    base = database_url.rsplit("/", 1)[0]
    return f"{base}/postgres", f"{base}/{name}"


def _recreate_database(database_url: str, name: str) -> str:
    import psycopg

    admin, url = _admin_url(database_url, name)
    if name in ("kehu_bench", "kehu_imp"):
        raise SystemExit(f"refusing to use the database {name}: it holds other benchmarks' data")
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def _drop_database(database_url: str, name: str) -> None:
    import psycopg

    admin, _url = _admin_url(database_url, name)
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(invitations: int, out_path: str) -> None:
    """Inside the scratch database (DATABASE_URL): a survey, an open wave and
    ``invitations`` invitations; their tokens are written to ``out_path``."""
    from kehu.cli import setup_django

    setup_django()
    from kehu.customers.models import Customer
    from kehu.customers.search import name_keys
    from kehu.org.models import Role, Team, User
    from kehu.surveys.services import distribution as svc
    from kehu.surveys.services.definitions import survey_create_from_template, survey_set_status

    team = Team.objects.create(name="Head office")
    admin = User.objects.create_user(username="bench-admin", password=None, role=Role.ADMIN, team=team,
                                     is_superuser=True)
    rows = []
    for k in range(invitations):
        name = f"Bench customer {k:07d}"
        key, pinyin, initials = name_keys(name)
        rows.append(Customer(ref=f"B{k:07d}", name=name, name_key=key, name_pinyin=pinyin, name_initials=initials,
                             owner=admin, team=team,
                             region=("north", "east", "south")[k % 3]))
    Customer.objects.bulk_create(rows, batch_size=5000)
    survey = survey_create_from_template(actor=admin, template="natural-gas", code="bench-answers")
    survey_set_status(actor=admin, survey=survey, status="active")
    wave = svc.wave_create(actor=admin, survey=survey, name="bench")
    svc.invitations_create(actor=admin, wave=wave, design=svc.SampleDesign(size=invitations, seed=1))
    svc.wave_open(actor=admin, wave=wave)
    with open(out_path, "w") as fh:
        for token in wave.invitations.order_by("id").values_list("token", flat=True):
            fh.write(token + "\n")


def count_complete() -> dict:
    from kehu.cli import setup_django

    setup_django()
    from django.db.models import F

    from kehu.engagement.models import Task
    from kehu.surveys.models import CustomerAttitude, Response

    qs = Response.objects.all()
    return {"responses": qs.count(), "complete": qs.filter(status="complete").count(),
            "scored": qs.filter(status="complete", index__isnull=False).count(),
            "low": qs.filter(status="complete", index__lt=F("wave__survey__follow_up_below")).count(),
            "tasks": Task.objects.filter(source="survey").count(),
            "attitudes": CustomerAttitude.objects.count()}


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def _get(port: int, token: str):
    import http.client

    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", f"/s/{token}/", headers={"Accept-Language": "zh-hans"})
        resp = conn.getresponse()
        body = resp.read()
        cookie = next((v.split(";", 1)[0] for k, v in resp.getheaders()
                       if k.lower() == "set-cookie" and v.startswith("csrftoken=")), "")
        match = CSRF_RE.search(body)
        ok = resp.status == 200 and bool(match) and bool(cookie)
        return time.perf_counter() - start, ok, (cookie, match.group(1).decode() if match else "")
    except OSError:
        return time.perf_counter() - start, False, ("", "")
    finally:
        conn.close()


def _post(port: int, token: str, cookie: str, csrf: str):
    import http.client

    body = f"csrfmiddlewaretoken={csrf}&{LOW_ANSWERS if is_low(token) else ANSWERS}"
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", f"/s/{token}/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        resp = conn.getresponse()
        data = resp.read()
        return time.perf_counter() - start, resp.status == 200 and DONE_MARK in data, resp.status
    except OSError:
        return time.perf_counter() - start, False, 0
    finally:
        conn.close()


def drive(port: int, tokens: list[str], concurrency: int, phase: str, sessions: dict | None = None) -> dict:
    """One phase from this process: ``phase`` "get" or "post" for every token."""
    latencies: list[float] = []
    errors = 0
    statuses: dict = {}
    found: dict = {}
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        if phase == "get":
            for token, (seconds, ok, session) in zip(tokens, pool.map(lambda t: _get(port, t), tokens)):
                latencies.append(seconds)
                errors += not ok
                found[token] = session
        else:
            def one(t):
                cookie, csrf = sessions[t]
                return _post(port, t, cookie, csrf)

            for seconds, ok, status in pool.map(one, tokens):
                latencies.append(seconds)
                errors += not ok
                if not ok:
                    statuses[str(status)] = statuses.get(str(status), 0) + 1
    wall = time.perf_counter() - start
    return {"n": len(tokens), "wall": wall, "latencies": latencies, "errors": errors, "statuses": statuses,
            "sessions": found}


def _client_main() -> None:
    """A load-generating process: reads its job as JSON on stdin, prints the result as JSON."""
    job = json.loads(sys.stdin.read())
    result = drive(job["port"], job["tokens"], job["concurrency"], job["phase"], job.get("sessions"))
    print(json.dumps(result))


def _run_phase(port: int, tokens: list[str], *, concurrency: int, clients: int, phase: str,
               sessions: dict | None = None) -> dict:
    parts = [tokens[i::clients] for i in range(clients)]
    per = max(1, concurrency // clients)
    procs = []
    start = time.perf_counter()
    for part in parts:
        job = {"port": port, "tokens": part, "concurrency": per, "phase": phase,
               "sessions": {t: sessions[t] for t in part} if sessions else None}
        p = subprocess.Popen([sys.executable, "-c", "from kehu.bench.answer_page import _client_main; _client_main()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        p.stdin.write(json.dumps(job))
        p.stdin.close()
        procs.append(p)
    results = [json.loads(p.stdout.read()) for p in procs]
    for p in procs:
        p.wait()
    wall = time.perf_counter() - start
    latencies = [x for r in results for x in r["latencies"]]
    statuses: dict = {}
    for r in results:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    found = {}
    for r in results:
        found.update(r["sessions"])
    n = sum(r["n"] for r in results)
    return {"requests": n, "seconds": round(wall, 3), "per_second": round(n / wall, 1) if wall else None,
            "errors": sum(r["errors"] for r in results), "error_statuses": statuses,
            "p50_ms": round(_percentile(latencies, 50) * 1000, 1), "p95_ms": round(_percentile(latencies, 95) * 1000, 1),
            "p99_ms": round(_percentile(latencies, 99) * 1000, 1), "sessions": found}


def _cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) used so far by ``root_pid`` and its children
    (the gunicorn master and workers), from /proc; 0 where /proc is missing."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0.0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _wait_for(port: int, process, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("kehu serve stopped before it answered; is the database reachable?")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"kehu serve did not answer on port {port} within {timeout:.0f} s")


def run_answer_page_bench(*, invitations: int = 5000, concurrency: int = 16, clients: int = 2,
                          workers: int | None = None, database_url: str | None = None,
                          database: str = "kehu_bench_answers", keep: bool = False, as_json: bool = False,
                          out=None) -> int:
    """Run the benchmark (see the module docstring); print the figures. Returns an exit code."""
    out = out or sys.stdout
    database_url = database_url or os.environ.get("KEHU_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
    url = _recreate_database(database_url, database)
    home = tempfile.mkdtemp(prefix="kehu-bench-answers-")
    env = dict(os.environ, DATABASE_URL=url, KEHU_HOME=home, KEHU_ANSWER_RATE_PER_IP="0",
               KEHU_SERVE_WORKER="0", KEHU_HUEY="immediate", KEHU_SECRET_KEY="bench-" + os.urandom(16).hex(),
               KEHU_PUBLIC_URL="http://127.0.0.1")
    env.pop("KEHU_CACHE", None)
    py = [sys.executable, "-m", "kehu.cli"]
    server = None
    try:
        subprocess.run([*py, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        tokens_file = os.path.join(home, "tokens.txt")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"from kehu.bench.answer_page import seed; seed({invitations}, {tokens_file!r})"],
                       env=env, check=True)
        seeded = time.perf_counter() - t0
        tokens = open(tokens_file).read().split()
        port = _free_port()
        cmd = [*py, "serve", "--port", str(port)] + (["--workers", str(workers)] if workers else [])
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(port, server)
        # Warm every worker up (imports, templates, the survey's questions) before measuring.
        drive(port, [tokens[0]] * 8, 4, "get")
        cpu0 = _cpu_seconds(server.pid)
        loads = _run_phase(port, tokens, concurrency=concurrency, clients=clients, phase="get")
        cpu1 = _cpu_seconds(server.pid)
        sessions = loads.pop("sessions")
        good = [t for t in tokens if sessions.get(t, ("", ""))[1]]
        submits = _run_phase(port, good, concurrency=concurrency, clients=clients, phase="post", sessions=sessions)
        cpu2 = _cpu_seconds(server.pid)
        submits.pop("sessions")
        # The web server's own CPU per request (not PostgreSQL's, not the clients'): what
        # bounds the rate on a machine that does nothing else.
        loads["server_cpu_ms"] = round((cpu1 - cpu0) / max(1, loads["requests"]) * 1000, 2)
        submits["server_cpu_ms"] = round((cpu2 - cpu1) / max(1, submits["requests"]) * 1000, 2)
        db = json.loads(subprocess.run(
            [sys.executable, "-c", "import json; from kehu.bench.answer_page import count_complete; "
                                   "print(json.dumps(count_complete()))"],
            env=env, check=True, capture_output=True, text=True).stdout)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not keep:
            try:
                _drop_database(database_url, database)
            except Exception:  # noqa: BLE001 - the figures matter more than the clean-up
                pass
    from kehu.demo.server import default_workers

    result = {"invitations": invitations, "workers": workers or default_workers(), "concurrency": concurrency,
              "clients": clients, "cores": os.cpu_count(), "seed_seconds": round(seeded, 1),
              "page_loads": loads, "submissions": submits, "database": db,
              "ok": submits["errors"] == 0 and loads["errors"] == 0 and db["scored"] == len(good) == invitations
              and db["tasks"] == db["low"] and db["attitudes"] == invitations}
    if as_json:
        print(json.dumps(result, indent=2), file=out)
    else:
        print(f"answer page: {invitations} invitations, {result['workers']} gunicorn workers, "
              f"{concurrency} concurrent clients in {clients} processes, {result['cores']} cores", file=out)
        for label, r in (("page loads (GET)", loads), ("submissions (POST)", submits)):
            print(f"  {label:20s} {r['per_second']:8.1f}/s  p50 {r['p50_ms']:.1f} ms  p95 {r['p95_ms']:.1f} ms  "
                  f"p99 {r['p99_ms']:.1f} ms  server CPU {r['server_cpu_ms']:.1f} ms/request  errors {r['errors']}{' ' + str(r['error_statuses']) if r['error_statuses'] else ''}",
                  file=out)
        print(f"  stored: {db['complete']} complete responses, {db['scored']} scored, {db['attitudes']} attitudes; "
              f"{db['low']} below the follow-up threshold, {db['tasks']} follow-up tasks", file=out)
    return 0 if result["ok"] else 1
