"""Browser journeys in real headless Chromium (Debian's /usr/bin/chromium),
driven by Playwright for Python. Playwright never downloads a browser here."""

from __future__ import annotations

import os
import re
import shutil
import threading
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Error as PlaywrightError
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import expect

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("KEHU_CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; Django's ORM calls
# in the same test (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# On SQLite in memory the live server's request threads and the test share one database
# connection (Django passes it to the server). Using it from two threads at once hung for
# good: CI sat 80 minutes in the service analytics journey, whose page loads two fragments at
# once, and py-spy showed both request threads parked in SQLiteCursorWrapper.execute while
# the test waited on the browser. (The likely cause, not proven: one thread inside
# sqlite3_step holds the connection's mutex and waits for the GIL to run one of Django's SQL
# functions written in Python, while the other holds the GIL and waits for the mutex.) So on
# a shared connection the live server answers one request at a time and the test's own
# queries wait their turn — the same lock. PostgreSQL gives each thread its own connection
# and is left alone.
SHARED_DB_LOCK = threading.RLock()


class _OneAtATimeOnASharedConnection(ThreadedWSGIServer):
    def set_app(self, application):
        if self.connections_override:
            inner = application

            def application(environ, start_response):
                with SHARED_DB_LOCK:
                    result = inner(environ, start_response)
                    try:
                        return [b"".join(result)]   # the body is read (a lazy export queries) under the lock
                    finally:
                        if hasattr(result, "close"):
                            result.close()
        super().set_app(application)


LiveServerThread.server_class = _OneAtATimeOnASharedConnection


@pytest.fixture(autouse=True)
def _shared_connection_takes_turns(request):
    """The test's own queries take the live server's lock when they share its connection."""
    if "live_server" not in request.fixturenames:   # page and new_page bring it along
        yield
        return
    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return

    def in_turn(execute, sql, params, many, context):
        with SHARED_DB_LOCK:
            return execute(sql, params, many, context)

    with connection.execute_wrapper(in_turn):
        yield


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browsers` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )
        yield b
        b.close()


# Reports every Content-Security-Policy violation of the page to the console, in a
# form the guard recognises (Chromium also logs its own "Refused to ..." line).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + (e.sourceFile || "") + ":" + (e.lineNumber || 0));
});
"""


class Guard:
    """What a page did that a journey must never do: reach beyond the live
    server, log a JavaScript error, or break the Content-Security-Policy. A
    test that expects an error (a 404 page logs "Failed to load resource")
    says so with :meth:`allow`; a CSP violation cannot be allowed."""

    def __init__(self):
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.csp: list[str] = []
        self.allowed: list[re.Pattern] = []
        self.pages: list = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def watch(self, page) -> None:
        self.pages.append(page)
        page.on("console", lambda msg: msg.type == "error" and self._error(
            f"console: {msg.text} ({msg.location.get('url', '')})"))
        page.on("pageerror", lambda exc: self._error(f"uncaught: {exc}"))

    def _error(self, text: str) -> None:
        if "CSP violation" in text or "Content Security Policy" in text:
            self.csp.append(text)
            return
        if not any(p.search(text) for p in self.allowed):
            self.errors.append(text)

    def check(self) -> None:
        """Raise for what happened since the last check (each problem is reported once)."""
        for page in self.pages:
            if not page.is_closed():
                # A round trip to each page lets events still in flight (a request
                # a script just started) reach the handlers before we look.
                try:
                    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 50))")
                except PlaywrightError:  # the page was navigating away: nothing to wait for
                    pass
        blocked, errors, csp = self.blocked[:], self.errors[:], self.csp[:]
        self.blocked.clear()
        self.errors.clear()
        self.csp.clear()
        assert not csp, f"Content-Security-Policy violations: {csp}"
        assert not blocked, f"requests that tried to leave the live server: {blocked}"
        assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def guard():
    return Guard()


@pytest.fixture
def new_page(browser, live_server, guard):
    """``new_page(**context_options)``: a page in a fresh browser context
    (own cookies) on the live server, e.g. ``new_page(viewport={...})``."""
    contexts = []

    def route(route):
        url = route.request.url
        if url.startswith(live_server.url + "/") or url.startswith("data:"):
            route.continue_()
        else:
            guard.blocked.append(url)
            route.abort()

    def _new_page(**options):
        options = {"locale": "en-US", "viewport": {"width": 1280, "height": 900}, **options}
        context = browser.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        context.set_default_timeout(15000)
        # Only the live server may be reached: the product must work on a closed network.
        context.route("**/*", route)
        context.add_init_script(CSP_REPORTER)
        p = context.new_page()
        guard.watch(p)
        return p

    yield _new_page
    for context in contexts:
        context.close()
    # Anything that arrived after the test body (late requests, errors) still fails the run.
    guard.check()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not only its teardown) when its page broke the rules."""
    result = yield
    guard = item.funcargs.get("guard") if hasattr(item, "funcargs") else None
    if guard is not None:
        guard.check()
    return result


def log_in(page, username, password=PASSWORD):
    """Log in through the form and wait until the app has let us in."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def search(page, term):
    """Type into the customer search box and wait until htmx has put the results in."""
    page.wait_for_load_state("domcontentloaded")  # htmx binds the box when the DOM is ready
    page.locator("main").get_by_role("searchbox").fill(term)
    encoded = quote_plus(term)  # as the browser puts it in the address (Chinese is percent-encoded)
    expect(page).to_have_url(re.compile(r"[?&]q=(" + re.escape(term) + "|" + re.escape(encoded) + r")(&|$)"))
