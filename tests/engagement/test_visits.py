"""Visit plans end to end: planning a week from the value engine's scores, the
visit services, the pages (week, day, visit, team), the API, the iCalendar feed,
check-in with and without a location, and who may see and change what."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.engagement.models import Interaction, PlannedVisit
from kehu.engagement.visits import (
    day_target, distance_m, feed_token, plan_week, visit_check_in, visit_create, visit_done, visit_evidence,
    visit_move, visit_skip, visits_ics,
)
from kehu.insights.models import AnalysisRun, CustomerScore
from tests.api.conftest import anon, api_as, assert_error  # noqa: F401
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

WEEK = "2026-W50"
MONDAY = dt.date(2026, 12, 7)


def _visited(customer, days_before_monday):
    when = timezone.make_aware(dt.datetime.combine(MONDAY - dt.timedelta(days=days_before_monday), dt.time(10)))
    InteractionFactory(customer=customer, channel="visit", occurred_at=when)


@pytest.fixture
def scored(org, customers):
    """sales_n1's book: n1 gold (visited 41 days ago), a silver one whose next order is
    near, a bronze one with a churn warning, one visited yesterday, and a new lead."""
    u = org.users.sales_n1
    run = AnalysisRun.objects.create(as_of=MONDAY - dt.timedelta(days=1), status="succeeded")
    silver = CustomerFactory(name="Silver Co", owner=u)
    bronze = CustomerFactory(name="Bronze Co", owner=u)
    fresh = CustomerFactory(name="Fresh Co", owner=u)
    lead = CustomerFactory(name="Lead Co", owner=u, lifecycle_stage="target")
    CustomerScore.objects.create(run=run, customer=customers.n1, tier="gold", abc_class="A")
    CustomerScore.objects.create(run=run, customer=silver, tier="silver", abc_class="B",
                                 next_order_date=MONDAY + dt.timedelta(days=3))
    CustomerScore.objects.create(run=run, customer=bronze, tier="bronze", abc_class="C", churn_risk=0.9)
    CustomerScore.objects.create(run=run, customer=fresh, tier="gold", abc_class="A")
    _visited(customers.n1, 41)
    _visited(silver, 10)
    _visited(bronze, 60)
    _visited(fresh, 1)
    return {"n1": customers.n1, "silver": silver, "bronze": bronze, "fresh": fresh, "lead": lead}


def test_plan_week_from_the_scores(org, scored):
    plan = plan_week(WEEK, users=[org.users.sales_n1])
    lines = plan[org.users.sales_n1]
    got = {line.customer.name: line.reason for line in lines}
    assert got == {"北方钢铁贸易有限公司": "tier", "Silver Co": "next_order", "Bronze Co": "churn", "Lead Co": "new"}
    visits = PlannedVisit.objects.filter(salesperson=org.users.sales_n1)
    assert visits.count() == 4 and set(visits.values_list("week", flat=True)) == {WEEK}
    assert set(visits.values_list("source", flat=True)) == {"auto"}
    n1 = visits.get(customer=scored["n1"])
    assert n1.planned_on == MONDAY
    assert visit_evidence(n1) == "value tier Gold (金牌): every 30 days, last visit 41 days ago"
    # Planning again adds nothing: the open visits stand
    assert plan_week(WEEK, users=[org.users.sales_n1]) == {}
    assert visits.count() == 4


def test_plan_week_dry_run_writes_nothing(org, scored):
    plan = plan_week(WEEK, dry_run=True)
    assert len(plan[org.users.sales_n1]) == 4
    assert not PlannedVisit.objects.exists()


def test_a_dry_run_reads_in_set_queries_not_per_customer(org, scored):
    """The planner reads a batch of salespeople's customers in a few set queries: ten
    more customers with scores and visits cost no more queries (issue 15: a week for
    100 salespeople within 30 s reads a million customers)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        plan_week(WEEK, dry_run=True)
    run = AnalysisRun.objects.get()
    for i in range(10):
        c = CustomerFactory(name=f"More {i}", owner=org.users.sales_n1)
        CustomerScore.objects.create(run=run, customer=c, tier="gold", abc_class="A")
        _visited(c, 40 + i)
    with CaptureQueriesContext(connection) as after:
        plan = plan_week(WEEK, dry_run=True)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(plan[org.users.sales_n1]) > 4


