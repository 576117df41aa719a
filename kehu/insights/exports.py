"""Exports of Customer value lists to CSV and Excel: the scores, the churn
list and a segment's members, each exactly what the viewer may see.

Rows are produced as the database hands them over (``iterator``), so a list
of a million scores streams as CSV without holding it in memory; .xlsx goes
through openpyxl's write-only mode. Headers and group names are in the
user's language (these files are read by people, not imported again);
amounts are plain decimals, dates ISO 8601. The CSV and .xlsx writers are
the shared ones of :mod:`kehu.exports.writers` (UTF-8 with a byte-order mark
for Excel, formula injection neutralised), and every download is audited.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.exports.http import export_response as audited_export_response
from kehu.insights.explain import churn_reasons
from kehu.insights.models import CustomerScore

CHUNK = 2000
FORMATS = ("csv", "xlsx")


def _score_columns():
    """(header, getter) of a score row; the getters read a score with its customer."""
    def label(score, field):
        return getattr(score, f"get_{field}_display")() if getattr(score, field) else ""

    return [
        (_("Customer code"), lambda s: s.customer.ref),
        (_("Customer"), lambda s: s.customer.name),
        (_("Owner"), lambda s: (s.customer.owner.username if s.customer.owner_id else "")),
        (_("Region"), lambda s: s.customer.get_region_display() if s.customer.region else ""),
        (_("Value tier"), lambda s: label(s, "tier")),
        (_("ABC class"), lambda s: s.abc_class),
        (_("RFM group"), lambda s: label(s, "rfm_group")),
        (_("R score"), lambda s: s.r_score), (_("F score"), lambda s: s.f_score), (_("M score"), lambda s: s.m_score),
        (_("Revenue"), lambda s: s.revenue), (_("Gross margin"), lambda s: s.gross_margin),
        (pgettext("count", "Orders"), lambda s: s.orders), (_("Purchase days"), lambda s: s.purchase_days),
        (_("First order"), lambda s: s.first_order), (_("Last order"), lambda s: s.last_order),
        (_("Days since last purchase"), lambda s: s.recency_days),
        (_("Probability still active"), lambda s: None if s.p_alive is None else round(s.p_alive, 4)),
        (_("Expected purchases"), lambda s: None if s.expected_purchases is None else round(s.expected_purchases, 3)),
        (_("Expected spend per purchase"), lambda s: s.expected_spend),
        (_("Predicted lifetime value"), lambda s: s.clv),
        (_("Usual days between purchases"), lambda s: None if s.rhythm_days is None else round(s.rhythm_days, 1)),
        (_("Expected next order"), lambda s: s.next_order_date),
        (_("Churn risk"), lambda s: None if s.churn_risk is None else round(s.churn_risk, 4)),
        (_("Churn reasons"), lambda s: "; ".join(churn_reasons(s))),
        (_("Revenue at risk"), lambda s: s.revenue_at_risk),
        (_("Scorecard points"), lambda s: s.scorecard),
        (_("Loyalty (Dick & Basu)"), lambda s: label(s, "dick_basu")),
        (_("Relationship (Reinartz & Kumar)"), lambda s: label(s, "reinartz_kumar")),
    ]


def score_rows(scores) -> Iterator[list]:
    """The header, then one row per score of the (ordered, scoped) queryset."""
    columns = _score_columns()
    yield [h for h, _g in columns]
    qs = scores.select_related("customer", "customer__owner")
    for score in qs.iterator(chunk_size=CHUNK):
        yield [g(score) for _h, g in columns]


def member_rows(members, run) -> Iterator[list]:
    """The header, then one row per member customer, with their scores in
    ``run`` when it scored them (blank otherwise)."""
    columns = _score_columns()
    yield [h for h, _g in columns]
    batch = []

    def flush(customers):
        scores = {}
        if run is not None:
            scores = {s.customer_id: s for s in CustomerScore.objects.filter(
                run=run, customer_id__in=[c.pk for c in customers])}
        for customer in customers:
            score = scores.get(customer.pk)
            if score is None:
                score = CustomerScore(customer=customer)
            score.customer = customer
            yield [g(score) for _h, g in columns]

    for customer in members.select_related("owner").order_by("ref", "id").iterator(chunk_size=CHUNK):
        batch.append(customer)
        if len(batch) >= CHUNK:
            yield from flush(batch)
            batch = []
    if batch:
        yield from flush(batch)


def export_response(request, rows: Iterable[list], *, export: str, name: str, fmt: str, sheet: str,
                    object_id: int | None = None):
    """An audited HTTP download of ``rows`` as ``fmt`` (csv streams; xlsx is
    built in a temporary file that spills to disk past a few megabytes)."""
    stamp = timezone.localdate().isoformat()
    return audited_export_response(request, rows, export=export, fmt=fmt, filename=f"{name}-{stamp}", sheet=sheet,
                                   object_id=object_id)
