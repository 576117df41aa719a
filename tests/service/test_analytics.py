"""Service analytics (服务分析): the figures on a hand-built set of cases, the
visibility scope, the page, the PDF, the API and ``kehu cases report``."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.analytics import service_stats as stats
from kehu.analytics.working_time import WorkingCalendar
from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.service.analytics import AnalyticsFilters, recovery_test, service_report
from kehu.service.models import Case, CaseCategory
from tests.api.conftest import api_as  # noqa: F401
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.service.conftest import make_case

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


# -- pure figures ------------------------------------------------------------------

def test_rates_and_compliance():
    assert stats.per_thousand(3, 1500) == 2.0 and stats.per_thousand(3, 0) is None
    assert stats.compliance(3, 1) == 0.75 and stats.compliance(0, 0) is None


def test_cause_pareto_marks_the_vital_few():
    rows, share = stats.cause_pareto({"a": 10, "b": 50, "c": 30, "d": 5, "e": 5, "z": 0})
    assert [r.key for r in rows] == ["b", "c", "a", "d", "e"]
    # b (50%) and c (crosses 80%: 50% before it) are vital; a starts at 80% and is not
    assert [r.vital for r in rows] == [True, True, False, False, False]
    assert share == pytest.approx(2 / 5)
    assert rows[-1].cumulative == 1.0 and rows[0].share == pytest.approx(0.5)
    assert stats.cause_pareto({}) == ([], None)


def test_working_hours_between_equals_the_calendar_clock():
    cal = WorkingCalendar()
    rng = random.Random(7)
    zone = cal.zone
    base = dt.datetime(2025, 1, 1, tzinfo=zone)
    starts, ends = [], []
    for _i in range(300):
        s = base + dt.timedelta(minutes=rng.randrange(0, 700 * 24 * 60))
        starts.append(s)
        ends.append(s + dt.timedelta(minutes=rng.randrange(-600, 30 * 24 * 60)))
    got = stats.working_hours_between(starts, ends, cal)
    want = [cal.elapsed(s, e).total_seconds() / 3600 for s, e in zip(starts, ends, strict=True)]
    assert got == pytest.approx(want, abs=1e-6)
    # 17:30 on 30 September 2026 to 17:30 on Saturday 10 October (make-up working day): 24 working hours
    assert stats.working_hours_between([dt.datetime(2026, 9, 30, 17, 30, tzinfo=zone)],
                                       [dt.datetime(2026, 10, 10, 17, 30, tzinfo=zone)], cal)[0] == pytest.approx(24)


def test_age_buckets_cover_every_age_once():
    now = timezone.now()
    edges = stats.age_bucket_edges(now)
    assert len(edges) == len(stats.AGE_BUCKETS) + 1
    assert edges[0] == (now - D, None) and edges[-1][0] is None


# -- a hand-built set of cases ----------------------------------------------------

@pytest.fixture
def world(org, customers):
    """Cases of n1 (sales_n1) and e1 (sales_e1), registered in the last months."""
    now = timezone.now()
    u = org.users
    quality = CaseCategory.objects.create(code="quality-x", name_en="Quality", name_zh="质量")
    billing = CaseCategory.objects.create(code="billing-x", name_en="Billing", name_zh="账单")
    product = ProductFactory()
    cases = {}

    def case(name, customer, actor, *, kind="complaint", ago, **fields):
        c = make_case(actor, customer, kind=kind, subject=name)
        fields.setdefault("created_at", now - ago)
        Case.objects.filter(pk=c.pk).update(**fields)
        cases[name] = Case.objects.get(pk=c.pk)

    # n1: three complaints (two billing/process, one quality/product), one service request
    case("c1", customers.n1, u.sales_n1, ago=40 * D, category=billing, cause_category="process", status="closed",
         first_response_due=now - 39 * D, first_responded_at=now - 39 * D - H,
         resolution_due=now - 38 * D, resolved_at=now - 38 * D - H, compensation_amount=Decimal("100.00"),
         team=org.teams.n1, assignee=u.sales_n1)
    case("c2", customers.n1, u.sales_n1, ago=20 * D, category=billing, cause_category="process",
         status="resolved", first_response_due=now - 19 * D, first_responded_at=now - 18 * D,
         resolution_due=now - 18 * D, resolved_at=now - 10 * D, compensation_amount=Decimal("50.00"),
         team=org.teams.n1, assignee=u.sales_n1)
    case("c3", customers.n1, u.sales_n1, ago=5 * D, category=quality, cause_category="product",
         status="in_progress", resolution_due=now - 1 * D, product=product)
    case("s1", customers.n1, u.sales_n1, kind="service", ago=2 * H, status="new")
    # e1: one complaint, billing/process, open for 100 days
    case("e1", customers.e1, u.sales_e1, ago=100 * D, category=billing, cause_category="process",
         status="accepted", resolution_due=now + 10 * D)
    # n1 ordered twice: once before and once after its first complaint; e1 once
    OrderFactory(customer=customers.n1, order_date=timezone.localdate() - dt.timedelta(days=60))
    OrderFactory(customer=customers.n1, order_date=timezone.localdate() - dt.timedelta(days=30),
                 lines=[{"quantity": 1, "unit_price": "300.00", "product": product}])
    OrderFactory(customer=customers.e1, order_date=timezone.localdate() - dt.timedelta(days=30))
    return cases


def _report(user, **kw):
    return service_report(viewer=user, filters=AnalyticsFilters.default(**kw))


def test_figures_of_the_admin(org, customers, world):
    r = _report(org.users.admin)
    assert r["total"] == 5 and r["complaints"] == 4
    kinds = {s["key"]: s["total"] for s in r["volume"]["kind"]}
    assert kinds == {"complaint": 4, "service": 1}
    assert sum(sum(s["months"].values()) for s in r["volume"]["kind"]) == 5
    cats = {s["label"]: s["total"] for s in r["volume"]["category"]}
    assert cats == {"Billing": 3, "Quality": 1, "No category": 1}
    assert [s["total"] for s in r["volume"]["product"]] == [1]
    # per 1,000 orders: 4 complaints, 3 orders
    assert r["per_1000_orders"]["orders"] == 3
    assert r["per_1000_orders"]["rate"] == pytest.approx(4000 / 3)
    # first response: c1 met, c2 late → 50%; resolution: c1 met, c2 late, c3 late (open, past due), e1 not due
    assert (r["sla"]["first_response"]["met"], r["sla"]["first_response"]["late"]) == (1, 1)
    assert (r["sla"]["resolution"]["met"], r["sla"]["resolution"]["late"]) == (1, 2)
    assert r["sla"]["resolution"]["rate"] == pytest.approx(1 / 3)
    # backlog: s1 (≤1 day), c3 (4–7 days), e1 (>30 days)
    counts = [b["count"] for b in r["backlog"]["buckets"]]
    assert r["backlog"]["total"] == 3 and counts == [1, 0, 1, 0, 0, 1]
    # Pareto: process·billing 3 (75%), product·quality 1 — it crosses 80%, so it is vital too
    rows = r["pareto"]["rows"]
    assert [(x["cause"], x["count"], x["vital"]) for x in rows] == [("process", 3, True), ("product", 1, True)]
    assert rows[0]["label"] == "Process or rule · Billing" and rows[0]["cumulative"] == 0.75
    assert r["pareto"]["vital_share"] == 1.0
    # recovery cost: 150 yuan; two complainants, both ordered after their complaint: n1 300, e1 200 yuan
    # (n1's order 60 days ago came before its first complaint and does not count)
    c = r["recovery_cost"]
    assert c["compensation"] == Decimal("150.00") and c["complainants"] == 2 and c["kept"] == 2
    assert c["revenue_kept"] == Decimal("500.00") and c["revenue_per_yuan"] == Decimal("500") / Decimal("150")
    # repeat complainers: n1 with 3
    assert r["repeat"]["total"] == 1 and r["repeat"]["rows"][0]["complaints"] == 3
    assert r["repeat"]["rows"][0]["visible"] is True
    # team and agent performance: n1's team handled c1 and c2; medians in working hours
    teams = {t["label"]: t for t in r["teams"]}
    assert teams["North sales 1"]["cases"] == 2 and teams["North sales 1"]["resolved"] == 2
    assert teams["North sales 1"]["median_hours"] is not None
    # complaint rate by product line: one complaint, one order of that line
    assert [(x["complaints"], x["orders"]) for x in r["product_lines"]] == [(1, 1)]


def test_filters_narrow_the_cases(org, customers, world):
    r = _report(org.users.admin, kind="service")
    assert r["total"] == 1 and r["complaints"] == 0
    r = _report(org.users.admin, team_id=org.teams.north.pk)
    assert r["total"] == 2  # c1 and c2 (team North sales 1, under North)
    today = timezone.localdate()
    r = service_report(viewer=org.users.admin, filters=AnalyticsFilters(today - dt.timedelta(days=10), today))
    assert r["total"] == 2  # c3 and s1


def test_a_salesperson_sees_only_their_scope(org, customers, world):
    r = _report(org.users.sales_e1)
    assert r["total"] == 1 and r["complaints"] == 1
    assert r["per_1000_orders"]["orders"] == 1
    assert r["repeat"]["total"] == 0 and r["recovery_cost"]["compensation"] == 0
    r = _report(org.users.sales_n1)
    assert r["total"] == 4 and r["per_1000_orders"]["orders"] == 2
    # sales_n1b owns no customer: only the cases of their team (c1, c2), and no orders
    r = _report(org.users.sales_n1b)
    assert r["total"] == 2 and r["backlog"]["total"] == 0 and r["per_1000_orders"]["orders"] == 0
    assert r["per_1000_orders"]["rate"] is None
    assert r["repeat"]["rows"][0]["visible"] is False  # n1 complained twice in the team's cases, not theirs to open
    r = _report(org.users.east_manager)
    assert r["total"] == 1 and r["pareto"]["rows"][0]["count"] == 1


def test_recovery_test_says_not_enough_data_honestly(org, customers, world):
    rec = recovery_test(viewer=org.users.admin, filters=AnalyticsFilters.default())
    assert rec["available"] is False and "value analysis" in rec["reason"]


def test_recovery_test_on_matched_customers(org, customers):
    """Recovered customers against never-complaining ones of the same tier and tenure."""
    from kehu.insights.models import AnalysisRun, CustomerScore

    today = timezone.localdate()
    run = AnalysisRun.objects.create(status="succeeded", as_of=today)
    admin = org.users.admin
    resolved = timezone.now() - 300 * D
    first = today - dt.timedelta(days=800)
    for i in range(12):
        c = CustomerFactory(owner=org.users.sales_n1)
        CustomerScore.objects.create(run=run, customer=c, tier="gold", first_order=first)
        k = make_case(admin, c, kind="complaint", subject=f"k{i}")
        Case.objects.filter(pk=k.pk).update(status="closed", resolved_at=resolved, created_at=resolved - D)
        if i < 9:
            OrderFactory(customer=c, order_date=today - dt.timedelta(days=250))
    for i in range(12):
        c = CustomerFactory(owner=org.users.sales_n1)
        CustomerScore.objects.create(run=run, customer=c, tier="gold", first_order=first)
        if i < 3:
            OrderFactory(customer=c, order_date=today - dt.timedelta(days=250))
    f = AnalyticsFilters.default()
    f.date_from = today - dt.timedelta(days=365)
    rec = recovery_test(viewer=admin, filters=f)
    assert rec["available"] is True
    res = rec["result"]
    assert res.n_recovered == 12 and res.n_comparable == 12
    assert res.repurchase.rate_recovered == 0.75 and res.repurchase.rate_comparable == 0.25
    assert res.repurchase.verdict == "higher"
    assert any("95%" in line for line in rec["explanation"])
    # a salesperson of another team sees none of these customers: not enough data
    assert recovery_test(viewer=org.users.sales_e1, filters=f)["available"] is False


# -- page, PDF, API, command -----------------------------------------------------

ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_e1"]


@pytest.mark.parametrize("role", ROLES)
def test_the_page_per_role(client_for, org, customers, world, role):
    user = getattr(org.users, role)
    client = client_for(user)
    response = client.get(reverse("case_analytics"))
    assert response.status_code == 200
    expected = _report(user)["total"]
    assert response.context["r"]["total"] == expected
    sees_n1 = expected >= 4
    assert (world["c1"].customer.name in response.content.decode()) == sees_n1  # the repeat complainer
    frag = client.get(reverse("case_analytics_recovery"), HTTP_HX_REQUEST="true")
    assert frag.status_code == 200 and b"recovery-result" in frag.content
    # the figures from the orders load after the page, with the same numbers as the full report
    assert response.context["r"]["per_1000_orders"] is None and b"analytics-orders-loader" in response.content
    orders = client.get(reverse("case_analytics_orders"), HTTP_HX_REQUEST="true")
    assert orders.status_code == 200 and orders.content.count(b'hx-swap-oob="true"') == 4
    full = _report(user)
    for key in ("per_1000_orders", "recovery_cost", "product_lines", "teams", "agents", "median_sampled"):
        assert orders.context["r"][key] == full[key], key
    # the team and agent tables come with their counts, their median hours after the page
    assert response.context["r"]["medians_pending"] and b"analytics-medians-pending" in response.content
    assert all(row["median_hours"] is None for row in response.context["r"]["teams"])
    assert b"analytics-medians-pending" not in orders.content and b'id="analytics-performance"' in orders.content
    page = client.get(reverse("case_analytics_orders"))
    assert page.status_code == 200 and b"<html" in page.content and b"hx-swap-oob" not in page.content


def test_the_pages_need_a_login(client, org):
    for name in ("case_analytics", "case_analytics_recovery", "case_analytics_orders", "case_analytics_pdf"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "login" in r["Location"]


def test_page_filters_and_bad_range(client_for, org, customers, world):
    client = client_for(org.users.admin)
    r = client.get(reverse("case_analytics"), {"from": "2026-05-01", "to": "2026-01-01"})
    assert r.status_code == 200 and b"analytics-errors" in r.content
    assert "The end of the range must not be before its start." in r.content.decode()
    r = client.get(reverse("case_analytics"), {"kind": "service"})
    assert r.context["r"]["total"] == 1
    assert b"case-analytics-link" in client.get(reverse("case_queue")).content


def test_nav_shows_analytics_to_managers(client_for, org):
    url = reverse("case_analytics")
    assert url.encode() in client_for(org.users.north_manager).get(reverse("case_queue")).content
    nav = client_for(org.users.sales_n1).get(reverse("home")).context["nav_items"]
    assert url not in [i["url"] for i in nav]
    nav = client_for(org.users.north_manager).get(reverse("home")).context["nav_items"]
    assert url in [i["url"] for i in nav]


def test_pdf_is_produced_and_audited(client_for, org, customers, world):
    response = client_for(org.users.sales_n1).get(reverse("case_analytics_pdf"), {"kind": "complaint"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 5000
    event = AuditEvent.objects.get(action="export")
    assert event.entity == "case_report" and event.changes["via"] == "web" and event.changes["format"] == "pdf"


def test_a_filter_that_matches_nothing(org, customers, world, api_as, client_for):
    """A team that does not exist (or has no one in it) gives empty figures, not an error —
    on PostgreSQL the single-pass grouping compiles its query by hand (schemathesis found
    the 500)."""
    r = api_as(org.users.admin).get("/cases/analytics?team_id=999999&kind=enquiry")
    assert r.status_code == 200, r.content
    assert r.json()["total"] == 0 and r.json()["backlog"]["total"] == 0
    assert api_as(org.users.sales_n1).get("/cases/analytics?team_id=999999").status_code == 200
    orders = client_for(org.users.admin).get(reverse("case_analytics_orders"), {"team": "999999"},
                                              HTTP_HX_REQUEST="true")
    assert orders.status_code == 200


def test_api(org, customers, world, api_as):
    today = timezone.localdate()
    frm = (today - dt.timedelta(days=365)).isoformat()
    r = api_as(org.users.admin).get(f"/cases/analytics?from={frm}&to={today.isoformat()}")
    assert r.status_code == 200, r.content
    data = json.loads(r.content)
    assert data["from"] == frm and data["total"] == 5 and data["complaints"] == 4
    assert data["sla"]["resolution"]["met"] == 1 and data["backlog"]["total"] == 3
    assert data["pareto"]["rows"][0]["vital"] is True and data["recovery"]["available"] is False
    assert data["recovery"]["explanation"]
    e1 = json.loads(api_as(org.users.sales_e1).get("/cases/analytics").content)
    assert e1["total"] == 1
    bad = api_as(org.users.admin).get("/cases/analytics?from=2026-05-01&to=2026-01-01")
    assert bad.status_code == 422 and b"to" in bad.content
    assert api_as(org.users.admin).get("/cases/analytics?from=yesterday").status_code == 422


def test_command_prints_and_writes_the_pdf(org, customers, world, tmp_path, capsys):
    today = timezone.localdate()
    out = tmp_path / "report.pdf"
    code = main(["cases", "report", "--from", (today - dt.timedelta(days=365)).isoformat(), "--to",
                 today.isoformat(), "--pdf", str(out), "--as", "sales_n1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Cases registered" in printed and "Complaints per 1,000 orders" in printed
    assert out.read_bytes().startswith(b"%PDF")
    assert AuditEvent.objects.get(action="export").changes["via"] == "cli"
    assert main(["cases", "report", "--from", "2026-02-01", "--to", "2026-01-01"]) == 2
    assert main(["cases", "report", "--from", "soon", "--to", "2026-01-01"]) == 2


def test_command_filters_by_team_and_product_line(org, customers, world, capsys):
    from kehu.sales.models import ProductLine

    today = timezone.localdate()
    span = ["--from", (today - dt.timedelta(days=365)).isoformat(), "--to", today.isoformat()]
    assert main(["cases", "report", *span, "--as", "admin"]) == 0
    everyone = capsys.readouterr().out
    assert main(["cases", "report", *span, "--team", org.teams.n1.name, "--as", "admin"]) == 0
    team = capsys.readouterr().out

    def registered(text):
        return int(next(line for line in text.splitlines() if line.startswith("Cases registered")).split()[-1])

    assert registered(team) < registered(everyone)
    line = ProductLine.objects.create(code="NOLINE", name="No cases")
    assert main(["cases", "report", *span, "--line", line.code, "--as", "admin"]) == 0
    assert registered(capsys.readouterr().out) == 0
    assert main(["cases", "report", *span, "--team", "Nobody's team", "--as", "admin"]) == 2
    assert main(["cases", "report", *span, "--line", "NOPE", "--as", "admin"]) == 2
