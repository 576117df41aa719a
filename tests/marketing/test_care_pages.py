"""The care calendar's pages and API: the permission matrix (every role), the week, marking, the 360 card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.marketing.care.models import CareMoment, CareRule
from kehu.marketing.care.services import care_run, rule_create, today_local

from tests.api.conftest import api_as  # noqa: F401
from tests.outreach.conftest import consenting, templates  # noqa: F401
from tests.marketing.cards import page_with_cards

pytestmark = pytest.mark.django_db

MANAGERS = {"admin", "north_marketing"}
ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_n1b", "sales_e1"]
# whose calendar shows a birthday of n1 (owner sales_n1) and e1 (owner sales_e1) under a "customer's owner" rule
OWN_CALENDAR = {"sales_n1": {"n1"}, "sales_e1": {"e1"}}


@pytest.fixture
def setup(org, consenting, templates):
    today = today_local()
    Customer.objects.filter(pk__in=[consenting.n1.pk, consenting.e1.pk]).update(
        birthday=today.replace(year=1990) if not (today.month == 2 and today.day == 29) else dt.date(1990, 2, 28))
    rule = rule_create(actor=org.users.admin, data={"name_zh": "生日", "name_en": "Birthday", "kind": "birthday",
                                                    "channel": "task", "lead_days": 0})
    return rule


@pytest.mark.parametrize("role", ROLES)
def test_pages(client_for, org, consenting, setup, role):
    client = client_for(getattr(org.users, role))
    manage = role in MANAGERS
    for name, args in (("care_rules", []), ("care_rule_create", []), ("care_rule_edit", [setup.pk]),
                       ("care_rule_delete", [setup.pk])):
        assert client.get(reverse(name, args=args)).status_code == (200 if manage else 403), name
    r = client.get(reverse("care_calendar"))
    assert r.status_code == 200
    shown = {u.customer_id for u in r.context["items"]}
    # a "customer's owner" rule: each person's calendar has the birthdays of their own customers
    expected = {getattr(consenting, k).pk for k in OWN_CALENDAR.get(role, ())}
    assert shown == expected, role


@pytest.mark.parametrize("role", ROLES)
def test_api(api_as, org, setup, role):
    api = api_as(getattr(org.users, role))
    manage = role in MANAGERS
    assert api.get("/care/rules").status_code == 200
    body = {"name_zh": "中秋", "kind": "holiday", "holiday": "mid_autumn", "channel": "task"}
    r = api.post("/care/rules", body)
    assert r.status_code == (201 if manage else 403)
    assert api.patch(f"/care/rules/{setup.pk}", {"lead_days": 1}).status_code == (200 if manage else 403)
    assert api.post("/care/run", {"date": "2026-09-20"}).status_code == (200 if role == "admin" else 403)
    cal = api.get("/care/calendar")
    assert cal.status_code == 200
    moments = api.get("/care/moments")
    assert moments.status_code == 200
    assert api.delete(f"/care/rules/{setup.pk}").status_code == (204 if manage else 403)


def test_moments_are_scoped_by_the_policy(api_as, org, setup):
    care_run()
    assert CareMoment.objects.count() == 2
    seen = {m["customer_id"] for m in api_as(org.users.sales_n1).get("/care/moments").json()["items"]}
    assert seen == {Customer.objects.get(owner=org.users.sales_n1, birthday__isnull=False).pk}
    assert api_as(org.users.sales_n1b).get("/care/moments").json()["items"] == []
    assert len(api_as(org.users.admin).get("/care/moments").json()["items"]) == 2


def test_rule_form_validation_and_delete_confirmation(client_for, org, templates):
    client = client_for(org.users.north_marketing)
    r = client.post(reverse("care_rule_create"), {"name_zh": "短信", "kind": "birthday", "channel": "sms",
                                                  "lead_days": 0, "days_after": 3, "day_of_month": 1,
                                                  "active": "on"})
    assert r.status_code == 200 and "needs a message template" in r.content.decode()
    r = client.post(reverse("care_rule_create"), {"name_zh": "短信", "kind": "birthday", "channel": "sms",
                                                  "template": templates.sms.pk, "lead_days": 0, "days_after": 3,
                                                  "day_of_month": 1, "active": "on"})
    assert r.status_code == 302
    rule = CareRule.objects.get()
    page = client.get(reverse("care_rule_delete", args=[rule.pk]))
    assert "Delete this care rule" in page.content.decode() and CareRule.objects.exists()
    assert client.post(reverse("care_rule_delete", args=[rule.pk])).status_code == 302
    assert not CareRule.objects.exists()


def test_calendar_mark_done_and_skip(client_for, org, setup, consenting):
    client = client_for(org.users.sales_n1)
    today = today_local()
    occ = next(u.occasion for u in client.get(reverse("care_calendar")).context["items"])
    r = client.post(reverse("care_mark"), {"rule": setup.pk, "customer": consenting.n1.pk,
                                           "occasion": occ.isoformat(), "status": "done"})
    assert r.status_code == 302
    m = CareMoment.objects.get()
    assert m.status == "done" and m.done_by == org.users.sales_n1 and m.due_on <= today
    # the run does not act on it again
    care_run()
    assert CareMoment.objects.get(customer=consenting.n1).status == "done"
    # another salesperson may not mark a customer they cannot see
    other = client_for(org.users.sales_n1b)
    assert other.post(reverse("care_mark"), {"rule": setup.pk, "customer": consenting.e1.pk,
                                             "occasion": occ.isoformat(), "status": "skipped"}).status_code == 404


def test_customer_360_shows_the_next_moments(client_for, org, setup, consenting):
    html = page_with_cards(client_for(org.users.sales_n1), consenting.n1.pk)
    assert 'data-testid="customer-care"' in html and "Birthday" in html


def test_cli_run_prints_counts(org, setup, capsys):
    from kehu.cli import main

    assert main(["care", "run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and "Birthday: 2 new moments" in out
    assert not CareMoment.objects.exists()
    assert main(["care", "run"]) == 0
    assert "Birthday: 2 new moments" in capsys.readouterr().out and CareMoment.objects.count() == 2
    assert main(["care", "run", "--date", "2026-13-01"]) == 2


def test_a_template_in_use_by_a_care_rule_is_not_deleted(api_as, org, templates):
    rule_create(actor=org.users.admin, data={"name_zh": "短信", "kind": "birthday", "channel": "sms",
                                             "template": templates.sms})
    r = api_as(org.users.admin).delete(f"/outreach/templates/{templates.sms.pk}")
    assert r.status_code == 409 and "Traceback" not in r.content.decode()
    assert type(templates.sms).objects.filter(pk=templates.sms.pk).exists()
