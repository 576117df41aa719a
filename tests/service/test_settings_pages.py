"""The administrators' settings pages: service-level policies
(/settings/sla-policies/), knowledge-base categories (/settings/kb-categories/)
and the settings index — list with an empty state, create, change, delete after
a confirmation, validation messages; everyone else gets 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.kb.models import Article, KbCategory
from kehu.service.models import SlaPolicy


@pytest.fixture
def admin_client(client_for, org):
    return client_for(org.users.admin)


def test_settings_index_links_the_pages(admin_client):
    page = admin_client.get(reverse("settings_index")).content.decode()
    for name in ("sla_policy_list", "kb_category_list", "custom_field_list"):
        assert reverse(name) in page
    home = admin_client.get(reverse("home")).content.decode()
    assert reverse("settings_index") in home


def test_sla_policies_empty_create_edit_delete(admin_client):
    page = admin_client.get(reverse("sla_policy_list")).content.decode()
    assert 'data-testid="sla-policies-empty"' in page
    # nothing promised: refused with the message, nothing written
    r = admin_client.post(reverse("sla_policy_create"), {"kind": "complaint", "severity": "1"})
    assert r.status_code == 200 and "Give a first-response time, a resolution time or both." in r.content.decode()
    assert not SlaPolicy.objects.exists()
    r = admin_client.post(reverse("sla_policy_create"), {"kind": "complaint", "severity": "1", "tier": "gold",
                                                         "first_response_minutes": "60",
                                                         "resolution_minutes": "480"})
    assert r.status_code == 302
    policy = SlaPolicy.objects.get()
    assert (policy.kind, policy.severity, policy.tier, policy.resolution_minutes) == ("complaint", 1, "gold", 480)
    # the same kind × severity × tier twice: the model's message on the form
    r = admin_client.post(reverse("sla_policy_create"), {"kind": "complaint", "severity": "1", "tier": "gold",
                                                         "resolution_minutes": "100"})
    assert "A policy for this kind, severity and tier already exists." in r.content.decode()
    assert SlaPolicy.objects.count() == 1
    page = admin_client.get(reverse("sla_policy_list")).content.decode()
    assert f'data-policy="{policy.pk}"' in page
    form = admin_client.get(reverse("sla_policy_edit", args=[policy.pk])).content.decode()
    assert 'value="480"' in form
    r = admin_client.post(reverse("sla_policy_edit", args=[policy.pk]), {
        "kind": "complaint", "severity": "1", "tier": "gold", "resolution_minutes": "240"})
    assert r.status_code == 302
    policy.refresh_from_db()
    assert policy.resolution_minutes == 240 and policy.first_response_minutes is None
    confirm = admin_client.get(reverse("sla_policy_delete", args=[policy.pk])).content.decode()
    assert 'data-testid="sla-policy-confirm"' in confirm and SlaPolicy.objects.exists()
    assert admin_client.post(reverse("sla_policy_delete", args=[policy.pk])).status_code == 302
    assert not SlaPolicy.objects.exists()


def test_a_policy_change_moves_the_open_cases_due_times(admin_client, org, customers):
    from tests.service.conftest import make_case

    case = make_case(org.users.sales_n1, customers.n1, kind="repair", subject="Heater")
    assert case.resolution_due is None        # no policy for repairs
    admin_client.post(reverse("sla_policy_create"), {"kind": "repair", "resolution_minutes": "480"})
    case.refresh_from_db()
    assert case.resolution_due is not None


def test_kb_categories_empty_create_edit_delete(admin_client):
    page = admin_client.get(reverse("kb_category_list")).content.decode()
    assert 'data-testid="kb-categories-empty"' in page
    r = admin_client.post(reverse("kb_category_create"), {"code": "Bad Code", "name_zh": "账务", "position": "0"})
    assert r.status_code == 200 and "Use lower-case letters, digits, hyphens and underscores." in r.content.decode()
    r = admin_client.post(reverse("kb_category_create"), {"code": "billing", "name_zh": "", "position": "0"})
    assert r.status_code == 200 and not KbCategory.objects.exists()
    r = admin_client.post(reverse("kb_category_create"), {
        "code": "billing", "name_zh": "账务", "name_en": "Billing", "position": "1",
        "case_category_code": "billing-error"})
    assert r.status_code == 302
    cat = KbCategory.objects.get()
    assert cat.case_category_code == "billing-error"
    page = admin_client.get(reverse("kb_category_list")).content.decode()
    assert 'data-code="billing"' in page and "Wrong bill" in page or "账单错误" in page
    r = admin_client.post(reverse("kb_category_edit", args=[cat.pk]), {
        "code": "billing", "name_zh": "账务与发票", "name_en": "Billing", "position": "2", "case_category_code": ""})
    assert r.status_code == 302
    cat.refresh_from_db()
    assert cat.name_zh == "账务与发票" and cat.case_category_code == ""
    # in use: the confirmation says so and deleting is refused
    Article.objects.create(title_zh="发票", body_zh="内容", category=cat)
    confirm = admin_client.get(reverse("kb_category_delete", args=[cat.pk])).content.decode()
    assert 'data-testid="in-use"' in confirm and 'data-testid="confirm"' not in confirm
    admin_client.post(reverse("kb_category_delete", args=[cat.pk]))
    assert KbCategory.objects.exists()
    Article.objects.all().delete()
    confirm = admin_client.get(reverse("kb_category_delete", args=[cat.pk])).content.decode()
    assert 'data-testid="confirm"' in confirm
    assert admin_client.post(reverse("kb_category_delete", args=[cat.pk])).status_code == 302
    assert not KbCategory.objects.exists()


def test_a_linked_category_puts_its_articles_first_on_a_case(db):
    from kehu.kb.selectors import suggest_articles
    from kehu.kb.services import article_create, article_publish, category_create

    linked = category_create(actor=None, code="meter", name_zh="抄表", case_category_code="meter-reading")
    other = article_create(actor=None, data={"title_zh": "燃气表读数 燃气表读数 燃气表读数", "body_zh": "燃气表读数"})
    mine = article_create(actor=None, data={"title_zh": "燃气表", "body_zh": "读数", "category": linked})
    for a in (other, mine):
        article_publish(actor=None, article=a)
    found = suggest_articles("燃气表读数", 5, case_category_code="meter-reading")
    assert [a.pk for a in found][:1] == [mine.pk]


@pytest.mark.parametrize("role", ["hq_manager", "north_service", "sales_n1", "analyst"])
def test_only_administrators(client_for, org, role):
    policy = SlaPolicy.objects.create(kind="complaint", resolution_minutes=60)
    cat = KbCategory.objects.create(code="x", name_zh="某")
    client = client_for(getattr(org.users, role))
    for name, args in (("settings_index", []), ("sla_policy_list", []), ("sla_policy_create", []),
                       ("sla_policy_edit", [policy.pk]), ("sla_policy_delete", [policy.pk]),
                       ("kb_category_list", []), ("kb_category_create", []), ("kb_category_edit", [cat.pk]),
                       ("kb_category_delete", [cat.pk])):
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.post(reverse("sla_policy_delete", args=[policy.pk])).status_code == 403
    assert client.post(reverse("kb_category_delete", args=[cat.pk])).status_code == 403
    assert SlaPolicy.objects.exists() and KbCategory.objects.exists()
    assert reverse("settings_index") not in client.get(reverse("home")).content.decode()
