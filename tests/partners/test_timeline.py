"""A partner user's view of a customer's 360 timeline and of its interactions (issue 18): the
one rule, :meth:`kehu.org.policies.CustomerPolicy.timeline_q` — what their partners' people
did and what is routed to their partners, never the company's internal notes or changes —
on the page and in the API; the owner sees everything."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from kehu.org.services import token_create
from kehu.customers.services import customer_update
from kehu.engagement.selectors import customer_timeline
from kehu.service.services import case_create
from tests.api.conftest import ApiClient
from tests.factories import (
    AttachmentFactory, CustomerFactory, InteractionFactory, OrderFactory, PartnerFactory, UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(org):
    top = PartnerFactory(code="TL1", name="华北一级代理", manager=org.users.north_manager)
    sub = PartnerFactory(code="TL2", name="天津二级代理", kind="agent_l2", parent=top)
    boss = UserFactory(username="agent_top", role="partner", partner=top, team=None)
    agent = UserFactory(username="agent_sub", role="partner", partner=sub, team=None)
    customer = CustomerFactory(name="渠道客户丙", owner=org.users.sales_n1, partner=sub)
    internal = InteractionFactory(customer=customer, user=org.users.sales_n1, subject="内部备注",
                                  summary="底价不要告诉代理")
    theirs = InteractionFactory(customer=customer, user=agent, subject="代理拜访", summary="客户要报价")
    unsigned = InteractionFactory(customer=customer, user=None, subject="系统记录", summary="自动导入的记录")
    order = OrderFactory(customer=customer)
    customer_update(actor=org.users.sales_n1, customer=customer, data={"remarks": "公司内部评价：难缠"})
    customer_update(actor=agent, customer=customer, data={"industry": "机械制造"})
    case = case_create(actor=org.users.admin, data={"customer": customer, "kind": "complaint", "subject": "发货延迟"})
    assert case.partner_id == sub.pk     # routed to the partner that serves the customer
    return SimpleNamespace(top=top, sub=sub, boss=boss, agent=agent, customer=customer, internal=internal,
                           theirs=theirs, unsigned=unsigned, order=order, case=case)


def _kinds(items):
    return {(i["kind"], getattr(i["obj"], "pk", None)) for i in items}


def test_the_timeline_hides_the_company_s_notes_and_changes_from_the_partner_user(org, served):
    s = served
    owner = customer_timeline(customer=s.customer, viewer=org.users.sales_n1)
    assert {("interaction", s.internal.pk), ("interaction", s.theirs.pk), ("interaction", s.unsigned.pk),
            ("order", s.order.pk)} <= _kinds(owner)
    owner_changes = [i["obj"] for i in owner if i["kind"] == "change"]
    assert {ev.actor_id for ev in owner_changes} >= {org.users.sales_n1.pk, s.agent.pk}
    assert any(i["kind"] == "case" for i in owner)
    for viewer in (s.agent, s.boss):      # the partner's own people and those of the partner above it
        seen = customer_timeline(customer=s.customer, viewer=viewer)
        kinds = _kinds(seen)
        assert ("interaction", s.theirs.pk) in kinds and ("order", s.order.pk) in kinds
        assert ("interaction", s.internal.pk) not in kinds and ("interaction", s.unsigned.pk) not in kinds
        assert {i["obj"].actor_id for i in seen if i["kind"] == "change"} == {s.agent.pk}
        assert {i["obj"].case_id for i in seen if i["kind"] == "case"} == {s.case.pk}


def test_the_360_page_shows_the_partner_user_only_their_side(client, org, served):
    s = served
    url = reverse("customer_detail", args=[s.customer.pk])
    client.force_login(org.users.sales_n1)
    html = client.get(url).content.decode()
    timeline = html[html.index('id="timeline"'):]
    assert "底价不要告诉代理" in timeline and "客户要报价" in timeline and s.case.ref in timeline
    client.force_login(s.agent)
    r = client.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    timeline = html[html.index('id="timeline"'):]
    assert "客户要报价" in timeline and s.order.ref in timeline and s.case.ref in timeline
    for hidden in ("底价不要告诉代理", "内部备注", "自动导入的记录"):
        assert hidden not in html, hidden
    # the interaction list and its export follow the same rule
    for page in ("interaction_list", "interaction_export"):
        r = client.get(reverse(page))
        body = b"".join(r.streaming_content).decode() if r.streaming else r.content.decode()
        assert "客户要报价" in body and "底价不要告诉代理" not in body, page
    assert client.get(reverse("interaction_edit", args=[s.internal.pk])).status_code == 404
    assert client.get(reverse("interaction_edit", args=[s.theirs.pk])).status_code == 200


def _api(user) -> ApiClient:
    _token, raw = token_create(user=user, name="tests")
    return ApiClient(raw)


def test_the_api_gives_the_partner_user_only_their_people_s_interactions(org, served):
    s = served
    owner = _api(org.users.sales_n1)
    ids = {i["id"] for i in owner.get("/interactions", {"customer_id": s.customer.pk, "limit": 100}).json()["items"]}
    assert ids == {s.internal.pk, s.theirs.pk, s.unsigned.pk}
    assert owner.get(f"/interactions/{s.internal.pk}").status_code == 200
    for user in (s.agent, s.boss):
        api = _api(user)
        r = api.get("/interactions", {"customer_id": s.customer.pk, "limit": 100})
        assert r.status_code == 200
        assert {i["id"] for i in r.json()["items"]} == {s.theirs.pk}
        assert api.get(f"/interactions/{s.theirs.pk}").status_code == 200
        for hidden in (s.internal, s.unsigned):
            assert api.get(f"/interactions/{hidden.pk}").status_code == 404
            assert api.patch(f"/interactions/{hidden.pk}", {"summary": "改"}).status_code == 404
            assert api.get(f"/interactions/{hidden.pk}/attachments").status_code == 404


def test_the_files_of_the_company_s_notes_are_hidden_from_the_partner_user(org, served, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    s = served
    internal_file = AttachmentFactory(customer=s.customer, interaction=s.internal, name="底价.pdf")
    their_file = AttachmentFactory(customer=s.customer, interaction=s.theirs, name="报价.pdf")
    owner = _api(org.users.sales_n1)
    assert owner.get(f"/attachments/{internal_file.pk}").status_code == 200
    api = _api(s.agent)
    assert api.get(f"/attachments/{their_file.pk}").status_code == 200
    for path in (f"/attachments/{internal_file.pk}", f"/attachments/{internal_file.pk}/download"):
        assert api.get(path).status_code == 404, path
    assert api.delete(f"/attachments/{internal_file.pk}").status_code == 404