def test_day_target_limits_the_week(org, customers, settings):
    settings.VISIT_DAY_TARGET = "salesperson=1+0,*=7+3"
    assert day_target("salesperson") == (1, 0) and day_target("sales_manager") == (7, 3)
    for i in range(7):
        CustomerFactory(name=f"Never visited {i}", owner=org.users.sales_n1b)   # no scores, no tier: not due
    run = AnalysisRun.objects.create(as_of=MONDAY, status="succeeded")
    for c in org.users.sales_n1b.owned_customers.all():
        CustomerScore.objects.create(run=run, customer=c, tier="gold")
    plan = plan_week(WEEK, users=[org.users.sales_n1b])
    days = sorted(line.day for line in plan[org.users.sales_n1b])
    assert days == [MONDAY + dt.timedelta(days=i) for i in range(5)]     # one a day, Monday to Friday
    settings.VISIT_DAY_TARGET = "nonsense"
    assert day_target("salesperson") == (7, 3)


def _manual(actor, customer, **data):
    values = {"planned_on": MONDAY, "purpose": "Talk about next year's volume", "mode": "visit"}
    values.update(data)
    return visit_create(actor=actor, customer=customer, data=values)


def test_done_creates_the_interaction(org, customers):
    contact = ContactFactory(customer=customers.n1, name="王经理")
    visit = _manual(org.users.sales_n1, customers.n1, contacts=[contact])
    with pytest.raises(ValidationError) as exc:
        visit_done(actor=org.users.sales_n1, visit=visit, result="  ")
    assert "result" in exc.value.message_dict
    visit_done(actor=org.users.sales_n1, visit=visit, result="Agreed a trial order of 20 t.")
    visit.refresh_from_db()
    assert visit.status == "done" and visit.interaction is not None
    i = Interaction.objects.get(pk=visit.interaction_id)
    assert i.channel == "visit" and i.summary == "Agreed a trial order of 20 t." and i.participants == "王经理"
    with pytest.raises(ValidationError):
        visit_skip(actor=org.users.sales_n1, visit=visit, reason="too late")


def test_move_skip_and_call_mode(org, customers):
    visit = _manual(org.users.sales_n1, customers.n1, mode="call")
    visit_move(actor=org.users.sales_n1, visit=visit, planned_on=MONDAY + dt.timedelta(days=9))
    visit.refresh_from_db()
    assert visit.status == "moved" and visit.week == "2026-W51"
    with pytest.raises(ValidationError):
        visit_skip(actor=org.users.sales_n1, visit=visit, reason="")
    visit_skip(actor=org.users.sales_n1, visit=visit, reason="Customer closed for stocktaking")
    assert PlannedVisit.objects.get(pk=visit.pk).status == "skipped"
    other = _manual(org.users.sales_n1, customers.n1, mode="call")
    visit_done(actor=org.users.sales_n1, visit=other, result="Called; no need this month.")
    assert Interaction.objects.get(pk=PlannedVisit.objects.get(pk=other.pk).interaction_id).channel == "phone"


def test_check_in_with_and_without_location(org, customers):
    customers.n1.custom = {"latitude": "39.9042", "longitude": "116.4074"}
    customers.n1.save(update_fields=["custom"])
    visit = _manual(org.users.sales_n1, customers.n1)
    visit_check_in(actor=org.users.sales_n1, visit=visit, latitude=39.9132, longitude=116.4074, accuracy=25)
    visit.refresh_from_db()
    assert visit.checked_in_at is not None and visit.check_in_latitude == Decimal("39.913200")
    assert 990 < visit.check_in_distance < 1010      # 0.009° of latitude ≈ 1 km
    plain = _manual(org.users.sales_n1, customers.n1)
    visit_check_in(actor=org.users.sales_n1, visit=plain)
    plain.refresh_from_db()
    assert plain.checked_in_at is not None and plain.check_in_latitude is None and plain.check_in_distance is None
    with pytest.raises(ValidationError):
        visit_check_in(actor=org.users.sales_n1, visit=plain, latitude=91, longitude=0)
    with pytest.raises(ValidationError):
        visit_check_in(actor=org.users.sales_n1, visit=plain, latitude=39.9)
    # no coordinates on the customer: no distance
    far = _manual(org.users.sales_n1b, customers.n1b)
    visit_check_in(actor=org.users.sales_n1b, visit=far, latitude=39.1, longitude=117.2)
    assert PlannedVisit.objects.get(pk=far.pk).check_in_distance is None


