"""The gate's rules for many customers at once, a few queries per batch.

In this order, the first that applies decides:

1. consent (:func:`kehu.privacy.consent.hold_reasons`: ``no_consent``,
   ``withdrawn``, ``opted_out``) — the one consent rule, extended here, not
   restated;
2. the suppression list: the customer, or the address the message would go to,
   on that channel (``suppressed``);
3. an address on the channel (``no_address``: e-mail, phone for SMS and
   calls, the postal address for direct mail; WeChat needs none — the list
   carries the phone the contact is found by);
4. the frequency cap, marketing messages only: at most N queued, deferred or
   sent messages per customer and channel in D days (``capped``);
5. quiet hours (e-mail and SMS, the channels Kehu delivers itself): a message
   due inside them is ``deferred`` to their end, not dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max

import kehu.lookups  # noqa: F401 - field__any
from kehu.lookups import array_literal
from kehu.privacy.consent import consent_fields, hold_reasons, row_hold_reason
from .models import Channel, CustomerLanguage, GateSettings, HoldReason, OutboundMessage, Purpose, Status, Suppression

BATCH = 5000   # customers per batch: the lists go as one array parameter each (kehu.lookups)
DELIVERED_HERE = (Channel.EMAIL, Channel.SMS)
CAP_STATUSES = (Status.QUEUED, Status.DEFERRED, Status.SENT)


def normalise_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    if channel == Channel.EMAIL:
        return address.lower()
    if channel in (Channel.SMS, Channel.PHONE, Channel.WECHAT):
        if address.isdigit() or (address[:1] == "+" and address[1:].isdigit()):   # already plain: most are
            return address
        return "".join(ch for ch in address if ch.isdigit() or ch == "+")
    return address


def suppressed(channel: str, customer_ids: Iterable[int], addresses: Iterable[str]) -> tuple[set[int], set[str]]:
    """The customers and (normalised) addresses among those given that are on the list for ``channel``."""
    ids = list({i for i in customer_ids if i})
    addrs = list({normalise_address(channel, a) for a in addresses if a})
    found_ids: set[int] = set()
    found_addrs: set[str] = set()
    for start in range(0, max(len(ids), 1), BATCH):
        chunk = ids[start:start + BATCH]
        if chunk:
            found_ids.update(Suppression.objects.filter(channel=channel, customer_id__any=set(chunk))
                             .values_list("customer_id", flat=True))
    for start in range(0, max(len(addrs), 1), BATCH):
        chunk = addrs[start:start + BATCH]
        if chunk:
            found_addrs.update(Suppression.objects.filter(channel=channel, address__any=set(chunk))
                               .values_list("address", flat=True))
    return found_ids, found_addrs


SUPPRESSION_READ_WHOLE = 50_000   # a list this short is read once per sending, not asked per batch


class SuppressionList:
    """The suppression list of one channel for a sending of many batches: read whole when it has at
    most :data:`SUPPRESSION_READ_WHOLE` entries (the usual case), and read again only when it has
    changed since — each batch asks for its size and newest entry, one small aggregate, so that an
    address suppressed in the middle of a sending holds the next batch as before. ``current()`` is
    ``(customer ids, normalised addresses)``, or None for a long list (then each batch asks for its own
    part, :func:`suppressed`)."""

    def __init__(self, channel: str):
        self.channel, self.version, self.lists = channel, None, None

    def current(self) -> tuple[set[int], set[str]] | None:
        mine = Suppression.objects.filter(channel=self.channel)
        agg = mine.aggregate(n=Count("id"), last=Max("id"))
        version = (agg["n"], agg["last"])
        if version != self.version:
            self.version = version
            if agg["n"] > SUPPRESSION_READ_WHOLE:
                self.lists = None
            else:
                rows = list(mine.values_list("customer_id", "address"))
                self.lists = ({cid for cid, _a in rows if cid},
                              {normalise_address(self.channel, a) for _c, a in rows if a})
        return self.lists


def recent_counts(channel: str, customer_ids: list[int], *, since: dt.datetime) -> dict[int, int]:
    """Customer id → marketing messages queued, deferred or sent on ``channel`` since ``since``.

    On PostgreSQL one count per customer of the batch (``unnest`` of the ids, each counted on the index
    ``(customer, channel, created_at)``): as a single ``customer = ANY(…)`` the planner may instead read
    every queued message of the channel and filter — which it did on a log analysed while nearly empty
    and then filled by a campaign of a million (a quarter of a million rows read per batch)."""
    out: dict[int, int] = {}
    if connection.vendor == "postgresql":
        # channel and status compared as expressions ("|| ''"), so that no index on them (the sending
        # queue's (channel, status, id)) can be taken instead of the customer's
        sql = (f"SELECT c.id, (SELECT count(*) FROM {OutboundMessage._meta.db_table} m WHERE m.customer_id = c.id"
               " AND m.created_at >= %s AND (m.channel || '') = %s AND m.purpose = %s"
               " AND (m.status || '') = ANY(%s::text[])) FROM unnest(%s::bigint[]) AS c(id)")
        statuses = array_literal(str(s) for s in CAP_STATUSES)
        with connection.cursor() as cursor:
            for start in range(0, len(customer_ids), BATCH):
                ids = "{" + ",".join(map(str, set(customer_ids[start:start + BATCH]))) + "}"
                cursor.execute(sql, [since, channel, Purpose.MARKETING.value, statuses, ids])
                out.update((cid, n) for cid, n in cursor.fetchall() if n)
        return out
    for start in range(0, len(customer_ids), BATCH):
        rows = (OutboundMessage.objects.filter(customer_id__any=set(customer_ids[start:start + BATCH]), channel=channel,
                                               created_at__gte=since, purpose=Purpose.MARKETING,
                                               status__in=CAP_STATUSES)
                .values("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))
        out.update(rows)
    return out


def languages(customer_ids: list[int], default: str) -> dict[int, str]:
    """Customer id → language (the newest choice recorded, else ``default``)."""
    out: dict[int, str] = {}
    for start in range(0, len(customer_ids), BATCH):
        for cid, language in (CustomerLanguage.objects.filter(customer_id__any=set(customer_ids[start:start + BATCH]))
                              .order_by("customer_id", "id").values_list("customer_id", "language")):
            out[cid] = language   # ordered by id: the newest is last
    return {cid: out.get(cid, default) for cid in customer_ids}


def quiet_until(gate: GateSettings, channel: str, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours ``now`` falls in (for a channel delivered here), else None."""
    if not gate.quiet_enabled or channel not in DELIVERED_HERE or gate.quiet_start == gate.quiet_end:
        return None
    tz = ZoneInfo(getattr(settings, "KEHU_DISPLAY_TIME_ZONE", None) or settings.TIME_ZONE)
    local = now.astimezone(tz)
    t = local.time()
    start, end = gate.quiet_start, gate.quiet_end
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if (start < end or t < end) else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=tz).astimezone(dt.timezone.utc)


