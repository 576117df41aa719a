"""Saved segments: rules and groups of a run, validation with clear messages,
members through the viewer's visibility, create/edit/delete in the UI."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.insights.models import Segment
from kehu.insights.segments import (
    clean_rule, segment_create, segment_delete, segment_members, segment_update,
)
from tests.insights.score_factories import AnalysisRunFactory, SegmentFactory
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_rule_segment_members_follow_the_latest_run_and_the_viewer(org, value):
    segment = segment_create(actor=org.users.north_marketing, name="Silver in the north",
                             rule={"customer": {"region": "north"}, "score": {"tier": ["silver"]}})
    assert names(segment_members(segment=segment, viewer=org.users.admin)) == ["张三", "风险客户"]
    assert names(segment_members(segment=segment, viewer=org.users.sales_n1)) == ["风险客户"]
    assert names(segment_members(segment=segment, viewer=org.users.sales_e1)) == []
    pinned = segment_create(actor=org.users.admin, name="Silver then", run=value.before,
                            rule={"score": {"tier": ["silver"]}})
    assert names(segment_members(segment=pinned, viewer=org.users.admin)) == ["北方钢铁贸易有限公司", "张三"]
    assert AuditEvent.objects.filter(entity="segment", action="create").count() == 2


def test_group_of_a_run_and_score_bounds(org, value):
    gold = segment_create(actor=org.users.admin, name="Gold", kind="run_group", rule={"field": "tier", "value": "gold"})
    assert names(segment_members(segment=gold, viewer=org.users.admin)) == ["北方钢铁贸易有限公司"]
    risky = segment_create(actor=org.users.admin, name="At risk",
                           rule={"score": {"churn_risk_min": 0.6, "revenue_min": "5000"}})
    assert names(segment_members(segment=risky, viewer=org.users.admin)) == ["风险客户"]
    everyone_north = segment_create(actor=org.users.admin, name="North", rule={"customer": {"team_id": org.teams.north.pk}})
    assert len(names(segment_members(segment=everyone_north, viewer=org.users.admin))) == 4


def test_score_rules_have_no_members_before_any_run(org, customers):
    segment = segment_create(actor=org.users.admin, name="Gold", rule={"score": {"tier": ["gold"]}})
    assert not segment_members(segment=segment, viewer=org.users.admin).exists()
    by_region = segment_create(actor=org.users.admin, name="East", rule={"customer": {"region": "east"}})
    assert names(segment_members(segment=by_region, viewer=org.users.admin)) == ["华东机械集团"]


def test_rules_are_validated_with_messages_per_part():
    with pytest.raises(ValidationError) as exc:
        clean_rule("rule", {"customer": {"region": "mars", "colour": "red"},
                            "score": {"tier": ["platinum"], "churn_risk_min": 2, "clv_min": "x",
                                      "revenue_min": "900", "revenue_max": "100"}})
    errors = exc.value.message_dict
    assert set(errors) == {"customer.region", "customer.colour", "score.tier", "score.churn_risk_min",
                           "score.clv_min", "score.revenue_max"}
    assert errors["score.churn_risk_min"] == ["Enter a number between 0 and 1."]
    with pytest.raises(ValidationError) as exc:
        clean_rule("run_group", {"field": "tier", "value": "platinum"})
    assert "value" in exc.value.message_dict
    assert clean_rule("rule", {"customer": {"region": "east", "city": ""}, "score": {"tier": "gold"}}) == {
        "customer": {"region": "east"}, "score": {"tier": ["gold"]}}


def test_names_are_unique_and_required(org):
    segment_create(actor=org.users.admin, name="Gold", rule={})
    with pytest.raises(ValidationError) as exc:
        segment_create(actor=org.users.admin, name="gold", rule={})
    assert exc.value.message_dict["name"] == ["A segment with this name already exists."]
    with pytest.raises(ValidationError) as exc:
        segment_create(actor=org.users.admin, name="  ", rule={})
    assert "name" in exc.value.message_dict


def test_who_may_change_segments(org, value):
    mine = segment_create(actor=org.users.sales_n1, name="Mine", rule={})
    with pytest.raises(PermissionDenied):
        segment_create(actor=org.users.analyst, name="Analyst's", rule={})
    with pytest.raises(PermissionDenied):
        segment_update(actor=org.users.sales_n1b, segment=mine, data={"name": "Taken"})
    segment_update(actor=org.users.hq_manager, segment=mine, data={"description": "checked"})
    segment_update(actor=org.users.sales_n1, segment=mine, data={"name": "Still mine"})
    with pytest.raises(PermissionDenied):
        segment_delete(actor=org.users.analyst, segment=mine)
    segment_delete(actor=org.users.sales_n1, segment=mine)
    assert not Segment.objects.exists()
    assert AuditEvent.objects.filter(entity="segment", action="delete").exists()
    with pytest.raises(ValidationError):
        segment_create(actor=org.users.admin, name="Failed run", rule={},
                       run=AnalysisRunFactory(status="failed"))


def test_create_edit_and_delete_in_the_ui(client, org, value):
    client.force_login(org.users.sales_n1)
    r = client.post(reverse("segment_create"), {"name": "", "kind": "rule", "churn_risk_min": "150"})
    html = r.content.decode()
    assert r.status_code == 200 and "This field is required." in html
    assert "Ensure this value is less than or equal to 100." in html
    r = client.post(reverse("segment_create"), {"name": "Risky gold", "kind": "rule", "tier": ["gold", "silver"],
                                                "churn_risk_min": "50", "region": "north"})
    segment = Segment.objects.get(name="Risky gold")
    assert r.status_code == 302 and r["Location"] == reverse("segment_detail", args=[segment.pk])
    assert segment.rule == {"customer": {"region": "north"},
                            "score": {"tier": ["gold", "silver"], "churn_risk_min": 0.5}}
    html = client.get(reverse("segment_detail", args=[segment.pk])).content.decode()
    assert "风险客户" in html and "1 member you may see" in html and "Churn risk at least 50%" in html
    html = client.get(reverse("segment_edit", args=[segment.pk])).content.decode()
    assert 'value="Risky gold"' in html and 'value="50.0"' in html
    r = client.post(reverse("segment_edit", args=[segment.pk]), {"name": "Gold group", "kind": "run_group",
                                                                 "group": "tier:gold"})
    segment.refresh_from_db()
    assert r.status_code == 302 and segment.kind == "run_group" and segment.rule == {"field": "tier", "value": "gold"}
    r = client.post(reverse("segment_edit", args=[segment.pk]), {"name": "No group", "kind": "run_group"})
    assert "Choose the group of the analysis." in r.content.decode()
    html = client.get(reverse("segment_delete", args=[segment.pk])).content.decode()
    assert "data-confirm" in html and "Its customers are not touched" in html
    assert client.post(reverse("segment_delete", args=[segment.pk])).status_code == 302
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_save_as_segment_prefills_from_the_score_filters(client, org, value):
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("segment_create") + "?tier=gold&region=north&abc=A").content.decode()
    import re

    assert re.search(r'name="tier" value="gold"[^>]*checked', html)
    assert not re.search(r'name="tier" value="silver"[^>]*checked', html)
    assert '<option value="north" selected>' in html


def test_others_segment_pages_are_read_only(client, org, value):
    segment = SegmentFactory(created_by=org.users.sales_n1)
    client.force_login(org.users.sales_e1)
    assert client.get(reverse("segment_detail", args=[segment.pk])).status_code == 200
    for name in ("segment_edit", "segment_delete"):
        assert client.get(reverse(name, args=[segment.pk])).status_code == 403
        assert client.post(reverse(name, args=[segment.pk]), {"name": "x", "kind": "rule"}).status_code == 403
    assert client.get(reverse("segment_detail", args=[999999])).status_code == 404