def test_distance_haversine():
    # Beijing to Shanghai, about 1,067 km
    assert 1_060_000 < distance_m((39.9042, 116.4074), (31.2304, 121.4737)) < 1_075_000


def test_who_may_plan_and_change(org, customers):
    with pytest.raises(PermissionDenied):
        _manual(org.users.sales_n1b, customers.n1)           # not their customer
    with pytest.raises(PermissionDenied):
        _manual(org.users.analyst, customers.n1)              # read-only
    with pytest.raises(ValidationError):
        _manual(org.users.sales_n1, customers.n1, salesperson=org.users.sales_n1b)
    visit = _manual(org.users.north_manager, customers.n1, salesperson=org.users.sales_n1)
    assert visit.salesperson == org.users.sales_n1
    with pytest.raises(PermissionDenied):
        visit_skip(actor=org.users.sales_n1b, visit=visit, reason="x")
    with pytest.raises(PermissionDenied):
        visit_skip(actor=org.users.north_marketing, visit=visit, reason="x")


VISIBLE = {"admin": True, "hq_manager": True, "analyst": True, "north_manager": True, "north_service": True,
           "north_marketing": True, "east_manager": False, "sales_n1": True, "sales_n1b": False,
           "sales_e1": False}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_visit_visibility_per_role(org, customers, role):
    from kehu.engagement.selectors import visit_list

    visit = _manual(org.users.sales_n1, customers.n1)
    seen = visit_list(viewer=getattr(org.users, role)).filter(pk=visit.pk).exists()
    assert seen == VISIBLE[role]


def test_a_visit_to_a_customer_no_longer_visible_is_hidden(org, customers):
    from kehu.customers.services import customer_update
    from kehu.engagement.selectors import visit_list

    visit = _manual(org.users.sales_n1, customers.n1)
    customer_update(actor=org.users.admin, customer=customers.n1, data={"owner": org.users.sales_e1})
    assert not visit_list(viewer=org.users.sales_n1).filter(pk=visit.pk).exists()


# -- pages -------------------------------------------------------------------------

def test_week_and_day_pages(client_for, org, scored):
    plan_week(WEEK, users=[org.users.sales_n1])
    client = client_for(org.users.sales_n1)
    r = client.get(reverse("visit_week"), {"week": WEEK})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Bronze Co" in html and "Lead Co" in html
    assert "Done 0/7 + 0/3" in html
    r = client.get(reverse("visit_week"), {"view": "day", "day": MONDAY.isoformat()})
    assert r.status_code == 200 and "every 30 days, last visit 41 days ago" in r.content.decode()
    # another salesperson's week holds none of them
    other = client_for(org.users.sales_n1b).get(reverse("visit_week"), {"week": WEEK}).content.decode()
    assert "Bronze Co" not in other and "No visits planned." in other


def test_visit_page_actions(client_for, org, customers):
    visit = _manual(org.users.sales_n1, customers.n1)
    client = client_for(org.users.sales_n1)
    assert client.get(reverse("visit_detail", args=[visit.pk])).status_code == 200
    r = client.post(reverse("visit_skip", args=[visit.pk]), {"skip_reason": ""})
    assert r.status_code == 422 and "Say why the visit was skipped." in r.content.decode()
    r = client.post(reverse("visit_check_in", args=[visit.pk]), {"latitude": "39.9", "longitude": "116.4",
                                                                 "accuracy": "30"})
    assert r.status_code == 302
    r = client.post(reverse("visit_move", args=[visit.pk]), {"planned_on": "2026-12-09"})
    assert r.status_code == 302 and PlannedVisit.objects.get(pk=visit.pk).planned_on == dt.date(2026, 12, 9)
    r = client.post(reverse("visit_done", args=[visit.pk]), {"result": "Signed the yearly contract."})
    assert r.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "done" and visit.check_in_latitude == Decimal("39.900000")
    # on the customer's 360 page: the timeline and the visits card
    page = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert "Signed the yearly contract." in page and 'data-testid="customer-recent-visits"' in page


