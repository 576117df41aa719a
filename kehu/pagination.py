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

from django.db.models import Q, QuerySet


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


def encode_cursor(values: Sequence[Any], direction: str) -> str:
    raw = json.dumps({"v": [_encode_value(v) for v in values], "d": direction}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[list[Any], str]:
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad))
        values = [_decode_value(v) for v in data["v"]]
        direction = data["d"]
        if direction not in ("n", "p"):
            raise InvalidCursor("bad direction")
        return values, direction
    except InvalidCursor:
        raise
    except Exception as exc:  # any malformed input
        raise InvalidCursor(str(exc)) from None


def _after_q(ordering: Sequence[str], values: Sequence[Any], forward: bool) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (or before, if not forward)."""
    q = Q()
    for i, field in enumerate(ordering):
        desc = field.startswith("-")
        name = field.lstrip("-")
        # ascending & forward → gt; descending & forward → lt; reversed when backward
        ascending_step = (not desc) == forward
        op = "gt" if ascending_step else "lt"
        term = Q(**{f"{name}__{op}": values[i]})
        for j in range(i):
            term &= Q(**{ordering[j].lstrip("-"): values[j]})
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


def keyset_page(qs: QuerySet, *, ordering: Sequence[str], cursor: str | None, page_size: int) -> Page:
    """One page of ``qs`` in ``ordering`` (the last field must be unique, e.g. ``id``)."""
    names = [f.lstrip("-") for f in ordering]
    forward = True
    values = None
    if cursor:
        values, direction = decode_cursor(cursor)
        if len(values) != len(ordering):
            raise InvalidCursor("cursor does not match ordering")
        forward = direction == "n"
    order = list(ordering) if forward else [f[1:] if f.startswith("-") else "-" + f for f in ordering]
    page_qs = qs
    if values is not None:
        page_qs = page_qs.filter(_after_q(ordering, values, forward))
    rows = list(page_qs.order_by(*order)[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    if not forward:
        rows.reverse()

    def key(row):
        return [getattr(row, n) if not isinstance(row, dict) else row[n] for n in names]

    next_cursor = prev_cursor = None
    if rows:
        if (forward and more) or (not forward and values is not None):
            next_cursor = encode_cursor(key(rows[-1]), "n")
        if (forward and values is not None) or (not forward and more):
            prev_cursor = encode_cursor(key(rows[0]), "p")
    return Page(items=rows, next_cursor=next_cursor, prev_cursor=prev_cursor, page_size=page_size)


def capped_count(qs: QuerySet, cap: int = 10000) -> tuple[int, bool]:
    """Count up to ``cap`` rows: ``(n, more)``. Exact counts of a million rows
    take longer than the page itself; past the cap the page says "10,000+"."""
    n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap
