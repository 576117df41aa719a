"""The win-back pages, API and exports: every role against the one policy (the
permission matrix), the mark-lost form with its confirmation, the 360 card, the
command, and the OpenAPI operations under Schemathesis."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.marketing.winback.models import LossRecord
from kehu.marketing.winback.services import loss_create
from tests.api.conftest import ApiClient, assert_error

from .conftest import LOST_ON
from tests.marketing.cards import page_with_cards

pytestmark = pytest.mark.django_db

ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_n1b", "sales_e1"]
# the lost customers each role sees (as tests/api/test_permissions.py VISIBLE)
SEES = {"admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"}, "north_manager": {"n1"},
        "north_service": {"n1"}, "north_marketing": {"n1"}, "east_manager": {"e1"}, "sales_n1": {"n1"},
        "sales_n1b": set(), "sales_e1": {"e1"}}
# who may mark n1 lost or won back (change it): never the read-only roles, never another salesperson
CHANGES_N1 = {"admin", "hq_manager", "north_manager", "north_service", "sales_n1"}


@pytest.fixture
def lost(org, history):
    u = org.users
    return {"n1": loss_create(actor=u.sales_n1, customer=history.n1, reason="staff", lost_on=LOST_ON),
            "e1": loss_create(actor=u.sales_e1, customer=history.e1, reason="competitor", lost_on=LOST_ON)}


def _api(user):
    from kehu.org.services import token_create

    return ApiClient(token_create(user=user, name="tests")[1])


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("role", ROLES)
def test_pages_and_exports_by_role(client_for, org, lost, role):
    client = client_for(getattr(org.users, role))
    names = {k: lost[k].customer.name for k in lost}
    expected = SEES[role]
    html = client.get(reverse("winback_losses")).content.decode()
    assert html.count('data-testid="winback-loss-row"') == len(expected), role
    for key, name in names.items():
        assert (name in html) == (key in expected), (role, key)
    html = client.get(reverse("winback_candidates")).content.decode()
    assert html.count('data-testid="winback-candidate-row"') == len(expected), role
    response = client.get(reverse("winback_report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert ('data-testid="winback-totals"' in html) == bool(expected)
    for url in (reverse("winback_losses_export"), reverse("winback_report_export")):
        response = client.get(url, {"format": "csv"})
        assert response.status_code == 200
        text = _body(response).decode()
        if "losses" in url:
            for key, name in names.items():
                assert (name in text) == (key in expected), (role, key)
    assert AuditEvent.objects.filter(action="export", actor=getattr(org.users, role)).count() == 2
    # the 360 page and the mark-lost form follow the customer's policy
    n1 = lost["n1"].customer
    response = client.get(reverse("customer_detail", args=[n1.pk]))
    assert response.status_code == (200 if "n1" in expected else 404)
    if response.status_code == 200:
        html = page_with_cards(client, n1.pk)
        assert 'data-testid="customer-loss"' in html
        assert ('data-testid="customer-won-back"' in html) == (role in CHANGES_N1)
    status = client.get(reverse("winback_mark_lost", args=[n1.pk])).status_code
    assert status == (200 if role in CHANGES_N1 else 403 if "n1" in expected else 404), role
    status = client.get(reverse("winback_won_back", args=[lost["n1"].pk])).status_code
    assert status == (200 if role in CHANGES_N1 else 403 if "n1" in expected else 404), role


def test_pages_need_a_login(client, lost):
    for url in (reverse("winback_report"), reverse("winback_losses"), reverse("winback_candidates"),
                reverse("winback_losses_export"), reverse("winback_report_export"),
                reverse("winback_mark_lost", args=[lost["n1"].customer_id])):
        assert client.get(url).status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_api_by_role(org, lost, history, role):
    api = _api(getattr(org.users, role))
    expected = {lost[k].pk for k in SEES[role]}
    r = api.get("/winback/losses")
    assert r.status_code == 200
    assert {x["id"] for x in r.json()["items"]} == expected
    r = api.get("/winback/candidates")
    assert {x["loss_id"] for x in r.json()["items"]} == expected
    r = api.get("/winback/report", {"period": "quarter"})
    assert r.status_code == 200 and r.json()["total"]["losses"] == len(expected)
    for key, loss in lost.items():
        r = api.get(f"/winback/losses/{loss.pk}")
        assert r.status_code == (200 if key in SEES[role] else 404)
    # marking won back: who may change the customer; 403 for those who only see it, 404 for the others
    r = api.post(f"/winback/losses/{lost['n1'].pk}/won-back", {"won_back_on": "2026-11-01"})
    want = 200 if role in CHANGES_N1 else 403 if "n1" in SEES[role] else 404
    assert r.status_code == want, (role, r.content)
    # marking n1b lost: its owner, the north's managers and service, head office, administrators
    r = api.post("/winback/losses", {"customer_id": history.n1b.pk, "reason": "moved", "lost_on": "2026-06-01"})
    may = {"admin", "hq_manager", "north_manager", "north_service", "sales_n1b"}
    sees = {"admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "sales_n1b"}
    assert r.status_code == (201 if role in may else 403 if role in sees else 404), (role, r.content)


def test_api_create_validates_and_reports_the_loss(org, history):
    api = _api(org.users.sales_n1)
    assert_error(api.post("/winback/losses", {"customer_id": history.n1.pk, "reason": "other"}), 422,
                 "validation_error")
    assert_error(api.post("/winback/losses", {"customer_id": history.n1.pk, "reason": "bored"}), 422)
    r = api.post("/winback/losses", {"customer_id": history.n1.pk, "reason": "other", "reason_other": "Closed the plant",
                                     "lost_on": LOST_ON.isoformat(), "note": "Visited twice"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["revenue_lost"] == "3500.00" and body["expected_value"] == "700.00" and body["won_back_on"] is None
    assert body["reason_other"] == "Closed the plant" and body["owner_id"] == org.users.sales_n1.pk
    err = assert_error(api.post("/winback/losses", {"customer_id": history.n1.pk, "reason": "staff"}), 422)
    assert "customer" in err["fields"]
    r = api.get("/winback/report")
    other = next(x for x in r.json()["by_reason"] if x["reason"] == "other")
    assert other["losses"] == 1 and other["share"] == "100.0" and other["reference_share"] is None
    staff = next(x for x in r.json()["by_reason"] if x["reason"] == "staff")
    assert staff["reference_share"] == "68" and staff["share"] == "0.0"
    assert ApiClient().get("/winback/report").status_code == 401


def test_the_endpoints_are_in_the_openapi(org):
    paths = _api(org.users.admin).get("/openapi.json").json()["paths"]
    for path in ("/api/v1/winback/losses", "/api/v1/winback/report", "/api/v1/winback/candidates",
                 "/api/v1/winback/losses/{loss_id}", "/api/v1/winback/losses/{loss_id}/won-back"):
        assert path in paths, path


def test_mark_lost_from_the_360_page_asks_for_confirmation(client_for, org, history):
    n1 = history.n1
    client = client_for(org.users.sales_n1)
    html = page_with_cards(client, n1.pk)
    assert 'data-testid="customer-mark-lost"' in html and "Never marked lost." in html
    url = reverse("winback_mark_lost", args=[n1.pk])
    html = client.post(url, {"reason": "other", "reason_other": "", "lost_on": LOST_ON.isoformat()}).content.decode()
    assert "Say in words why the customer left." in html and not LossRecord.objects.exists()
    data = {"reason": "product", "lost_on": LOST_ON.isoformat(), "note": "Coil rusted twice"}
    html = client.post(url, data).content.decode()
    assert 'data-testid="winback-confirm-form"' in html and "3,500.00" in html.replace("¥", "")
    assert not LossRecord.objects.exists()   # nothing yet: the confirmation page
    response = client.post(url, {**data, "confirm": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("#winback")
    loss = LossRecord.objects.get()
    assert (loss.reason, loss.note, loss.lost_on) == ("product", "Coil rusted twice", LOST_ON)
    html = page_with_cards(client, n1.pk)
    assert "Dissatisfied with the product" in html and 'data-testid="customer-won-back"' in html
    history = html.split('data-testid="lifecycle-history"', 1)[1].split("</details>", 1)[0]
    assert "<strong>Lost" in history   # the lifecycle history keeps the move
    # won back by hand from the card
    response = client.post(reverse("winback_won_back", args=[loss.pk]), {"won_back_on": "2026-11-02",
                                                                         "note": "Replaced the coil"})
    assert response.status_code == 302
    loss.refresh_from_db()
    assert loss.won_back_on == dt.date(2026, 11, 2) and loss.won_back_note == "Replaced the coil"


def test_the_pages_in_chinese(client_for, org, lost):
    user = org.users.admin
    user.language = "zh-hans"
    user.save()
    client = client_for(user)
    html = client.get(reverse("winback_report")).content.decode()
    assert "员工态度冷漠" in html and "68%" in html
    html = client.get(reverse("winback_mark_lost", args=[lost["n1"].customer_id])).content.decode()
    assert "挽回" in html or "流失" in html


def test_the_command(org, history, capsys):
    ref = history.n1.ref
    assert main(["winback", "mark-lost", ref, "--reason", "competitor", "--date", LOST_ON.isoformat(),
                 "--as", "sales_n1"]) == 0
    assert "3500.00" in capsys.readouterr().out
    assert main(["winback", "mark-lost", history.e1.ref, "--reason", "staff", "--as", "sales_n1"]) == 2
    assert "no customer" in capsys.readouterr().err
    assert main(["winback", "mark-lost", history.n1b.ref, "--reason", "staff", "--as", "north_marketing"]) == 2
    assert main(["winback", "candidates", "--json", "--as", "north_marketing"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["customer_id"], r["expected_value"]) for r in rows] == [(history.n1.pk, "875.00")]
    assert main(["winback", "report", "--json", "--period", "quarter"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"]["losses"] == 1 and report["by_period"][0]["period"] == "2026-Q2"
    assert main(["winback", "report"]) == 0
    assert "Went to a competitor" in capsys.readouterr().out
    assert main(["winback", "won-back", ref, "--date", "2026-11-01", "--campaign", "7", "--as", "sales_n1"]) == 0
    loss = LossRecord.objects.get()
    assert (loss.won_back_how, loss.won_back_campaign_id) == ("campaign", 7)
    assert main(["winback", "won-back", ref, "--as", "sales_n1"]) == 2
