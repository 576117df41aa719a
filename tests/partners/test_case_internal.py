"""Internal case notes (a comment among the company's people on a case routed to a partner):
the one rule, :meth:`kehu.org.policies.CustomerPolicy.case_event_q`, hides them — and the
company's service-level warnings — from partner users on the case page, the customer's 360
timeline and the API; the company's people see them marked; a partner user cannot write one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.engagement.selectors import customer_timeline
from kehu.org.services import token_create
from kehu.service.models import CaseEvent, EventKind
from kehu.service.selectors import case_events
from kehu.service.services import case_comment, case_create
from tests.api.conftest import ApiClient
from tests.factories import CustomerFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "代理本月已三次延迟发货，再犯就升级"
OPEN = "已联系物流，明天送达"
SLA_NOTE = "服务时限预警 → 张经理"


@pytest.fixture
def routed(org):
    top = PartnerFactory(code="CI1", name="华东一级代理", manager=org.users.north_manager)
    agent = UserFactory(username="ci_agent", role="partner", partner=top, team=None)
    customer = CustomerFactory(name="渠道客户丁", owner=org.users.sales_n1, partner=top)
    case = case_create(actor=org.users.admin, data={"customer": customer, "kind": "complaint", "subject": "送货晚了"})
    assert case.partner_id == top.pk
    staff = org.users.admin
    internal = case_comment(actor=staff, case=case, note=SECRET, internal=True)
    shown = case_comment(actor=staff, case=case, note=OPEN)
    sla = CaseEvent.objects.create(case=case, kind=EventKind.SLA, note=SLA_NOTE)
    return SimpleNamespace(top=top, agent=agent, customer=customer, case=case, staff=staff,
                           internal=internal, shown=shown, sla=sla)


def test_the_rule_hides_internal_notes_and_sla_warnings_from_partner_users_only(org, routed):
    r = routed
    assert r.internal.internal and not r.shown.internal
    assert {e.pk for e in case_events(r.case, viewer=r.staff)} >= {r.internal.pk, r.shown.pk, r.sla.pk}
    seen = {e.pk for e in case_events(r.case, viewer=r.agent)}
    assert r.shown.pk in seen and r.internal.pk not in seen and r.sla.pk not in seen
    staff_tl = {i["obj"].pk for i in customer_timeline(customer=r.customer, viewer=r.staff) if i["kind"] == "case"}
    assert {r.internal.pk, r.shown.pk} <= staff_tl
    agent_tl = {i["obj"].pk for i in customer_timeline(customer=r.customer, viewer=r.agent) if i["kind"] == "case"}
    assert r.shown.pk in agent_tl and r.internal.pk not in agent_tl and r.sla.pk not in agent_tl


def test_a_partner_user_cannot_write_an_internal_note(routed):
    r = routed
    with pytest.raises(ValidationError) as exc:
        case_comment(actor=r.agent, case=r.case, note="我们内部说说", internal=True)
    assert "internal" in exc.value.message_dict
    assert not CaseEvent.objects.filter(note="我们内部说说").exists()
    mine = case_comment(actor=r.agent, case=r.case, note="已安排上门")
    assert not mine.internal
    assert mine.pk in {e.pk for e in case_events(r.case, viewer=r.staff)}


def test_the_case_page_and_the_360_page(client, routed):
    r = routed
    page = reverse("case_detail", args=[r.case.pk])
    client.force_login(r.staff)
    html = client.get(page).content.decode()
    assert SECRET in html and OPEN in html and 'data-testid="internal-note"' in html
    assert 'name="internal"' in html                       # staff get the checkbox
    r360 = client.get(reverse("customer_detail", args=[r.customer.pk])).content.decode()
    assert SECRET in r360 and 'data-testid="internal-note"' in r360
    # staff add an internal note through the page's form
    client.post(reverse("case_comment", args=[r.case.pk]), {"note": "页面上的内部备注", "internal": "on"})
    assert CaseEvent.objects.get(note="页面上的内部备注").internal

    client.force_login(r.agent)
    resp = client.get(page)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert OPEN in html
    for hidden in (SECRET, "页面上的内部备注", SLA_NOTE, 'name="internal"', 'data-testid="internal-note"'):
        assert hidden not in html, hidden
    r360 = client.get(reverse("customer_detail", args=[r.customer.pk])).content.decode()
    assert OPEN in r360 and SECRET not in r360 and "页面上的内部备注" not in r360
    # a forged checkbox from a partner user is ignored by the form (their field does not exist)
    client.post(reverse("case_comment", args=[r.case.pk]), {"note": "代理的评论", "internal": "on"})
    assert not CaseEvent.objects.get(note="代理的评论").internal


def api_as(user) -> ApiClient:
    _token, raw = token_create(user=user, name="tests")
    return ApiClient(raw)


def test_the_api(routed):
    r = routed
    staff = api_as(r.staff)
    resp = staff.post(f"/cases/{r.case.pk}/comments", {"note": "接口内部备注", "internal": True})
    assert resp.status_code == 201, resp.content
    assert resp.json()["internal"] is True
    events = staff.get(f"/cases/{r.case.pk}/events").json()
    assert {e["note"]: e["internal"] for e in events if e["kind"] == "comment"} == {
        SECRET: True, OPEN: False, "接口内部备注": True}

    agent = api_as(r.agent)
    body = agent.get(f"/cases/{r.case.pk}/events")
    assert body.status_code == 200
    notes = {e["note"] for e in body.json()}
    assert OPEN in notes and not any(e["internal"] for e in body.json())
    for hidden in (SECRET, "接口内部备注", SLA_NOTE):
        assert hidden not in notes, hidden
    refused = agent.post(f"/cases/{r.case.pk}/comments", {"note": "代理想写内部备注", "internal": True})
    assert refused.status_code == 422
    assert "internal" in refused.content.decode()
    assert not CaseEvent.objects.filter(note="代理想写内部备注").exists()
    ok = agent.post(f"/cases/{r.case.pk}/comments", {"note": "代理的普通评论"})
    assert ok.status_code == 201 and ok.json()["internal"] is False
