"""Service analytics: the one-pass groupings of PostgreSQL (``GROUPING SETS``) give
the same rows as the plain ``GROUP BY`` queries used elsewhere, on the hand-built
cases of tests/service/test_analytics.py and a few more (a sub-category, products of
two lines and of none, compensation on some complaints only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from kehu.service.analytics import AnalyticsFilters, _bounds, _scoped_cases, case_groups, service_report
from kehu.service.models import Case, CaseCategory
from tests.factories import ProductFactory
from tests.service.conftest import make_case
from tests.service.test_analytics import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

D = dt.timedelta(days=1)
H = dt.timedelta(hours=1)


@pytest.fixture
def more(org, customers, world):  # noqa: F811
    """A sub-category of Billing, products of two lines and one without a line."""
    now = timezone.now()
    billing = CaseCategory.objects.get(code="billing-x")
    sub = CaseCategory.objects.create(code="billing-x-refund", name_en="Refunds", name_zh="退款", parent=billing)
    p1, p2 = ProductFactory(), ProductFactory()
    p3 = ProductFactory(line=p1.line)
    p4 = ProductFactory(line=None)
    u = org.users
    rows = [
        (customers.n1, u.sales_n1, "complaint", sub, p1, "process", Decimal("20.00"), 3 * D),
        (customers.n1, u.sales_n1, "complaint", sub, p3, "product", None, 70 * D),
        (customers.e1, u.sales_e1, "complaint", billing, p2, "", Decimal("5.50"), 12 * D),
        (customers.e1, u.sales_e1, "service", None, p4, "", None, 200 * D),
        (None, u.sales_n1, "complaint", None, None, "", None, 1 * D),
    ]
    for customer, actor, kind, category, product, cause, comp, ago in rows:
        c = make_case(actor, customer, kind=kind, subject="More", **({} if customer else {"caller_name": "Walk-in"}))
        Case.objects.filter(pk=c.pk).update(
            created_at=now - ago, category=category, product=product, cause_category=cause,
            compensation_amount=comp, team=org.teams.n1 if actor == u.sales_n1 else None,
            first_response_due=now - ago + H, first_responded_at=now - ago + 2 * H if comp else None,
            resolution_due=now - ago + 2 * D, resolved_at=now - ago + D if cause else None)


def _normal(g: dict) -> dict:
    def rows(items):
        return sorted(sorted((k, str(v)) for k, v in r.items()) for r in items)
    return {"volume": rows(g["volume"]), "product": rows(g["product"]), "customer": sorted(g["customer"]),
            "cause": g["cause"], "pairs": rows(g["pairs"]), "line": g["line"]}


def _cases(viewer, f):
    start, end = _bounds(f)
    return _scoped_cases(viewer, f).filter(created_at__gte=start, created_at__lt=end)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GROUPING SETS: the PostgreSQL path")
@pytest.mark.parametrize("viewer", ["admin", "sales_n1", "sales_n1b", "sales_e1", "east_manager"])
def test_single_pass_equals_the_plain_queries(org, customers, more, viewer):
    user = getattr(org.users, viewer)
    now = timezone.now()
    today = timezone.localdate()
    for f in (AnalyticsFilters.default(), AnalyticsFilters.default(kind="complaint"),
              AnalyticsFilters.default(team_id=org.teams.north.pk),
              AnalyticsFilters(today - dt.timedelta(days=30), today),
              AnalyticsFilters(today - dt.timedelta(days=400), today)):
        cases = _cases(user, f)
        plain = case_groups(cases, now, single_pass=False)
        single = case_groups(cases, now, single_pass=True)
        assert _normal(single) == _normal(plain), (viewer, f)
    # the admin's groupings are not empty: the comparison means something
    g = case_groups(_cases(org.users.admin, AnalyticsFilters.default()), now, single_pass=True)
    assert g["volume"] and g["product"] and g["customer"] and g["cause"] and g["pairs"] and g["line"]
    assert sum(r["n"] for r in g["volume"]) == 10


def test_sub_categories_count_under_their_top_category(org, customers, more):
    """On either path (the default of the database in use), a case of Refunds counts under Billing."""
    r = service_report(viewer=org.users.admin, filters=AnalyticsFilters.default(), with_recovery=False)
    cats = {s["label"]: s["total"] for s in r["volume"]["category"]}
    assert cats == {"Billing": 6, "Quality": 1, "No category": 3}
    assert r["recovery_cost"]["compensation"] == Decimal("175.50")
    # complaints per product line: the world's product 1, p1 and p3 (one line) 2, p2 1; p4 has no line
    assert sorted(x["complaints"] for x in r["product_lines"]) == [1, 1, 2] and r["total"] == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GROUPING SETS: the PostgreSQL path")
def test_single_pass_leaves_the_settings_of_the_transaction_as_they_were(org, customers, more):
    def settings():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
            return cursor.fetchone()

    before = settings()
    case_groups(_cases(org.users.admin, AnalyticsFilters.default()), timezone.now(), single_pass=True)
    assert settings() == before
