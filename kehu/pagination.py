"""Keyset (cursor) pagination shared by the web pages and the API.

Offsets get slower the deeper you page (the database must skip every row
before the page); a keyset page starts where the last one stopped, using the
same index as the ordering, so page 40,000 costs what page 1 costs.

A cursor is an opaque URL-safe string holding the ordering values of the
row to continue after, and the direction.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from django.db.models import F, Q, QuerySet
# Django 5.2's row-value lookups (made for composite primary keys): (a, b) > (x, y).
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan


class InvalidCursor(ValueError):
    pass


def _encode_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return {"dt": v.isoformat()}
    if isinstance(v, dt.date):
        return {"d": v.isoformat()}
    if isinstance(v, Decimal):
        return {"dec": str(v)}
    return v


def _decode_value(v: Any) -> Any:
    if isinstance(v, dict):
        if "dt" in v:
            return dt.datetime.fromisoformat(v["dt"])
        if "d" in v:
            return dt.date.fromisoformat(v["d"])
        if "dec" in v:
            return Decimal(v["dec"])
        raise InvalidCursor("bad value")
    return v


def encode_cursor(values: Sequence[Any], direction: str, tier: int = 0) -> str:
    data: dict[str, Any] = {"v": [_encode_value(v) for v in values], "d": direction}
    if tier:
        data["t"] = tier
    raw = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[list[Any], str]:
    values, direction, _tier = decode_tiered_cursor(cursor)
    return values, direction


def decode_tiered_cursor(cursor: str) -> tuple[list[Any], str, int]:
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad))
        values = [_decode_value(v) for v in data["v"]]
        direction = data["d"]
        tier = data.get("t", 0)
        if direction not in ("n", "p"):
            raise InvalidCursor("bad direction")
        if not isinstance(tier, int) or isinstance(tier, bool) or tier < 0:
            raise InvalidCursor("bad tier")
        return values, direction, tier
    except InvalidCursor:
        raise
    except Exception as exc:  # any malformed input
        raise InvalidCursor(str(exc)) from None


def _after_q(ordering: Sequence[str], values: Sequence[Any], forward: bool) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (or before, if not forward).

    When every field runs in the same direction this is one row-value
    comparison, ``(a, b) > (x, y)``, which PostgreSQL answers with an index
    range scan starting at the cursor; the equivalent ``a > x OR (a = x AND
    b > y)`` makes it scan the index from the start and filter, so a page deep
    in a million rows took a second. (SQLite gets the expanded form from
    Django's fallback.)
    """
    descending = {f.startswith("-") for f in ordering}
    names = [f.lstrip("-") for f in ordering]
    if len(descending) == 1:
        ascending_step = (not descending.pop()) == forward
        lookup = TupleGreaterThan if ascending_step else TupleLessThan
        return Q(lookup(Tuple(*(F(n) for n in names)), list(values)))
    q = Q()
    for i, field in enumerate(ordering):
        desc = field.startswith("-")
        name = names[i]
        # ascending & forward → gt; descending & forward → lt; reversed when backward
        ascending_step = (not desc) == forward
        op = "gt" if ascending_step else "lt"
        term = Q(**{f"{name}__{op}": values[i]})
        for j in range(i):
            term &= Q(**{names[j]: values[j]})
        q |= term
    return q


@dataclass
class Page:
    items: list
    next_cursor: str | None
    prev_cursor: str | None
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None


@dataclass(frozen=True)
class Tier:
    """One part of a tiered list: the rows matching ``q``, in ``ordering``.

    A search for ``zs`` lists exact customer codes first, then names whose
    pinyin initials start with ``zs``, then names whose full pinyin does, each
    part in the order of its own index. Paging part by part keeps every page a
    range scan of one index, however many rows match; one ``OR`` over the
    parts, sorted by name, would have to read and sort every match.
    """

    q: Q
    ordering: tuple[str, ...]


def _reverse(ordering: Sequence[str]) -> list[str]:
    return [f[1:] if f.startswith("-") else "-" + f for f in ordering]


def keyset_page(qs: QuerySet, *, ordering: Sequence[str], cursor: str | None, page_size: int) -> Page:
    """One page of ``qs`` in ``ordering`` (the last field must be unique, e.g. ``id``)."""
    return tiered_keyset_page(qs, tiers=[Tier(Q(), tuple(ordering))], cursor=cursor, page_size=page_size)


def tiered_keyset_page(qs: QuerySet, *, tiers: Sequence[Tier], cursor: str | None, page_size: int) -> Page:
    """One page of ``qs`` listed tier after tier (see :class:`Tier`).

    Tiers must not overlap (each tier's ``q`` excludes the earlier ones) and
    each ordering must end in a unique field. The cursor holds the tier and
    the sort values of the row to continue from; a page may span tiers.
    """
    forward, values, start = True, None, 0
    if cursor:
        values, direction, start = decode_tiered_cursor(cursor)
        if start >= len(tiers) or len(values) != len(tiers[start].ordering):
            raise InvalidCursor("cursor does not match ordering")
        forward = direction == "n"
    rows: list[tuple[int, Any]] = []
    order_of_tiers = range(start, len(tiers)) if forward else range(start, -1, -1)
    for t in order_of_tiers:
        tier = tiers[t]
        part = qs.filter(tier.q) if tier.q else qs
        if values is not None and t == start:
            part = part.filter(_after_q(tier.ordering, values, forward))
        order = list(tier.ordering) if forward else _reverse(tier.ordering)
        need = page_size + 1 - len(rows)
        rows.extend((t, row) for row in part.order_by(*order)[:need])
        if len(rows) > page_size:
            break
    more = len(rows) > page_size
    rows = rows[:page_size]
    if not forward:
        rows.reverse()

    def key(t: int, row) -> list:
        names = [f.lstrip("-") for f in tiers[t].ordering]
        return [row[n] if isinstance(row, dict) else getattr(row, n) for n in names]

    next_cursor = prev_cursor = None
    if rows:
        if (forward and more) or (not forward and values is not None):
            next_cursor = encode_cursor(key(*rows[-1]), "n", rows[-1][0])
        if (forward and values is not None) or (not forward and more):
            prev_cursor = encode_cursor(key(*rows[0]), "p", rows[0][0])
    return Page(items=[row for _t, row in rows], next_cursor=next_cursor, prev_cursor=prev_cursor,
                page_size=page_size)


def capped_count(qs: QuerySet, cap: int = 10000) -> tuple[int, bool]:
    """Count up to ``cap`` rows: ``(n, more)``. Exact counts of a million rows
    take longer than the page itself; past the cap the page says "10,000+"."""
    n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap
