"""Retention targeting by expected gain: the permission matrix (page and API, every role), the
ranking within the view scope, the best N, the uplift from a fake campaigns provider (and the
prior when there is none), the filters, the empty state, the page in both languages and the CLI."""

from __future__ import annotations

import json
import sys
import types

import pytest
from django.urls import reverse

from kehu.insights.models import AnalysisRun
from kehu.insights.segments import segment_create
from kehu.marketing.targeting import selectors, views
from tests.api.conftest import api_as  # noqa: F401
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = pytest.mark.django_db

ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_n1b", "sales_e1"]
MAY_OPEN = {"admin", "hq_manager", "north_manager", "north_marketing", "east_manager"}
# the value fixture's customers each role sees
SEES = {"admin": {"n1", "n1_risky", "n1_due", "n1b", "e1"}, "hq_manager": {"n1", "n1_risky", "n1_due", "n1b", "e1"},
        "north_manager": {"n1", "n1_risky", "n1_due", "n1b"}, "north_marketing": {"n1", "n1_risky", "n1_due", "n1b"},
        "east_manager": {"e1"}}
# clv = 0.6 × revenue; g = clv × risk × 0.10 (the prior)
GAINS = {"n1_risky": 518.4, "n1": 300.0, "n1b": 96.0, "e1": 78.0, "n1_due": 54.0}
CAMPAIGNS_MODULE = "kehu.marketing.campaigns.selectors"


@pytest.fixture(autouse=True)
def no_campaigns(monkeypatch):
    """No campaigns app in these tests unless one says otherwise (the real one may be merged later)."""
    monkeypatch.setattr(selectors, "retention_outcomes", lambda: None)


def fake_campaigns(monkeypatch, outcomes):
    """A fake campaigns selectors module whose retention_outcomes() returns ``outcomes``."""
    monkeypatch.undo()
    module = types.ModuleType(CAMPAIGNS_MODULE)
    module.retention_outcomes = lambda: outcomes
    monkeypatch.setitem(sys.modules, CAMPAIGNS_MODULE, module)


def _ids(value, keys):
    return {getattr(value.scores, k).customer_id for k in keys}


# -- the permission matrix ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_page_permission_matrix(client_for, org, value, role):
    r = client_for(getattr(org.users, role)).get(reverse("targeting"), {"cost": "0", "per": "100"})
    if role not in MAY_OPEN:
        assert r.status_code == 403
        return
    assert r.status_code == 200
    assert {row.customer_id for row in r.context["page"].items} == _ids(value, SEES[role])
    nav = {item["key"] for item in r.context["nav_items"]}
    assert "targeting" in nav


@pytest.mark.parametrize("role", ROLES)
def test_api_permission_matrix(api_as, org, value, role):  # noqa: F811
    r = api_as(getattr(org.users, role)).get("/targeting", {"cost": "0", "limit": 100})
    if role not in MAY_OPEN:
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "forbidden"
        return
    assert r.status_code == 200, r.content
    body = r.json()
    assert {c["customer_id"] for c in body["customers"]} == _ids(value, SEES[role])
    assert body["ranked"] == len(SEES[role])


def test_nav_hides_the_page_from_those_who_may_not_open_it(client_for, org, value):
    r = client_for(org.users.sales_n1).get(reverse("home"))
    assert "targeting" not in {item["key"] for item in r.context["nav_items"]}


# -- the ranking and the best N --------------------------------------------------------------------

