"""Per-customer inputs that other apps provide to a value run (hooks).

Surveys (a later issue) know each customer's relative attitude (0–100, for
the Dick & Basu matrix) and satisfaction index (0–100, a churn signal); the
service desk knows each customer's open complaints (a churn signal). Those
apps register a provider here, typically in their ``AppConfig.ready()``::

    from kehu.insights import signals
    signals.register("attitude", attitude_for_customers)

A provider is called as ``provider(customer_ids=<int64 array>, as_of=<date>)``
and returns a float array aligned with ``customer_ids`` with NaN where it
knows nothing, or None when it has nothing at all. When several providers
answer for one signal, the first non-NaN value wins. With no provider the
run treats the signal as missing: Dick & Basu is ``unknown`` and the churn
score is the weighted mean of the signals that exist — nothing is invented.

The other way round, :data:`run_succeeded` (a Django signal) tells other apps
that a run has finished and its scores and results are stored:
``run_execute`` sends it after the run's transaction, with
``sender=AnalysisRun`` and ``run=<AnalysisRun>``. Work that follows a run
(selling recomputes its association rules and peer shares, which read the
latest run's tiers: :func:`kehu.sales.xsell.on_value_run_succeeded`) connects
to it in its ``AppConfig.ready()``. It is sent robustly: a receiver that fails
is logged and the run stays succeeded — a receiver with slow work queues a job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from django.dispatch import Signal

__all__ = ["SIGNAL_KINDS", "register", "unregister", "collect", "run_succeeded"]

run_succeeded = Signal()

SIGNAL_KINDS = ("attitude", "satisfaction", "open_complaints")

_providers: dict[str, list[Callable]] = {k: [] for k in SIGNAL_KINDS}


def register(kind: str, provider: Callable) -> None:
    if kind not in SIGNAL_KINDS:
        raise ValueError(f"unknown signal {kind!r}; one of {SIGNAL_KINDS}")
    if provider not in _providers[kind]:
        _providers[kind].append(provider)


def unregister(kind: str, provider: Callable) -> None:
    if provider in _providers.get(kind, []):
        _providers[kind].remove(provider)


def collect(kind: str, customer_ids: np.ndarray, as_of: dt.date) -> np.ndarray | None:
    """The signal for each customer (NaN = unknown), or None when no provider knows anything."""
    out = None
    for provider in _providers[kind]:
        values = provider(customer_ids=customer_ids, as_of=as_of)
        if values is None:
            continue
        values = np.asarray(values, dtype=float)
        if values.shape != customer_ids.shape:
            raise ValueError(f"{kind} provider {provider!r} returned {values.shape}, expected {customer_ids.shape}")
        out = values.copy() if out is None else np.where(np.isnan(out), values, out)
    if out is not None and np.isnan(out).all():
        return None
    return out
