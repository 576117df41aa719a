"""Pipelines, stages and reasons for losing: the administrators' services, API and
command; the rules (exactly one won and at least one lost stage; a stage with
opportunities is deactivated, not deleted); 403 for everyone else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.sales.models import LostReason, Pipeline, Stage
from kehu.sales.opportunities import opportunity_create, opportunity_move
from kehu.sales.pipeline_settings import (
    StageInUse, lost_reason_create, pipeline_create, pipeline_update, stage_add, stage_delete, stage_update,
)
from tests.api.conftest import api_as, assert_error  # noqa: F401
from tests.sales.conftest import stage

pytestmark = pytest.mark.django_db

STAGES = [{"name_zh": "接洽", "name_en": "Contact"}, {"name_zh": "成交", "name_en": "Won", "outcome": "won"},
          {"name_zh": "输单", "name_en": "Lost", "outcome": "lost"}]


def test_rules(org, pipeline, line):
    admin = org.users.admin
    with pytest.raises(PermissionDenied):
        pipeline_create(actor=org.users.north_manager, data={"name_zh": "项目", "name_en": "Projects"})
    with pytest.raises(ValidationError, match="exactly one won"):
        pipeline_create(actor=admin, data={"name_zh": "项目", "name_en": "Projects"}, stages=STAGES[:1] + STAGES[2:])
    with pytest.raises(ValidationError, match="lost stage"):
        pipeline_create(actor=admin, data={"name_zh": "项目", "name_en": "Projects"}, stages=STAGES[:2])
    p = pipeline_create(actor=admin, data={"name_zh": "项目", "name_en": "Projects", "product_line": line},
                        stages=STAGES)
    assert [s.code for s in p.stages.order_by("position")] == ["contact", "won", "lost"]
    copy = pipeline_create(actor=admin, data={"name_zh": "副本", "name_en": "Copy"})
    assert copy.stages.count() == 6     # the default pipeline's stages
    with pytest.raises(ValidationError, match="exactly one won"):
        stage_add(actor=admin, pipeline=p, data={"name_zh": "再成交", "name_en": "Won again", "outcome": "won"})
    extra = stage_add(actor=admin, pipeline=p, data={"name_zh": "方案", "name_en": "Proposal", "probability": 40,
                                                     "position": 0})
    with pytest.raises(ValidationError, match="lost stage"):
        stage_update(actor=admin, stage=p.stages.get(code="lost"), data={"outcome": "open"})
    stage_delete(actor=admin, stage=extra)     # never used: deleted
    # the default pipeline's reserve stage has opportunities: deactivate, not delete
    pipeline.refresh_from_db()
    reserve = stage(pipeline, "reserve")
    opp = opportunity_create(actor=org.users.sales_n1, data={"customer": org_customer(org), "name": "Coil"})
    with pytest.raises(StageInUse):
        stage_delete(actor=admin, stage=reserve)
    stage_update(actor=admin, stage=stage(pipeline, "target"), data={"active": False})
    with pytest.raises(ValidationError, match="no longer in use"):
        opportunity_move(actor=org.users.sales_n1, opportunity=opp, stage=stage(pipeline, "target"))
    with pytest.raises(ValidationError, match="cannot be deactivated"):
        pipeline_update(actor=admin, pipeline=pipeline, data={"active": False})
    pipeline_update(actor=admin, pipeline=p, data={"is_default": True})
    assert list(Pipeline.objects.filter(is_default=True)) == [p]
    reason = lost_reason_create(actor=admin, data={"name_zh": "交期", "name_en": "Delivery time"})
    assert reason.code == "delivery-time"
    assert AuditEvent.objects.filter(entity__in=["pipeline", "stage", "lostreason"]).count() >= 7


def org_customer(org):
    from tests.factories import CustomerFactory

    return CustomerFactory(owner=org.users.sales_n1)


def test_api(org, pipeline, api_as, line):
    admin = api_as(org.users.admin)
    r = admin.post("/pipelines", {"name_zh": "项目", "name_en": "Projects", "product_line_id": line.pk,
                                  "stages": STAGES})
    assert r.status_code == 201, r.content
    body = r.json()
    assert [s["outcome"] for s in body["stages"]] == ["open", "won", "lost"] and body["product_line_id"] == line.pk
    pid = body["id"]
    err = assert_error(admin.post("/pipelines", {"name_zh": "x", "name_en": "x", "stages": STAGES[:2]}), 422)
    assert "outcome" in err["fields"]
    assert "product_line_id" in assert_error(admin.post("/pipelines", {
        "name_zh": "x", "name_en": "x", "product_line_id": 999999}), 422)["fields"]
    r = admin.post(f"/pipelines/{pid}/stages", {"name_zh": "方案", "name_en": "Proposal", "probability": 30})
    assert r.status_code == 201 and r.json()["code"] == "proposal"
    sid = r.json()["id"]
    assert admin.patch(f"/pipelines/{pid}/stages/{sid}", {"active": False}).json()["active"] is False
    assert admin.patch(f"/pipelines/{pid}", {"name_en": "Project sales"}).json()["name_en"] == "Project sales"
    assert admin.delete(f"/pipelines/{pid}/stages/{sid}").status_code == 204
    assert_error(admin.delete(f"/pipelines/{pid}/stages/{stage(pipeline, 'won').pk}"), 404)
    reserve = stage(pipeline, "reserve")
    opportunity_create(actor=org.users.sales_n1, data={"customer": org_customer(org), "name": "Coil"})
    assert_error(admin.delete(f"/pipelines/{pipeline.pk}/stages/{reserve.pk}"), 409, "in_use")
    r = admin.post("/lost-reasons", {"name_zh": "交期", "name_en": "Delivery time"})
    assert r.status_code == 201 and r.json()["code"] == "delivery-time"
    rid = r.json()["id"]
    assert admin.patch(f"/lost-reasons/{rid}", {"active": False}).json()["active"] is False
    assert rid not in [x["id"] for x in admin.get("/lost-reasons").json()]
    assert rid in [x["id"] for x in admin.get("/lost-reasons", {"include_inactive": True}).json()]
    assert_error(admin.patch("/lost-reasons/999999", {"active": False}), 404)


@pytest.mark.parametrize("role", ["hq_manager", "north_manager", "sales_n1", "analyst"])
def test_api_403_for_everyone_else(org, pipeline, api_as, role):
    api = api_as(getattr(org.users, role))
    reason = LostReason.objects.first()
    for r in (api.post("/pipelines", {"name_zh": "x", "name_en": "x"}),
              api.patch(f"/pipelines/{pipeline.pk}", {"name_en": "x"}),
              api.post(f"/pipelines/{pipeline.pk}/stages", {"name_zh": "x", "name_en": "x"}),
              api.patch(f"/pipelines/{pipeline.pk}/stages/{stage(pipeline, 'won').pk}", {"name_en": "x"}),
              api.delete(f"/pipelines/{pipeline.pk}/stages/{stage(pipeline, 'won').pk}"),
              api.post("/lost-reasons", {"name_zh": "x", "name_en": "x"}),
              api.patch(f"/lost-reasons/{reason.pk}", {"name_en": "x"})):
        assert_error(r, 403, "forbidden")
    assert Pipeline.objects.count() == 1 and Stage.objects.filter(name_en="x").count() == 0


def test_command(org, pipeline, capsys):
    assert main(["opportunities", "pipelines", "list"]) == 0
    out = capsys.readouterr().out
    assert "reserve" in out and "won" in out
    assert main(["opportunities", "pipelines", "add-stage", str(pipeline.pk), "--name-zh", "方案",
                 "--name-en", "Proposal", "--probability", "35", "--position", "3"]) == 0
    assert pipeline.stages.filter(code="proposal", probability=35).exists()
    assert main(["opportunities", "pipelines", "add-stage", str(pipeline.pk), "--name-zh", "再",
                 "--name-en", "Again", "--outcome", "won"]) == 1
    assert "won" in capsys.readouterr().err
    assert main(["opportunities", "pipelines", "add-stage", "999999", "--name-zh", "x", "--name-en", "x"]) == 2
    assert main(["opportunities", "pipelines", "add-stage", str(pipeline.pk), "--name-zh", "x", "--name-en", "x",
                 "--as", "sales_n1"]) == 1


def test_pages(client_for, org, pipeline, line):
    from django.urls import reverse

    assert client_for(org.users.north_manager).get(reverse("pipeline_settings")).status_code == 403
    assert client_for(org.users.sales_n1).post(reverse("lost_reason_create"), {
        "name_zh": "x", "name_en": "x"}).status_code == 403
    client = client_for(org.users.admin)
    html = client.get(reverse("settings_index")).content.decode()
    assert reverse("pipeline_settings") in html
    html = client.get(reverse("pipeline_settings")).content.decode()
    assert "储备" in html and 'data-testid="lost-reasons"' in html
    r = client.post(reverse("pipeline_create"), {"name_zh": "项目", "name_en": "Projects", "product_line": line.pk,
                                                 "active": "on"})
    assert r.status_code == 302
    p = Pipeline.objects.get(name_en="Projects")
    assert p.stages.count() == 6 and p.product_line == line
    r = client.post(reverse("stage_create", args=[p.pk]), {"name_zh": "再成交", "name_en": "Again", "outcome": "won",
                                                           "active": "on"})
    assert r.status_code == 200 and "exactly one won" in r.content.decode()
    r = client.post(reverse("stage_create", args=[p.pk]), {"name_zh": "方案", "name_en": "Proposal",
                                                           "outcome": "open", "probability": 30, "active": "on"})
    assert r.status_code == 302
    proposal = p.stages.get(code="proposal")
    assert client.get(reverse("stage_delete", args=[proposal.pk])).status_code == 200
    assert client.post(reverse("stage_delete", args=[proposal.pk])).status_code == 302
    assert not p.stages.filter(code="proposal").exists()
    opportunity_create(actor=org.users.sales_n1, data={"customer": org_customer(org), "name": "Coil"})
    reserve = stage(pipeline, "reserve")
    html = client.get(reverse("stage_delete", args=[reserve.pk])).content.decode()
    assert 'data-testid="stage-in-use"' in html
    assert client.post(reverse("stage_delete", args=[reserve.pk])).status_code == 200
    assert Stage.objects.filter(pk=reserve.pk).exists()
    r = client.post(reverse("stage_edit", args=[reserve.pk]), {"name_zh": "储备", "name_en": "Reserve",
                                                               "outcome": "open", "probability": 5})
    assert r.status_code == 302 and not Stage.objects.get(pk=reserve.pk).active
    r = client.post(reverse("lost_reason_create"), {"name_zh": "交期", "name_en": "Delivery time", "active": "on"})
    assert r.status_code == 302 and LostReason.objects.filter(code="delivery-time").exists()
    reason = LostReason.objects.get(code="delivery-time")
    r = client.post(reverse("lost_reason_edit", args=[reason.pk]), {"name_zh": "交期", "name_en": "Lead time"})
    assert r.status_code == 302 and not LostReason.objects.get(pk=reason.pk).active
    r = client.post(reverse("pipeline_edit", args=[pipeline.pk]), {"name_zh": "销售流程", "name_en": "Sales",
                                                                   "is_default": "on"})
    assert r.status_code == 200 and "cannot be deactivated" in r.content.decode()
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("pipeline_settings"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "输单原因" in html