def test_ranking_and_best_n(org, value):
    t = selectors.targeting(viewer=org.users.admin, cost_per_contact=100.0)
    assert t.uplift.source == "prior" and t.uplift.value == pytest.approx(0.10)
    rows = selectors.top_rows(t, limit=10)
    names = {getattr(value.scores, k).customer_id: k for k in GAINS}
    assert [names[r.customer_id] for r in rows] == ["n1_risky", "n1", "n1b", "e1", "n1_due"]
    assert [r.gain for r in rows] == pytest.approx([GAINS[names[r.customer_id]] for r in rows])
    assert [r.rank for r in rows] == [1, 2, 3, 4, 5]
    # only the first two gains exceed a cost of 100
    assert t.best == pytest.approx({"n": 2, "value": 818.4, "cost": 200.0, "net": 618.4})
    assert [r.chosen for r in rows] == [True, True, False, False, False]
    # a fixed cost larger than any net gain: contact nobody
    assert selectors.targeting(viewer=org.users.admin, cost_per_contact=100.0, fixed_cost=1000.0).best["n"] == 0
    # an N asked for
    t3 = selectors.targeting(viewer=org.users.admin, cost_per_contact=100.0, n=3)
    assert t3.chosen == pytest.approx({"n": 3, "value": 914.4, "cost": 300.0, "net": 614.4})
    assert selectors.targeting(viewer=org.users.admin, n=99).chosen["n"] == 5


def test_sorts_and_pages(org, value):
    t = selectors.targeting(viewer=org.users.admin, cost_per_contact=0.0)
    names = {getattr(value.scores, k).customer_id: k for k in GAINS}
    by_risk = [names[r.customer_id] for r in selectors.top_rows(t, sort="-risk", limit=10)]
    assert by_risk == ["n1_risky", "e1", "n1_due", "n1b", "n1"]
    by_clv = [names[r.customer_id] for r in selectors.top_rows(t, sort="clv", limit=10)]
    assert by_clv == ["e1", "n1_due", "n1b", "n1_risky", "n1"]
    page2 = selectors.top_rows(t, offset=2, limit=2)
    assert [names[r.customer_id] for r in page2] == ["n1b", "e1"]


def test_customers_without_clv_or_risk_are_not_ranked(org, value):
    value.scores.n1_due.clv = None
    value.scores.n1_due.save()
    t = selectors.targeting(viewer=org.users.admin, cost_per_contact=0.0)
    assert t.ranked == 4 and t.curve.unknown == 1


def test_filters(org, value, customers):
    admin = org.users.admin
    gold = selectors.targeting(viewer=admin, filters=selectors.TargetingFilters(tier="gold"))
    assert set(gold.ids.tolist()) == {value.scores.n1.customer_id}
    east = selectors.targeting(viewer=admin, filters=selectors.TargetingFilters(team_id=org.teams.east.pk))
    assert set(east.ids.tolist()) == {value.scores.e1.customer_id}
    seg = segment_create(actor=admin, name="Risky", rule={"score": {"churn_risk_min": 0.6}})
    risky = selectors.targeting(viewer=admin, filters=selectors.TargetingFilters(segment_id=seg.pk))
    assert set(risky.ids.tolist()) == {value.scores.n1_risky.customer_id, value.scores.e1.customer_id}
    # the segment through a north viewer: still only what they see
    north = selectors.targeting(viewer=org.users.north_marketing,
                                filters=selectors.TargetingFilters(segment_id=seg.pk))
    assert set(north.ids.tolist()) == {value.scores.n1_risky.customer_id}


# -- the uplift -------------------------------------------------------------------------------------

def test_uplift_is_the_prior_without_the_campaigns_app(monkeypatch, org):
    monkeypatch.undo()  # the real guard: kehu.marketing.campaigns is not on this branch
    monkeypatch.setitem(sys.modules, CAMPAIGNS_MODULE, None)  # import of it raises ImportError
    est = selectors.uplift_estimate()
    assert (est.source, est.reason, est.value) == ("prior", "no_campaigns_app", 0.10)


