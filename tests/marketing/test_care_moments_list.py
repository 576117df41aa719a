"""/care/moments/: the care moments list — mine by default, filters, sorting, done in place (htmx), the policy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.marketing.care.models import CareMoment
from kehu.marketing.care.services import care_run, rule_create
from tests.membership.test_api import ROLES, VISIBLE
from tests.outreach.conftest import consenting, templates  # noqa: F401

pytestmark = pytest.mark.django_db
NOON = dt.time(4, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def moments(org, consenting, templates):
    Customer.objects.filter(pk__in=[consenting.n1.pk, consenting.e1.pk]).update(birthday=dt.date(1980, 6, 10))
    rule = rule_create(actor=org.users.admin, data={"name_zh": "生日提醒", "name_en": "Birthday call",
                                                    "kind": "birthday", "channel": "task", "lead_days": 0})
    care_run(date=dt.date(2026, 6, 10), now=dt.datetime.combine(dt.date(2026, 6, 10), NOON))
    return rule


def test_mine_by_default_and_all_i_can_see(client_for, org, consenting, moments):
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("care_moments")).content.decode()
    assert consenting.n1.name in html and consenting.e1.name not in html
    assert 'data-testid="care-moment-done"' in html
    # another team's customer never shows, even with "all"
    html = client.get(reverse("care_moments"), {"who": "all"}).content.decode()
    assert consenting.e1.name not in html
    html = client_for(org.users.admin).get(reverse("care_moments"), {"who": "all"}).content.decode()
    assert consenting.n1.name in html and consenting.e1.name in html
    # the administrator's own (none: the rule has no owner, the customers theirs)
    html = client_for(org.users.admin).get(reverse("care_moments")).content.decode()
    assert "No care moments for you yet" in html


def test_filters_sorting_and_empty_state(client_for, org, consenting, moments):
    client = client_for(org.users.admin)
    url = reverse("care_moments")
    html = client.get(url, {"who": "all", "status": "done"}).content.decode()
    assert "No care moment matches these filters." in html
    html = client.get(url, {"who": "all", "due_from": "2026-06-11"}).content.decode()
    assert "No care moment matches these filters." in html
    html = client.get(url, {"who": "all", "rule": moments.pk, "sort": "-due"}).content.decode()
    assert consenting.n1.name in html
    html = client.get(url, {"owner": org.users.sales_e1.pk}).content.decode()
    assert consenting.e1.name in html and consenting.n1.name not in html
    assert client.get(url, {"sort": "nonsense", "due_from": "bad"}).status_code == 200


def test_done_in_place_with_htmx(client_for, org, consenting, moments):
    client = client_for(org.users.sales_n1)
    m = CareMoment.objects.get(customer=consenting.n1)
    r = client.post(reverse("care_mark"), {"rule": moments.pk, "customer": consenting.n1.pk,
                                           "occasion": m.occasion.isoformat(), "status": "done", "row": "1"},
                    HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and f'id="moment-{m.pk}"' in html and "care-moment-done" not in html
    m.refresh_from_db()
    assert m.status == "done" and m.done_by == org.users.sales_n1
    # a second time: refused, shown in the row
    r = client.post(reverse("care_mark"), {"rule": moments.pk, "customer": consenting.n1.pk,
                                           "occasion": m.occasion.isoformat(), "status": "skipped", "row": "1"},
                    HTTP_HX_REQUEST="true")
    assert 'role="alert"' in r.content.decode()
    # another team's salesperson: 404
    other = client_for(org.users.sales_e1)
    assert other.post(reverse("care_mark"), {"rule": moments.pk, "customer": consenting.n1.pk,
                                             "occasion": m.occasion.isoformat(), "status": "done",
                                             "row": "1"}, HTTP_HX_REQUEST="true").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_moments_and_cards(client_for, org, consenting, moments, role):
    """Every role: the moments list shows only the customers the policy lets it see; the 360 page's
    marketing cards answer 404 for a customer it does not see."""
    from kehu.marketing.cards import CARDS

    client = client_for(getattr(org.users, role))
    r = client.get(reverse("care_moments"), {"who": "all"})
    assert r.status_code == 200
    shown = {m.customer_id for m in r.context["page"].items}
    assert shown == {getattr(consenting, k).pk for k in VISIBLE[role]}, role
    for key in ("n1", "e1"):
        for card in CARDS:
            status = client.get(reverse("customer_marketing_card", args=[getattr(consenting, key).pk, card])).status_code
            assert status == (200 if key in VISIBLE[role] else 404), (role, key, card)
