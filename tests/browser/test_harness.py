"""The harness itself: a page that reaches beyond the live server, or logs a
JavaScript error, fails its test."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_request_beyond_the_live_server_is_blocked_and_reported(page, guard, transactional_db):
    page.goto("/login/")
    outcome = page.evaluate("fetch('http://cdn.example.com/htmx.js').then(() => 'reached', () => 'blocked')")
    assert outcome == "blocked"
    with pytest.raises(AssertionError, match=r"leave the live server: \['http://cdn.example.com/htmx.js'\]"):
        guard.check()


def test_a_javascript_error_is_reported(page, guard, transactional_db):
    page.goto("/login/")
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('boom') }, 0)")
    with page.expect_event("console"):
        page.evaluate("console.error('kaput')")
    with pytest.raises(AssertionError, match=r"uncaught: .*boom.*console: kaput"):
        guard.check()