def test_uplift_measured_from_a_fake_campaigns_provider(monkeypatch, org, value):
    # two campaigns: 30 of 300 treated and 50 of 300 held out left; 20 of 200 and 30 of 200
    fake_campaigns(monkeypatch, [(30, 300, 50, 300), (20, 200, 30, 200)])
    est = selectors.uplift_estimate()
    assert est.source == "measured" and est.campaigns == 2
    assert est.value == pytest.approx(1 - 50 / 80)  # pooled risk ratio 50/80
    assert est.ci_low < est.value < est.ci_high
    t = selectors.targeting(viewer=org.users.admin, cost_per_contact=0.0)
    assert t.uplift.source == "measured"
    top = selectors.top_rows(t, limit=1)[0]
    assert top.gain == pytest.approx(7200 * 0.72 * est.value)


def test_uplift_prior_when_the_provider_has_too_little_or_nothing(monkeypatch, org):
    fake_campaigns(monkeypatch, [])
    assert selectors.uplift_estimate().reason == "no_campaign"
    fake_campaigns(monkeypatch, [(1, 50, 3, 50)])
    est = selectors.uplift_estimate()
    assert (est.source, est.reason) == ("prior", "too_few_control_churners")


# -- the page --------------------------------------------------------------------------------------

def test_page_in_english_and_chinese(client_for, org, value, monkeypatch):
    fake_campaigns(monkeypatch, [(30, 300, 50, 300)])
    client = client_for(org.users.north_marketing)
    en = client.get(reverse("targeting"), {"cost": "100"}, HTTP_ACCEPT_LANGUAGE="en")
    text = en.content.decode()
    assert "Retention targeting" in text and "Measured:" in text and "predicted lifetime value × churn risk" in text
    assert en.context["t"].best["n"] == 4  # uplift 1 − 30/50 = 40%: every gain exceeds 100
    assert 'data-testid="targeting-best-n">4<' in text
    assert "vega" in text.lower()
    # no campaigns page on this branch: no button
    assert 'data-testid="targeting-create-campaign"' in text and "audience=gain" in text
    zh = client.get(reverse("targeting"), {"cost": "100"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    ztext = zh.content.decode()
    assert "挽留目标" in ztext and "预期增量价值" in ztext


def test_page_says_prior_and_validates(client_for, org, value):
    client = client_for(org.users.admin)
    r = client.get(reverse("targeting"), {"cost": "-1", "n": "x"})
    assert r.status_code == 200
    text = r.content.decode()
    assert 'data-testid="targeting-errors"' in text and "Prior:" in text
    assert "campaigns are not set up yet" in text
    zh = client.get(reverse("targeting"), {"cost": "-1"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "确保该值大于或等于" in zh


def test_page_pages_and_sorts(client_for, org, value):
    client = client_for(org.users.admin)
    r = client.get(reverse("targeting"), {"cost": "0", "per": "25", "sort": "risk"})
    assert [row.customer_id for row in r.context["page"].items][0] == value.scores.n1.customer_id
    r = client.get(reverse("targeting"), {"cost": "0", "cursor": "999"})
    assert len(r.context["page"].items) == 5  # a stale cursor starts again


def test_empty_state_without_an_analysis(client_for, org, customers):
    AnalysisRun.objects.all().delete()
    r = client_for(org.users.admin).get(reverse("targeting"))
    assert r.status_code == 200
    assert 'data-testid="targeting-empty"' in r.content.decode()
    assert r.context["t"].run is None


def test_campaign_button_when_the_campaigns_page_exists(monkeypatch):
    monkeypatch.setattr(views, "reverse", lambda name: "/campaigns/new/")
    assert views.campaign_url(12) == "/campaigns/new/?audience=gain&n=12"
    monkeypatch.undo()
    assert views.campaign_url(12) == "/campaigns/new/?audience=gain&n=12"


def test_a_retention_campaign_for_the_top_n_by_expected_gain(client_for, org, value):
    """The page's button opens a retention campaign for the top N; its audience is the ranking's top N
    of the customers the marketer sees (the prior uplift: the order of GAINS)."""
    from kehu.marketing.campaigns.models import AudienceKind, CampaignKind
    from kehu.marketing.campaigns.selectors import audience_arrays
    from kehu.marketing.campaigns.services import campaign_create
    from kehu.marketing.outreach.models import MessageTemplate

    marketer = org.users.north_marketing
    r = client_for(marketer).get(views.campaign_url(2))
    assert r.status_code == 200
    form = r.context["form"]
    assert form.initial["audience_kind"] == AudienceKind.GAIN and form.initial["gain_top"] == 2
    assert form.initial["kind"] == CampaignKind.RETENTION
    tpl = MessageTemplate.objects.create(code="keep", name="Keep", channel="email", subject_zh="您好",
                                         body_zh="{{ customer.name }}")
    campaign = campaign_create(actor=marketer, data={"name": "挽留", "kind": "retention", "audience_kind": "gain",
                                                     "gain_top": 2}, variants=[{"template": tpl}])
    ids, _strata = audience_arrays(campaign)
    assert set(ids.tolist()) == _ids(value, ["n1_risky", "n1"])   # e1 (another team) is never in it
    with pytest.raises(Exception) as exc:
        campaign_create(actor=marketer, data={"name": "x", "audience_kind": "gain"}, variants=[{"template": tpl}])
    assert "gain_top" in exc.value.message_dict


# -- the API and the command ------------------------------------------------------------------------

def test_api_figures(api_as, org, value):  # noqa: F811
    body = api_as(org.users.admin).get("/targeting", {"cost": "100", "n": 3, "limit": 2}).json()
    assert body["uplift"]["source"] == "prior" and body["uplift"]["ci_low"] is None
    assert (body["best_n"], body["best_net"]) == (2, "618.40")
    assert (body["n"], body["value"], body["cost"], body["net"]) == (3, "914.40", "300.00", "614.40")
    assert [c["rank"] for c in body["customers"]] == [1, 2] and body["next_offset"] == 2
    assert body["customers"][0]["expected_gain"] == "518.40"
    assert body["curve"][0] == {"n": 0, "value": "0.00", "cost": "0.00", "net": "0.00"}
    assert api_as(org.users.admin).get("/targeting", {"cost": "-1"}).status_code == 422


def test_api_without_an_analysis(api_as, org):  # noqa: F811
    body = api_as(org.users.admin).get("/targeting").json()
    assert body["run_id"] is None and body["ranked"] == 0 and body["customers"] == []


def test_cli(org, value, capsys):
    from kehu.marketing.targeting.cli import cmd_targeting

    args = types.SimpleNamespace(as_user=None, cost=100.0, fixed_cost=0.0, top=None, limit=100, json=True)
    assert cmd_targeting(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["best"]["n"] == 2 and len(out["customers"]) == 2
    args.json, args.top = False, 3
    assert cmd_targeting(args) == 0
    text = capsys.readouterr().out
    assert "best N: 2" in text and "Top 3" in text
    args.as_user = "sales_n1"
    assert cmd_targeting(args) == 2


def test_the_gain_audience_preview_is_ranked_once_per_campaign_version(org, value, monkeypatch):
    """The campaign page's preview of an expected-gain audience does not rank every score on each view."""
    from kehu.marketing.campaigns import services as campaign_services
    from kehu.marketing.campaigns.selectors import audience_preview
    from kehu.marketing.campaigns.services import campaign_create
    from kehu.marketing.outreach.models import MessageTemplate

    tpl = MessageTemplate.objects.create(code="keep-preview", name="Keep", channel="email", subject_zh="您好",
                                         body_zh="{{ customer.name }}")
    campaign = campaign_create(actor=org.users.north_marketing, data={"name": "挽留", "audience_kind": "gain",
                                                                      "gain_top": 2}, variants=[{"template": tpl}])
    draws = []
    real = campaign_services._draw
    monkeypatch.setattr(campaign_services, "_draw", lambda c: draws.append(c.pk) or real(c))
    first = audience_preview(campaign=campaign)
    assert audience_preview(campaign=campaign) == first and first["audience"] == 2
    assert draws == [campaign.pk]
