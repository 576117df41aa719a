"""The campaign pages, API, export and command against the one policy (the permission matrix):
everyone signed in reads campaigns and their results; marketing and administrators create,
send and cancel them; members are shown only for customers the viewer sees."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.marketing.campaigns.models import Campaign, Member
from tests.api.conftest import ApiClient, assert_error

from .conftest import run

pytestmark = pytest.mark.django_db

ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_n1b", "sales_e1"]
MANAGE = {"admin", "north_marketing"}
# the audience's customers each role sees: n1 + ten more of sales_n1 (north), n1b (north), e1 (east)
SEES = {"admin": 13, "hq_manager": 13, "analyst": 13, "north_manager": 12, "north_service": 12,
        "north_marketing": 12, "east_manager": 1, "sales_n1": 11, "sales_n1b": 1, "sales_e1": 1}


def _api(user):
    from kehu.org.services import token_create

    return ApiClient(token_create(user=user, name="tests")[1])


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client_for, org, campaign, role):
    c = run(campaign)
    user = getattr(org.users, role)
    client = client_for(user)
    html = client.get(reverse("campaign_list")).content.decode()
    assert html.count('data-testid="campaign-row"') == 1
    assert ('data-testid="campaign-new"' in html) == (role in MANAGE)
    for name in ("campaign_detail", "campaign_results", "campaign_costs", "campaign_members"):
        assert client.get(reverse(name, args=[c.pk])).status_code == 200, (role, name)
    html = client.get(reverse("campaign_members", args=[c.pk]), {"per": 100}).content.decode()
    assert html.count('data-testid="campaign-member-row"') == SEES[role], role
    text = _body(client.get(reverse("campaign_members_export", args=[c.pk]), {"format": "csv"})).decode()
    assert len(text.strip().splitlines()) == SEES[role] + 1
    assert AuditEvent.objects.filter(action="export", actor=user).count() == 1
    expected = 200 if role in MANAGE else 403
    assert client.get(reverse("campaign_create")).status_code == expected
    assert client.get(reverse("campaign_cancel", args=[c.pk])).status_code == expected
    assert client.post(reverse("campaign_costs", args=[c.pk]), {"category": "other", "planned": "1",
                                                                 "actual": "1"}).status_code in (
        (302,) if role in MANAGE else (403,))


@pytest.mark.parametrize("role", ROLES)
def test_api_by_role(org, campaign, templates, role):
    api = _api(getattr(org.users, role))
    assert api.get("/campaigns").status_code == 200
    assert api.get(f"/campaigns/{campaign.pk}").status_code == 200
    r = api.post("/campaigns/{}/send".format(campaign.pk), {"dry_run": True})
    if role in MANAGE:
        assert r.status_code == 200 and r.json()["audience"] == 13 and r.json()["dry_run"]   # the creator's visibility
    else:
        assert_error(r, 403)
    r = api.post("/campaigns", {"name": "API", "audience_kind": "rule",
                                "variants": [{"label": "A", "template_id": templates.a.pk}]})
    assert r.status_code == (201 if role in MANAGE else 403), r.content
    r = api.post(f"/campaigns/{campaign.pk}/costs", {"category": "printing", "planned": "100.00", "actual": "80.00"})
    assert r.status_code == (201 if role in MANAGE else 403)
    assert api.get(f"/campaigns/{campaign.pk}/results").status_code == 200
    assert api.get("/campaigns/999999").status_code == 404


def test_api_send_results_members(org, campaign):
    admin, seller = _api(org.users.admin), _api(org.users.sales_e1)
    r = admin.post(f"/campaigns/{campaign.pk}/send", {})
    assert r.status_code == 200 and r.json()["status"] == "scheduled"
    c = run(Campaign.objects.get(pk=campaign.pk))
    assert c.status == "sent"
    res = admin.get(f"/campaigns/{c.pk}/results").json()
    assert res["audience"] == 13 and res["reach"] == 10 and res["control"] == 3
    assert res["pooled"]["n_control"] == 3
    members = seller.get(f"/campaigns/{c.pk}/members").json()
    assert [m["customer_name"] for m in members["items"]] == ["华东机械集团"]
    r = admin.patch(f"/campaigns/{c.pk}", {"name": "renamed"})
    assert_error(r, 422)
    assert admin.post(f"/campaigns/{c.pk}/cancel").status_code == 422


def test_form_creates_a_campaign_in_chinese(client_for, org, audience, templates, settings):
    client = client_for(org.users.north_marketing)
    r = client.post(reverse("campaign_create"), {
        "name": "冬季回馈", "kind": "retention", "channel": "email", "audience_kind": "rule", "rule_tiers": [],
        "attribution_days": "30", "control_share": "0.1", "budget": "1000", "cost_per_message": "0",
        "variant_A_template": templates.a.pk, "variant_A_share": "1"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 302, r.content.decode()[:3000]
    c = Campaign.objects.get(name="冬季回馈")
    html = client.get(reverse("campaign_detail", args=[c.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="audience-size"' in html
    r = client.post(reverse("campaign_create"), {"name": "", "audience_kind": "segment", "attribution_days": "0",
                                                 "control_share": "2"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200 and "has-error" in r.content.decode()


def test_pages_in_both_languages(client_for, org, campaign, settings):
    c = run(campaign)
    client = client_for(org.users.admin)
    for lang, word in (("zh-hans", "营销活动"), ("en", "Campaigns")):
        settings.LANGUAGE_CODE = lang
        html = client.get(reverse("campaign_list"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert word in html
        html = client.get(reverse("campaign_results", args=[c.pk]), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert 'data-testid="campaign-results"' in html


def test_send_confirmation_then_progress(client_for, org, campaign):
    client = client_for(org.users.north_marketing)
    html = client.get(reverse("campaign_send", args=[campaign.pk])).content.decode()
    assert 'data-testid="campaign-send-confirm"' in html and not Member.objects.exists()
    assert client.post(reverse("campaign_send", args=[campaign.pk])).status_code == 302
    assert Member.objects.filter(campaign=campaign).count() == 13   # the creator's (admin's) visibility
    r = client.get(reverse("campaign_progress", args=[campaign.pk]), HTTP_HX_REQUEST="true")
    assert 'data-testid="campaign-progress"' in r.content.decode()


def test_empty_list(client_for, org):
    html = client_for(org.users.sales_n1).get(reverse("campaign_list")).content.decode()
    assert 'data-testid="campaign-empty"' in html


def test_command(org, campaign, capsys):
    assert main(["campaign", "send", campaign.code, "--dry-run"]) == 0
    assert not Member.objects.exists()
    assert main(["campaign", "send", campaign.code]) == 0
    out = capsys.readouterr().out
    assert "13" in out
    assert main(["campaign", "results", campaign.code, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["audience"] == 13
    assert main(["campaign", "list"]) == 0
    assert campaign.code in capsys.readouterr().out
    assert main(["campaign", "send", "NOPE"]) == 2


def test_customer_page_lists_the_campaigns(client_for, org, campaign, audience):
    run(campaign)
    page = client_for(org.users.sales_n1).get(reverse("customer_detail", args=[audience.n1.pk])).content.decode()
    card = reverse("customer_marketing_card", args=[audience.n1.pk, "campaigns"])
    assert card in page   # the card arrives after the page (htmx)
    html = client_for(org.users.sales_n1).get(card).content.decode()
    assert 'data-testid="customer-campaign"' in html and campaign.code in html
    assert client_for(org.users.sales_e1).get(reverse("customer_detail", args=[audience.n1.pk])).status_code == 404
    assert client_for(org.users.sales_e1).get(card).status_code == 404