def decide(*, channel: str, purpose: str, customers: list[dict], addresses: dict[int, str], gate: GateSettings,
           now: dt.datetime, suppression: tuple[set[int], set[str]] | None = None,
           ) -> dict[int, tuple[str, str, dt.datetime | None]]:
    """Customer id → ``(status, reason, due_at)`` for one batch: ``queued`` (go ahead),
    ``held`` with the reason, or ``deferred`` with the instant the quiet hours end.
    ``customers`` are dicts with at least ``id`` (with the consent fields of
    :func:`kehu.privacy.consent.consent_fields` as well, consent is read from them rather than asked
    again); ``addresses`` the address each would get; ``suppression`` the whole list of the channel
    read beforehand (:class:`SuppressionList`), else the batch's part of it is asked for."""
    ids = [c["id"] for c in customers]
    fields = consent_fields(channel)
    if customers and all(f in customers[0] for f in fields):
        consent = {c["id"]: reason for c in customers
                   if (reason := row_hold_reason(c, channel=channel, purpose=purpose))}
    else:
        consent = hold_reasons(ids, channel=channel, purpose=purpose)
    supp_ids, supp_addrs = suppression or suppressed(channel, ids, addresses.values())
    cap, days = gate.cap(channel)
    counts = recent_counts(channel, ids, since=now - dt.timedelta(days=days)) \
        if purpose == Purpose.MARKETING and cap else {}
    deferred_to = quiet_until(gate, channel, now)
    out: dict[int, tuple[str, str, dt.datetime | None]] = {}
    for cid in ids:
        address = addresses.get(cid, "")
        if consent.get(cid):
            out[cid] = (Status.HELD, consent[cid], None)
        elif cid in supp_ids or (address and normalise_address(channel, address) in supp_addrs):
            out[cid] = (Status.HELD, HoldReason.SUPPRESSED, None)
        elif not address and channel != Channel.WECHAT:
            out[cid] = (Status.HELD, HoldReason.NO_ADDRESS, None)
        elif purpose == Purpose.MARKETING and cap and counts.get(cid, 0) >= cap:
            out[cid] = (Status.HELD, HoldReason.CAPPED, None)
        elif deferred_to is not None:
            out[cid] = (Status.DEFERRED, "", deferred_to)
        else:
            out[cid] = (Status.QUEUED, "", None)
    return out
