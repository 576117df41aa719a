"""Quotes (报价单): the services — money to the fen, the life of a quote, the discount ceiling
and its approval, versions, acceptance into an order, conflicts and the one policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from kehu.audit.models import AuditEvent
from kehu.engagement.models import Task
from kehu.sales import terms
from kehu.sales.models import Product, ProductLine, Quote, QuoteStatus
from kehu.sales.opportunities import opportunity_create
from kehu.sales.quote_selectors import quote_get, quote_list
from kehu.sales.quotes import (
    QuoteActionNotAllowed, QuoteConflict, quote_accept, quote_approve, quote_create, quote_new_version, quote_reject,
    quote_send, quote_submit, quote_update, quotes_expire,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    steel = ProductLine.objects.create(code="coil", name="Coil")                       # 13 % by default
    farm = ProductLine.objects.create(code="agri", name="Agricultural", vat_rate=D("9"))
    return {
        "coil": Product.objects.create(ref="Q235-HR", name="Q235 hot-rolled coil", line=steel, unit="t",
                                       unit_price=D("4123.45"), unit_cost=D("3800")),
        "wire": Product.objects.create(ref="AG-W", name="Fence wire", line=farm, unit="t", unit_price=D("3456.78")),
    }


@pytest.fixture
def ceiling(monkeypatch):
    def _set(value):
        monkeypatch.setattr(terms, "customer_terms", lambda customer: terms.Terms(
            discount_ceiling=None if value is None else D(value)))
    _set("5")
    return _set


def _quote(org, customers, catalogue, discount="3", **data):
    return quote_create(actor=org.users.sales_n1, customer=customers.n1, data=data, lines=[
        {"product": catalogue["coil"], "quantity": "12.345", "discount": discount},
        {"product": catalogue["wire"], "quantity": "2.5"}])


def test_create_prices_lines_line_by_line(org, customers, catalogue):
    q = _quote(org, customers, catalogue)
    assert q.ref.startswith("QT") and q.revision == 1 and q.status == QuoteStatus.DRAFT
    assert q.valid_until == q.issued_on + dt.timedelta(days=30) and q.owner == org.users.sales_n1
    lines = list(q.lines.order_by("id"))
    # worked by hand in tests/analytics/test_quote_math.py
    assert (lines[0].unit_price, lines[0].vat_rate, lines[0].amount, lines[0].tax) == (
        D("4123.45"), D("13"), D("49376.87"), D("6418.99"))
    assert (lines[1].vat_rate, lines[1].amount, lines[1].tax) == (D("9"), D("8641.95"), D("777.78"))
    assert (q.amount, q.tax, q.total) == (D("58018.82"), D("7196.77"), D("65215.59"))
    assert AuditEvent.objects.filter(entity="quote", entity_id=q.pk, action="create",
                                     customer_id=customers.n1.pk).exists()


def test_line_errors_name_the_field(org, customers, catalogue):
    for bad, key in (({"discount": "101"}, "lines.1.discount"), ({"quantity": "0"}, "lines.1.quantity"),
                     ({"vat_rate": "x"}, "lines.1.vat_rate"), ({"unit_price": "1.001"}, "lines.1.unit_price")):
        with pytest.raises(ValidationError) as exc:
            quote_create(actor=org.users.sales_n1, customer=customers.n1, data={},
                         lines=[{"product": catalogue["coil"], **bad}])
        assert key in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        quote_create(actor=org.users.sales_n1, customer=customers.n1,
                     data={"issued_on": dt.date(2026, 12, 5), "valid_until": dt.date(2026, 12, 1)})
    assert "valid_until" in exc.value.message_dict


def test_within_ceiling_is_approved_then_sent_and_accepted_into_an_order(org, customers, catalogue, ceiling,
                                                                           pipeline, line):
    opp = opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "Coil 2027"},
                             lines=[{"product_line": line, "amount": "60000"}])
    q = _quote(org, customers, catalogue, opportunity=opp)
    quote_submit(actor=org.users.sales_n1, quote=q)
    assert q.status == QuoteStatus.APPROVED and q.discount_ceiling == D("5")
    quote_send(actor=org.users.sales_n1, quote=q, version=q.version)
    assert q.status == QuoteStatus.SENT and q.sent_at
    quote_accept(actor=org.users.sales_n1, quote=q, version=q.version)
    assert q.status == QuoteStatus.ACCEPTED
    order = q.order
    assert order.amount == q.total == D("65215.59")     # the order's amount includes VAT
    assert [ln.amount for ln in order.lines.order_by("id")] == [D("55795.86"), D("9419.73")]
    assert order.lines.first().product == catalogue["coil"] and order.lines.first().quantity == D("12.345")
    opp.refresh_from_db()
    assert opp.stage.outcome == "won"
    with pytest.raises(QuoteActionNotAllowed):
        quote_new_version(actor=org.users.sales_n1, quote=q)


def test_over_ceiling_waits_for_the_team_manager(org, customers, catalogue, ceiling):
    q = _quote(org, customers, catalogue, discount="8")
    quote_submit(actor=org.users.sales_n1, quote=q)
    assert q.status == QuoteStatus.PENDING
    task = Task.objects.get(source_ref__quote=q.pk)
    assert task.assigned_to == org.users.north_manager and task.status == "open"   # n1's nearest manager
    with pytest.raises(QuoteActionNotAllowed):
        quote_send(actor=org.users.sales_n1, quote=q)
    with pytest.raises(QuoteActionNotAllowed):
        quote_accept(actor=org.users.sales_n1, quote=q)
    for who in (org.users.sales_n1, org.users.east_manager, org.users.analyst):
        with pytest.raises(PermissionDenied):
            quote_approve(actor=who, quote=q)
    quote_approve(actor=org.users.north_manager, quote=q, note="Year-end volume")
    assert q.status == QuoteStatus.APPROVED and q.approved_by == org.users.north_manager
    task.refresh_from_db()
    assert task.status == "done"
    assert AuditEvent.objects.filter(entity="quote", entity_id=q.pk, action="approve").exists()


def test_the_manager_refuses_back_to_draft_and_the_customer_rejects(org, customers, catalogue, ceiling):
    q = _quote(org, customers, catalogue, discount="8")
    quote_submit(actor=org.users.sales_n1, quote=q)
    quote_reject(actor=org.users.north_manager, quote=q, note="At most 5 %")
    assert q.status == QuoteStatus.DRAFT and q.approval_note == "At most 5 %"
    quote_update(actor=org.users.sales_n1, quote=q, data={}, version=q.version, lines=[
        {"product": catalogue["coil"], "quantity": "10", "discount": "5"}])
    quote_submit(actor=org.users.sales_n1, quote=q)
    assert q.status == QuoteStatus.APPROVED
    quote_reject(actor=org.users.sales_n1, quote=q, note="Too dear")
    assert q.status == QuoteStatus.REJECTED


def test_no_ceiling_needs_no_approval(org, customers, catalogue, ceiling):
    ceiling(None)
    q = _quote(org, customers, catalogue, discount="40")
    quote_submit(actor=org.users.sales_n1, quote=q)
    assert q.status == QuoteStatus.APPROVED


def test_new_version_copies_lines_and_keeps_the_old(org, customers, catalogue, ceiling):
    q = _quote(org, customers, catalogue)
    quote_submit(actor=org.users.sales_n1, quote=q)
    v2 = quote_new_version(actor=org.users.sales_n1, quote=q, version=q.version)
    q.refresh_from_db()
    assert q.status == QuoteStatus.SUPERSEDED and q.lines.count() == 2
    assert (v2.ref, v2.revision, v2.previous, v2.status) == (q.ref, 2, q, QuoteStatus.DRAFT)
    assert v2.total == q.total and v2.lines.count() == 2
    with pytest.raises(QuoteActionNotAllowed):
        quote_new_version(actor=org.users.sales_n1, quote=q)


def test_stale_version_is_a_conflict_and_only_drafts_change(org, customers, catalogue, ceiling):
    q = _quote(org, customers, catalogue)
    quote_update(actor=org.users.sales_n1, quote=q, data={"title": "Coil"}, version=q.version)
    with pytest.raises(QuoteConflict):
        quote_update(actor=org.users.sales_n1, quote=q, data={"title": "Again"}, version=1)
    quote_submit(actor=org.users.sales_n1, quote=q)
    with pytest.raises(QuoteActionNotAllowed):
        quote_update(actor=org.users.sales_n1, quote=q, data={"title": "Late"})


def test_expiry(org, customers, catalogue, ceiling):
    q = _quote(org, customers, catalogue, issued_on=dt.date(2026, 1, 1), valid_until=dt.date(2026, 1, 31))
    quote_submit(actor=org.users.sales_n1, quote=q)
    with pytest.raises(QuoteActionNotAllowed):
        quote_accept(actor=org.users.sales_n1, quote=q)
    assert quotes_expire(today=dt.date(2026, 2, 1)) == 1
    q.refresh_from_db()
    assert q.status == QuoteStatus.EXPIRED


def test_policy(org, customers, catalogue):
    q = _quote(org, customers, catalogue)
    u = org.users
    for who in (u.sales_n1, u.north_manager, u.hq_manager, u.admin, u.analyst, u.north_marketing):
        assert quote_get(viewer=who, pk=q.pk) == q
    for who in (u.sales_e1, u.sales_n1b, u.east_manager):
        with pytest.raises(Http404):
            quote_get(viewer=who, pk=q.pk)
        assert not quote_list(viewer=who).exists()
    for who in (u.analyst, u.north_marketing, u.sales_e1):
        with pytest.raises(PermissionDenied):
            quote_update(actor=who, quote=q, data={"title": "x"})
    with pytest.raises(PermissionDenied):
        quote_create(actor=u.sales_e1, customer=customers.n1, data={})


def test_the_daily_task_expires_quotes(org, customers, catalogue, ceiling):
    from kehu.sales.tasks import expire_quotes_periodic

    q = _quote(org, customers, catalogue, issued_on=dt.date(2020, 1, 1), valid_until=dt.date(2020, 1, 31))
    quote_submit(actor=org.users.sales_n1, quote=q)
    assert expire_quotes_periodic.call_local() == 1
    q.refresh_from_db()
    assert q.status == QuoteStatus.EXPIRED
