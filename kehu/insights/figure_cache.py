"""Aggregates of the value, RFM, forecast and performance pages, kept in the cache
(issue 17, item 5) the way the dashboard keeps its sales figures
(kehu/sales/dashboard_figures.py).

An entry is keyed by what decides its figures, never by who asks or in which
language (only figures are kept, never a rendered page):

- the analysis run (its id: a new run is a new key);
- the *scores version*, bumped by :func:`bump_scores_version` when a per-order
  rescoring (:func:`kehu.insights.rescoring.rescore_customers_now`) that changed a
  run's rows commits — never inside the transaction, so that the version row of
  a database cache is not held locked by a writer;
- the *sales version* of the dashboard (:func:`kehu.sales.dashboard_figures.sales_version`),
  bumped when orders, customers (their owner and team decide who sees what and
  under whom a score is grouped) or shares are written;
- the viewer's visibility scope (:class:`kehu.org.policies.Scope`) and the page's
  own arguments (filters, period, …).

Entries also expire after :data:`TTL` seconds: a bound on any writer that bumps
neither version (a raw SQL fix, a key-account plan's payment days). When the cache
is down the figures are computed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

SCORES_VERSION_KEY = "kehu:scores-figures:version"
TTL = 300  # seconds
_MISSING = object()


def _set_scores_version() -> None:
    try:
        cache.set(SCORES_VERSION_KEY, time.time_ns(), None)
    except Exception:  # the cache is down: the entries still expire after TTL
        pass


_set_scores_version.kehu_scores_bump = True


def bump_scores_version() -> None:
    """Make the kept score aggregates stale: at once outside a transaction, else when it
    commits (registered once per transaction)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _set_scores_version()
        return
    if not any(getattr(entry[1], "kehu_scores_bump", False) for entry in conn.run_on_commit):
        transaction.on_commit(_set_scores_version)


def scores_version() -> str:
    version = cache.get(SCORES_VERSION_KEY)
    if version is None:
        version = time.time_ns()
        cache.add(SCORES_VERSION_KEY, version, None)
        version = cache.get(SCORES_VERSION_KEY, version)
    return str(version)


def versions() -> str:
    """``sales version / scores version``: what every kept aggregate's key holds."""
    from kehu.sales.dashboard_figures import sales_version

    return f"{sales_version()}/{scores_version()}"


def scope_of(viewer) -> str:
    from kehu.org.policies import policy_for

    return repr(policy_for(viewer).view_scope)


def key_for(kind: str, *parts) -> str:
    """A cache key for ``kind`` over ``parts`` and the current versions (raises when the
    cache is down)."""
    raw = "|".join([kind, versions(), *map(repr, parts)])
    return f"kehu:figures:{kind}:" + hashlib.sha1(raw.encode()).hexdigest()


def cached(kind: str, parts: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, from the cache when ``kind`` and ``parts`` were computed under the
    same versions less than :data:`TTL` seconds ago."""
    try:
        key = key_for(kind, *parts)
        hit = cache.get(key, _MISSING)
    except Exception:  # the cache is down: compute
        return compute()
    if hit is not _MISSING:
        return hit
    value = compute()
    try:
        cache.set(key, value, TTL)
    except Exception:
        pass
    return value