def test_plan_by_hand_page(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    url = reverse("visit_create") + f"?customer={customers.n1.pk}"
    assert client.get(url).status_code == 200
    r = client.post(url, {"planned_on": "", "mode": "visit"})
    assert r.status_code == 200 and "This field is required." in r.content.decode()
    r = client.post(url, {"planned_on": "2026-12-08", "planned_time": "14:30", "mode": "video", "purpose": "Demo"})
    assert r.status_code == 302
    visit = PlannedVisit.objects.get()
    assert visit.mode == "video" and visit.reason == "manual" and visit.source == "manual"
    page = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert 'data-testid="customer-next-visit"' in page


def test_team_page(client_for, org, customers):
    visit = _manual(org.users.sales_n1, customers.n1)
    visit_check_in(actor=org.users.sales_n1, visit=visit, latitude=39.9, longitude=116.4)
    manager = client_for(org.users.north_manager)
    r = manager.get(reverse("visit_team"))
    assert r.status_code == 200 and "39.900000" in r.content.decode()
    r = manager.get(reverse("visit_team"), {"person": org.users.sales_n1b.pk})
    assert "No visits match these filters." in r.content.decode()
    assert client_for(org.users.east_manager).get(reverse("visit_team")).content.decode().count("北方钢铁") == 0
    assert client_for(org.users.sales_n1).get(reverse("visit_team")).status_code == 403


def test_ics_feed(client, client_for, org, customers):
    visit = _manual(org.users.sales_n1, customers.n1, planned_time=dt.time(9, 30), purpose="Price talk; volume, 2027")
    _manual(org.users.sales_n1, customers.n1, planned_on=MONDAY + dt.timedelta(days=1))
    c = client_for(org.users.sales_n1)
    assert c.post(reverse("visit_feed_regenerate")).status_code == 302
    token = org.users.sales_n1.visit_feed.token
    assert token in c.get(reverse("visit_week")).content.decode()
    client.logout()
    r = client.get(reverse("visit_feed", args=[token]))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    body = r.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.count("BEGIN:VEVENT") == 2
    assert f"UID:visit-{visit.pk}@" in body and "DTSTART:20261207T013000Z" in body   # 09:30 in Shanghai
    assert "DTSTART;VALUE=DATE:20261208" in body and "Price talk\\; volume\\, 2027" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    # revoke: the old address stops working
    c = client_for(org.users.sales_n1)
    c.post(reverse("visit_feed_regenerate"), {"renew": "1"})
    client.logout()
    assert client.get(reverse("visit_feed", args=[token])).status_code == 404
    assert client.get(reverse("visit_feed", args=["nope"])).status_code == 404


def test_ics_folds_long_chinese_lines(org, customers):
    visit = _manual(org.users.sales_n1, customers.n1, purpose="讨论明年的钢材采购量和价格" * 10)
    text = visits_ics(user=org.users.sales_n1, visits=[visit])
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\r\n 讨" in text or "\r\n " in text


def test_feed_token_is_made_once(org):
    first = feed_token(user=org.users.sales_n1)
    assert feed_token(user=org.users.sales_n1) == first
    assert feed_token(user=org.users.sales_n1, regenerate=True) != first


# -- API ---------------------------------------------------------------------------

def test_api_create_list_move_done(api_as, org, customers):
    api = api_as(org.users.sales_n1)
    contact = ContactFactory(customer=customers.n1)
    r = api.post("/visits", {"customer_id": customers.n1.pk, "planned_on": "2026-12-08", "mode": "visit",
                             "contact_ids": [contact.pk], "purpose": "Yearly review"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["reason"] == "manual" and body["week"] == "2026-W50" and body["contact_ids"] == [contact.pk]
    vid = body["id"]
    items = api.get("/visits", {"week": "2026-W50"}).json()["items"]
    assert [v["id"] for v in items] == [vid]
    r = api.patch(f"/visits/{vid}", {"planned_on": "2026-12-10"})
    assert r.status_code == 200 and r.json()["status"] == "moved"
    r = api.post(f"/visits/{vid}/check-in", {"latitude": 39.9, "longitude": 116.4, "accuracy": 12})
    assert r.status_code == 200 and r.json()["check_in_latitude"] == 39.9
    r = api.post(f"/visits/{vid}/done", {"result": "Reviewed; order next week."})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["interaction_id"]
    assert_error(api.post(f"/visits/{vid}/skip", {"reason": "x"}), 422)


def test_api_errors_and_scope(api_as, org, customers, anon):
    n1 = api_as(org.users.sales_n1)
    r = n1.post("/visits", {"customer_id": customers.e1.pk, "planned_on": "2026-12-08"})
    assert_error(r, 404)
    vid = n1.post("/visits", {"customer_id": customers.n1.pk, "planned_on": "2026-12-08"}).json()["id"]
    assert_error(api_as(org.users.sales_n1b).get(f"/visits/{vid}"), 404)
    assert_error(api_as(org.users.analyst).post(f"/visits/{vid}/skip", {"reason": "x"}), 403)
    assert_error(n1.post(f"/visits/{vid}/skip", {"reason": ""}), 422)
    assert_error(n1.post(f"/visits/{vid}/check-in", {"latitude": 100, "longitude": 0}), 422)
    assert_error(n1.post(f"/visits/{vid}/check-in", {"latitude": 10}), 422)
    assert_error(anon.get("/visits"), 401)


def test_api_plan(api_as, org, scored):
    assert_error(api_as(org.users.sales_n1).post("/visits/plan", {"week": WEEK}), 403)
    manager = api_as(org.users.north_manager)
    r = manager.post("/visits/plan", {"week": WEEK, "dry_run": True})
    assert r.status_code == 200 and r.json()["planned"] == 4 and not PlannedVisit.objects.exists()
    assert api_as(org.users.east_manager).post("/visits/plan", {"week": WEEK}).json()["planned"] == 0
    r = manager.post("/visits/plan", {"week": "2026-w50"})
    assert r.json()["planned"] == 4 and PlannedVisit.objects.count() == 4
    assert_error(manager.post("/visits/plan", {"week": "2026-W99"}), 422)


# -- command line ------------------------------------------------------------------

def test_cli_plan(org, scored, capsys):
    from kehu.cli import main

    assert main(["visits", "plan", "--week", WEEK, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "sales_n1" in out and "Bronze Co" in out and "4 visits would be planned for 2026-W50" in out
    assert not PlannedVisit.objects.exists()
    assert main(["visits", "plan", "--week", WEEK, "--user", "sales_n1"]) == 0
    assert "4 visits planned for 2026-W50." in capsys.readouterr().out
    assert main(["visits", "plan", "--week", "2026-50"]) == 2


def test_periodic_task_plans_next_week(org, scored, monkeypatch):
    from kehu import jobs
    from kehu.engagement import tasks, visits

    assert "kehu.engagement.tasks" in jobs.TASK_MODULES
    # Sunday 13 December 2026 at 20:00, and at no other hour of that week
    times = [dt.datetime(2026, 12, 7) + dt.timedelta(hours=h) for h in range(7 * 24)]
    due = [t for t in times if any(isinstance(task, tasks.plan_visits_periodic.task_class)
                                   for task in jobs.huey.read_periodic(t))]
    assert due == [dt.datetime(2026, 12, 13, 20)]
    assert visits.due_week(dt.date(2026, 12, 13)) == "2026-W51"
    monkeypatch.setattr(visits, "due_week", lambda today=None: WEEK)
    assert tasks.plan_visits_periodic.call_local() == 4


def test_merge_keeps_one_open_visit(org, customers):
    from kehu.customers.services import customer_merge

    a = CustomerFactory(name="Dup A", owner=org.users.sales_n1)
    b = CustomerFactory(name="Dup B", owner=org.users.sales_n1)
    for c in (a, b):
        PlannedVisit.objects.create(salesperson=org.users.sales_n1, customer=c, planned_on=MONDAY, week=WEEK,
                                    source="auto", reason="tier")
    customer_merge(actor=org.users.admin, keep=a, drop=b)
    assert PlannedVisit.objects.filter(customer=a).count() == 2
    assert PlannedVisit.objects.filter(customer=a, status="planned").count() == 1


def test_api_move_needs_a_day(api_as, org, customers):
    api = api_as(org.users.sales_n1)
    vid = api.post("/visits", {"customer_id": customers.n1.pk, "planned_on": "2026-12-08"}).json()["id"]
    err = assert_error(api.patch(f"/visits/{vid}", {}), 422)
    assert "planned_on" in err["fields"]
    assert_error(api_as(org.users.analyst).patch(f"/visits/{vid}", {}), 403)


def test_check_in_page_refuses_a_bad_location(client_for, org, customers):
    visit = _manual(org.users.sales_n1, customers.n1)
    client = client_for(org.users.sales_n1)
    r = client.post(reverse("visit_check_in", args=[visit.pk]), {"latitude": "123", "longitude": "0"}, follow=True)
    assert r.status_code == 200 and PlannedVisit.objects.get(pk=visit.pk).checked_in_at is None
    r = client.post(reverse("visit_check_in", args=[visit.pk]), {}, follow=True)
    assert "Checked in (without a location)." in r.content.decode()
    assert PlannedVisit.objects.get(pk=visit.pk).checked_in_at is not None


def test_plan_week_from_opportunities_next_steps(org, scored):
    """An open opportunity's next step in the week: a visit by its owner on that day (reason
    "opportunity", the next step as the purpose), merged into a visit already planned."""
    from kehu.sales.opportunities import opportunity_create
    from tests.sales.conftest import seed_default_pipeline

    seed_default_pipeline()
    u = org.users.sales_n1
    steel = CustomerFactory(name="Steel Yard", owner=u)
    opportunity_create(actor=u, data={"customer": steel, "name": "Rebar 2027", "next_step": "Present the quote",
                                      "next_step_on": MONDAY + dt.timedelta(days=2)})
    opportunity_create(actor=u, data={"customer": scored["n1"], "name": "Coil 2027", "next_step": "Sign",
                                      "next_step_on": MONDAY + dt.timedelta(days=3)})
    opportunity_create(actor=u, data={"customer": scored["fresh"], "name": "Later", "next_step": "Call",
                                      "next_step_on": MONDAY + dt.timedelta(days=9)})
    plan = plan_week(WEEK, users=[u])
    got = {line.customer.name: (line.reason, line.day) for line in plan[u]}
    assert got["Steel Yard"] == ("opportunity", MONDAY + dt.timedelta(days=2))
    assert got["北方钢铁贸易有限公司"] == ("tier", MONDAY + dt.timedelta(days=3))   # merged, moved to the step's day
    assert "Fresh Co" not in got
    visit = PlannedVisit.objects.get(customer=steel)
    assert visit.purpose == "Present the quote" and visit.reason_data["opportunities"][0]["name"] == "Rebar 2027"
    assert visit_evidence(visit) == f"opportunity next step “Rebar 2027”: Present the quote on {visit.planned_on}"
    n1 = PlannedVisit.objects.get(customer=scored["n1"])
    assert visit_evidence(n1).endswith("; opportunity next step “Coil 2027”: Sign on 2026-12-10")
    # a next step added later merges into the visit already planned that week
    opportunity_create(actor=u, data={"customer": steel, "name": "Wire 2027", "next_step": "Site tour",
                                      "next_step_on": MONDAY + dt.timedelta(days=4)})
    plan_week(WEEK, users=[u])
    visit.refresh_from_db()
    assert [o["name"] for o in visit.reason_data["opportunities"]] == ["Rebar 2027", "Wire 2027"]
    assert visit.purpose == "Present the quote; Site tour" and PlannedVisit.objects.filter(customer=steel).count() == 1


def test_api_move_to_a_far_year_is_a_422_not_a_500(api_as, org, customers):
    # Schemathesis found it: a visit moved to 0777-01-04 raised in the audit record (a 500).
    api = api_as(org.users.sales_n1)
    vid = api.post("/visits", {"customer_id": customers.n1.pk, "planned_on": "2026-12-08"}).json()["id"]
    for day in ("0777-01-04", "9999-12-31", "0001-01-01"):
        r = api.patch(f"/visits/{vid}", {"planned_on": day})
        assert r.status_code in (200, 422), (day, r.status_code, r.content)


def test_api_refuses_a_time_with_an_offset(api_as, org, customers):
    # Schemathesis found it: "planned_time": "12:00:00+08:00" reached the database, which keeps
    # times of day without a zone (SQLite refused it: a 500). It is a 422 now, on create and move.
    api = api_as(org.users.sales_n1)
    r = api.post("/visits", {"customer_id": customers.n1.pk, "planned_on": "2026-12-08", "planned_time": "09:00+08:00"})
    assert r.status_code == 422 and "planned_time" in r.json()["error"]["fields"], r.content
    vid = api.post("/visits", {"customer_id": customers.n1.pk, "planned_on": "2026-12-08",
                               "planned_time": "09:00"}).json()["id"]
    r = api.patch(f"/visits/{vid}", {"planned_on": "2026-12-09", "planned_time": "14:30:00Z"})
    assert r.status_code == 422 and "planned_time" in r.json()["error"]["fields"], r.content
    r = api.patch(f"/visits/{vid}", {"planned_on": "2026-12-09", "planned_time": "14:30"})
    assert r.status_code == 200 and r.json()["planned_time"].startswith("14:30")
