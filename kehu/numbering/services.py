"""Automatic codes for customers (``C`` + 8 digits) and orders (``SO`` + 9 digits).

Each series has one :class:`~kehu.numbering.models.Counter` row holding the last number given
out. :func:`number_reserve` takes the next numbers under a lock on that row — ``SELECT … FOR
UPDATE`` on PostgreSQL; on SQLite every transaction of Kehu's begins ``IMMEDIATE`` (kehu/dburl.py)
and so already holds the one write lock — so two requests at once never get the same number,
and a bulk path (an import, the demo) takes a whole block in one step.

A code somebody typed by hand never blocks the counter: numbers whose code is already taken
(``C00000005`` typed into the form, say) are skipped, and a typed ``C99999999`` is just one
more taken code, not the highest number the next one is counted from (the old way, which then
gave ``C100000000`` for ever). Past the width the numbers simply get longer (``C100000000``).

The counter starts from the highest code of the series' form in the data (migration
``numbering.0002_seed_counters``, and again whenever the row is missing).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models.functions import Length

from kehu.numbering.models import Counter

CHUNK = 5000


@dataclass(frozen=True)
class Series:
    name: str
    prefix: str
    width: int
    model: str          # app_label.Model whose ``ref`` holds the codes

    def code(self, n: int) -> str:
        return f"{self.prefix}{n:0{self.width}d}"

    def highest_in_use(self) -> int:
        """The highest number of the codes in this series' form (prefix + at least ``width``
        digits) in the data, 0 when there are none."""
        model = apps.get_model(self.model)
        last = (model.objects.filter(ref__regex=rf"^{self.prefix}[0-9]{{{self.width},}}$")
                .annotate(ref_length=Length("ref")).order_by("-ref_length", "-ref")
                .values_list("ref", flat=True).first())
        return int(last[len(self.prefix):]) if last else 0


SERIES = {
    "customer": Series("customer", "C", 8, "customers.Customer"),
    "order": Series("order", "SO", 9, "sales.Order"),
    "quote": Series("quote", "QT", 9, "sales.Quote"),
}


def case_series(day) -> str:
    """The series of case numbers registered on ``day``: ``CS`` + the date + 5 digits
    (``CS2026120500001``), one counter per day."""
    return f"case-{day:%Y%m%d}"


def _series(name: str) -> Series:
    """A fixed series of :data:`SERIES`, or a day's case series (``case-20261205``)."""
    if name in SERIES:
        return SERIES[name]
    if name.startswith("case-") and len(name) == 13 and name[5:].isdigit():
        return Series(name, f"CS{name[5:]}", 5, "service.Case")
    raise KeyError(name)


def _locked_counter(series: Series) -> Counter:
    """The series' counter row, locked until the transaction ends; created (from the data)
    when missing."""
    try:
        return Counter.objects.select_for_update().get(name=series.name)
    except Counter.DoesNotExist:
        pass
    try:
        with transaction.atomic():      # a savepoint: another process may create it meanwhile
            Counter.objects.create(name=series.name, value=series.highest_in_use())
    except IntegrityError:
        pass
    return Counter.objects.select_for_update().get(name=series.name)


def number_reserve(*, series: str, count: int = 1, avoid: Collection[str] = ()) -> list[str]:
    """Take the next ``count`` codes of ``series`` (``"customer"``, ``"order"`` or a day's cases,
    :func:`case_series`), in order,
    skipping codes already used in the data and the codes in ``avoid`` (those of a file being
    imported, say). Atomic: run in a transaction of its own when the caller has none, so the
    lock is held only for this."""
    s = _series(series)
    if count <= 0:
        return []
    model = apps.get_model(s.model)
    avoid = set(avoid)
    with transaction.atomic():
        counter = _locked_counter(s)
        n = counter.value
        codes: list[str] = []
        while len(codes) < count:
            want = min(count - len(codes), CHUNK)
            candidates = [s.code(n + i) for i in range(1, want + 1)]
            n += want
            taken = set(model.objects.filter(ref__in=candidates).values_list("ref", flat=True))
            codes.extend(c for c in candidates if c not in taken and c not in avoid)
        counter.value = n
        counter.save(update_fields=["value", "updated_at"])
    return codes


def next_code(series: str) -> str:
    """One new code of ``series``."""
    return number_reserve(series=series)[0]


def save_numbered(obj, *, series: str | None, taken: str) -> None:
    """Insert ``obj`` (a customer or an order, already ``full_clean()``-ed). Somebody may have
    taken its code since the check — typed by hand at the same moment: a code of the counter
    (``series`` given) is then replaced by the next one; a code typed by hand (``series``
    None) becomes the field error ``taken`` instead of a server error."""
    from django.core.exceptions import ValidationError

    for attempt in range(5):
        try:
            with transaction.atomic():      # a savepoint: the caller's transaction goes on
                obj.save(force_insert=True)
            return
        except IntegrityError:
            obj.pk = None
            if not type(obj).objects.filter(ref=obj.ref).exists():
                raise                       # another constraint: not ours to explain
            if series is None or attempt == 4:
                raise ValidationError({"ref": taken}) from None
            obj.ref = next_code(series)


def number_floor(series: str) -> int:
    """The highest number of ``series`` given out or in use: a bulk writer that makes its own
    codes (``kehu bench generate``) starts above it and then calls :func:`number_advance`."""
    s = _series(series)
    counter = Counter.objects.filter(name=s.name).values_list("value", flat=True).first() or 0
    return max(counter, s.highest_in_use())


def number_advance(*, series: str, to: int) -> None:
    """Raise the counter of ``series`` to at least ``to`` (numbers a bulk writer has used)."""
    with transaction.atomic():
        counter = _locked_counter(_series(series))
        if counter.value < to:
            counter.value = to
            counter.save(update_fields=["value", "updated_at"])


def number_rewind(*, series: str) -> None:
    """Set the counter of ``series`` back to the highest code in use, after a bulk delete
    (``kehu demo --reset``): the deleted records' numbers are given out again."""
    s = _series(series)
    with transaction.atomic():
        counter = _locked_counter(s)
        counter.value = s.highest_in_use()
        counter.save(update_fields=["value", "updated_at"])
