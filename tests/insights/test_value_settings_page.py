"""The value settings page: administrators edit tiers and their policies, the
scorecard and thresholds through the engine's config service; every problem
is shown beside its field."""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.urls import reverse

from kehu.insights.config import value_settings

pytestmark = pytest.mark.django_db


def form_data(client) -> dict:
    """The settings form as the browser would post it, unchanged."""
    html = client.get(reverse("value_settings")).content.decode()
    form = html[html.index('data-testid="settings-form"'):]
    data = {}
    for m in re.finditer(r'<input([^>]*)>', form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        if "name" not in attrs or attrs.get("type") in ("submit",):
            continue
        if attrs.get("type") == "checkbox":
            if "checked" in m.group(1):
                data[attrs["name"]] = attrs.get("value", "on")
            continue
        data[attrs["name"]] = attrs.get("value", "")
    for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[m.group(1)] = m.group(2)
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        sel = re.search(r'<option value="([^"]*)" selected>', m.group(2))
        data[m.group(1)] = sel.group(1) if sel else ""
    return {k: html_module.unescape(v) for k, v in data.items()}


def test_only_administrators_open_the_settings(client, org):
    for role in ("hq_manager", "analyst", "sales_n1", "north_manager"):
        client.force_login(getattr(org.users, role))
        assert client.get(reverse("value_settings")).status_code == 403, role
        assert client.post(reverse("value_settings"), {}).status_code == 403, role


def test_unchanged_form_saves_the_same_settings(client, org):
    client.force_login(org.users.admin)
    before = value_settings()
    r = client.post(reverse("value_settings"), form_data(client))
    assert r.status_code == 302, r.content.decode()[:2000]
    assert value_settings() == before


def test_edit_policy_rule_scorecard_and_threshold(client, org):
    client.force_login(org.users.admin)
    data = form_data(client)
    data["tiers.levels.gold.policy.zh-hans"] = "专人服务，季度走访"
    data["tiers.rules.1.conditions.0.value"] = "0.9"
    data["tiers.rules.2.remove"] = "1"
    data["tiers.rules.3.tier"] = "silver"  # a new rule in the first empty row
    data["tiers.rules.3.conditions.0.metric"] = "clv"
    data["tiers.rules.3.conditions.0.op"] = ">="
    data["tiers.rules.3.conditions.0.value"] = "10000"
    data["scorecard.components.0.bands"] = "0.6:10, 0.9:20"
    data["churn.threshold"] = "0.6"
    data.pop("schedule.enabled", None)
    r = client.post(reverse("value_settings"), data)
    assert r.status_code == 302
    cfg = value_settings()
    assert cfg["tiers"]["levels"]["gold"]["policy"]["zh-hans"] == "专人服务，季度走访"
    assert [r["tier"] for r in cfg["tiers"]["rules"]] == ["do_not_serve", "gold", "silver"]
    assert cfg["tiers"]["rules"][1]["conditions"][0]["value"] == 0.9
    assert cfg["tiers"]["rules"][2]["conditions"] == [{"metric": "clv", "op": ">=", "value": 10000}]
    assert cfg["scorecard"]["components"][0]["bands"] == [[0.6, 10], [0.9, 20]]
    assert cfg["churn"]["threshold"] == 0.6 and cfg["schedule"]["enabled"] is False


@pytest.mark.parametrize("lang,messages", [
    ("en", ["Must be at most 1.", "This text is required.", "Enter a number."]),
    ("zh-hans", []),
])
def test_errors_are_shown_beside_their_fields_in_the_users_language(client, org, lang, messages):
    org.users.admin.language = lang
    org.users.admin.save()
    client.force_login(org.users.admin)
    before = value_settings()
    data = form_data(client)
    data["churn.threshold"] = "1.5"
    data["tiers.levels.silver.policy.en"] = ""
    data["abc.a"] = "lots"
    r = client.post(reverse("value_settings"), data)
    html = r.content.decode()
    assert r.status_code == 200 and value_settings() == before
    for message in messages:
        assert message in html
    errors = re.findall(r'<ul class="errorlist">', html)
    assert len(errors) >= 3
    assert 'value="1.5"' in html and 'value="lots"' in html  # what was typed is kept


def test_tier_terms_are_edited_and_checked_beside_their_fields(client, org):
    client.force_login(org.users.admin)
    data = form_data(client)
    assert data["tiers.levels.do_not_serve.terms.payment_days"] == "0"
    data["tiers.levels.gold.terms.credit_limit"] = "8000000"
    data["tiers.levels.gold.terms.rewards"] = "年度返利2%"
    r = client.post(reverse("value_settings"), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    gold = value_settings()["tiers"]["levels"]["gold"]["terms"]
    assert gold["credit_limit"] == 8000000 and gold["rewards"] == "年度返利2%"
    data["tiers.levels.silver.terms.discount_ceiling"] = "120"
    html = client.post(reverse("value_settings"), data).content.decode()
    field = html[html.index('name="tiers.levels.silver.terms.discount_ceiling"'):]
    assert field.index("Must be at most 100") < field.index('name="tiers.levels.silver.terms.training"')
