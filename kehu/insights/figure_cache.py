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
from collections.abc import Callable
from typing import Any

from kehu.runtime import cache_versions
from kehu.runtime.cache_versions import CommitVersion

SCORES_VERSION_KEY = "kehu:scores-figures:version"
TTL = 300  # seconds

SCORES_VERSION = CommitVersion(SCORES_VERSION_KEY, flag="kehu_scores_bump")
# Make the kept score aggregates stale: at once outside a transaction, else when it commits.
bump_scores_version = SCORES_VERSION.bump


def scores_version() -> str:
    return SCORES_VERSION.current()


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
    return cache_versions.cached(lambda: key_for(kind, *parts), compute, TTL)
