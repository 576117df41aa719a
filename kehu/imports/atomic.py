"""The imports' write step: all of it in one transaction, or nothing.

:func:`kehu.imports.services.import_customers` and ``import_orders`` write
inside :func:`write_all_or_nothing`: the import's run record is saved first
(so the rows written can carry its id), the caller writes every customer,
order, line, tag and audit row, and ``finish`` (which marks the run done and
saves its report) runs last, still inside the transaction. Anything raised
before the end — a database error, a full disk, an interrupted worker —
rolls back the whole write, the run record with it; a failed import leaves
nothing behind.

Kept apart from the importer so that mutation testing (docs/testing.md) can
mutate exactly this step.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from django.db import transaction


@contextmanager
def write_all_or_nothing(run, finish: Callable[[], None]) -> Iterator[None]:
    """One transaction round the import's write: ``run.save()`` first, the caller's writes, ``finish()`` last."""
    with transaction.atomic():
        run.save()
        yield
        finish()
