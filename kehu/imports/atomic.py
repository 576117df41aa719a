"""The imports' write step: all of it in one transaction, or nothing.

:func:`kehu.imports.services.import_customers` and ``import_orders`` write
inside :class:`write_all_or_nothing`: the import's run record is saved first
(so the rows written can carry its id), the caller writes every customer,
order, line, tag and audit row, and ``finish`` (which marks the run done and
saves its report) runs last, still inside the transaction. Anything raised
before the end — a database error, a full disk, an interrupted worker, or
``finish`` itself — rolls back the whole write, the run record with it; a
failed import leaves nothing behind, and the exception goes on to the caller.

Kept apart from the importer so that mutation testing (docs/testing.md) can
mutate exactly this step. It is a small class rather than a
``@contextmanager`` generator because mutmut does not mutate decorated
functions.
"""

from __future__ import annotations

from typing import Callable

from django.db import transaction


class write_all_or_nothing:  # lower case: used like the function it replaces, ``with write_all_or_nothing(run, finish):``
    """One transaction round the import's write: ``run.save()`` first, the caller's writes, ``finish()`` last."""

    def __init__(self, run, finish: Callable[[], None]) -> None:
        self.run = run
        self.finish = finish
        self.atomic = transaction.atomic()

    def __enter__(self) -> None:
        self.atomic.__enter__()
        try:
            self.run.save()
        except BaseException as error:
            self.atomic.__exit__(type(error), error, error.__traceback__)
            raise

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.finish()
            except BaseException as error:
                self.atomic.__exit__(type(error), error, error.__traceback__)
                raise
        self.atomic.__exit__(exc_type, exc, tb)
