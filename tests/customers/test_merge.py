"""Merging two customers keeps everything that pointed at the duplicate (issue 13, item 18)."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Anniversary, Contact, Customer, CustomerShare
from kehu.customers.services import MERGE_RELATIONS, customer_merge, customer_relations, customer_share
from kehu.engagement.models import Interaction, Task
from kehu.engagement.services import task_create
from kehu.insights.models import CustomerScore
from kehu.sales.models import Order
from kehu.surveys.models import CustomerAttitude, Invitation, Response
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_every_relation_to_the_customer_is_handled_by_the_merge():
    """Found by introspection — foreign keys (nullable or not), one-to-ones and many-to-manys
    on either side. A model added later that points at Customer fails here until the merge
    service says what happens to its rows (MERGE_RELATIONS)."""
    found = {}
    for rel in Customer._meta.related_objects:
        found[f"{rel.related_model._meta.label}.{rel.field.name}"] = rel
    for field in Customer._meta.many_to_many:
        found[f"customers.Customer.{field.name}"] = field
    assert set(found) == set(customer_relations())
    missing = sorted(set(found) - set(MERGE_RELATIONS))
    assert not missing, f"customer_merge does not say what happens to {missing}"
    assert not sorted(set(MERGE_RELATIONS) - set(found)), "MERGE_RELATIONS names a relation that is gone"
    # the kinds the brief names are really among them
    kinds = {("one_to_one" if getattr(r, "one_to_one", False) else "m2m" if getattr(r, "many_to_many", False)
              else "null" if getattr(getattr(r, "field", r), "null", False) else "fk") for r in found.values()}
    assert {"one_to_one", "m2m", "null", "fk"} <= kinds


def test_a_merge_refuses_to_run_with_a_relation_it_does_not_handle(org, monkeypatch):
    keep, drop = CustomerFactory(owner=org.users.sales_n1), CustomerFactory(owner=org.users.sales_n1)
    monkeypatch.setattr(services, "MERGE_RELATIONS",
                        {k: v for k, v in MERGE_RELATIONS.items() if k != "engagement.Task.customer"})
    with pytest.raises(RuntimeError, match="engagement.Task.customer"):
        customer_merge(actor=org.users.admin, keep=keep, drop=drop)
    assert Customer.objects.filter(pk=drop.pk).exists()


@pytest.fixture
def survey_waves(org):
    from kehu.surveys.services import distribution as dist
    from kehu.surveys.services.definitions import survey_create_from_template, survey_set_status

    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    waves = []
    for name in ("W1", "W2"):
        wave = dist.wave_create(actor=org.users.admin, survey=gas, name=name)
        dist.wave_open(actor=org.users.admin, wave=wave)
        waves.append(wave)
    answers = {"Q1": 5, "Q2": 4, "Q3": "no", "Q7": 3, "Q8": 5, "Q9": 4, "Q10": 4}

    def invite(wave, customer, answered):
        invitation = dist.phone_invitation(actor=org.users.admin, wave=wave, customer=customer)
        if answered:
            dist.phone_response(actor=org.users.admin, invitation=invitation, answers=answers)
        return invitation

    return waves, invite


def test_a_merged_customer_keeps_everything(org, survey_waves):
    from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

    admin, owner = org.users.admin, org.users.sales_n1
    keep = CustomerFactory(name="保定万迅", owner=owner, phone="13812345678")
    drop = CustomerFactory(name="保定万迅电脑", owner=owner, email="it@wanxun.example", tags=["老客户"])
    earlier = CustomerFactory(name="保定万迅 (old)", owner=owner)
    Customer.objects.filter(pk=earlier.pk).update(merged_into=drop)
    contact = ContactFactory(customer=drop)
    anniversary = Anniversary.objects.create(customer=drop, label="成立日", date=dt.date(2001, 5, 1))
    interaction = InteractionFactory(customer=drop)
    task = task_create(actor=owner, customer=drop, data={"title": "回访"})
    order = OrderFactory(customer=drop)
    share = customer_share(actor=admin, customer=drop, user=org.users.sales_e1, can_edit=True)
    customer_share(actor=admin, customer=keep, user=org.users.sales_n1b)
    same_share = customer_share(actor=admin, customer=drop, user=org.users.sales_n1b, can_edit=True)
    # value scores: run A scored only the duplicate, run B both
    run_a, run_b = AnalysisRunFactory(), AnalysisRunFactory()
    score_a = CustomerScoreFactory(run=run_a, customer=drop)
    CustomerScoreFactory(run=run_b, customer=drop)
    keep_b = CustomerScoreFactory(run=run_b, customer=keep)
    # surveys: W1 invited only the duplicate (answered); W2 both, only the duplicate answered
    (w1, w2), invite = survey_waves
    inv_w1 = invite(w1, drop, answered=True)
    keep_w2 = invite(w2, keep, answered=False)
    drop_w2 = invite(w2, drop, answered=True)
    responses = set(Response.objects.filter(customer=drop).values_list("pk", flat=True))
    assert len(responses) == 2
    attitude = CustomerAttitude.objects.get(customer=drop)
    CustomerAttitude.objects.create(customer=keep, score=10, measured_at=attitude.measured_at - dt.timedelta(days=9))
    events_before = AuditEvent.objects.filter(customer_id=drop.pk).count()

    customer_merge(actor=admin, keep=keep, drop=drop)

    assert not Customer.objects.filter(pk=drop.pk).exists()
    assert Customer.objects.get(pk=earlier.pk).merged_into_id == keep.pk
    for model, pk in ((Contact, contact.pk), (Anniversary, anniversary.pk), (Interaction, interaction.pk),
                      (Task, task.pk), (Order, order.pk)):
        assert model.objects.get(pk=pk).customer_id == keep.pk, model
    assert list(keep.tags.values_list("name", flat=True)) == ["老客户"]
    assert CustomerShare.objects.get(pk=share.pk).customer_id == keep.pk
    # the kept share stays, with the edit right the duplicate's share had
    assert not CustomerShare.objects.filter(pk=same_share.pk).exists()
    assert CustomerShare.objects.get(customer=keep, user=org.users.sales_n1b).can_edit
    # scores: run A's moved, run B keeps the kept customer's
    assert CustomerScore.objects.get(pk=score_a.pk).customer_id == keep.pk
    assert list(CustomerScore.objects.filter(run=run_b).values_list("pk", flat=True)) == [keep_b.pk]
    # invitations: W1's moved; in W2 the answered one (the duplicate's) stays; every response kept
    assert Invitation.objects.get(pk=inv_w1.pk).customer_id == keep.pk
    assert list(Invitation.objects.filter(wave=w2).values_list("pk", flat=True)) == [drop_w2.pk]
    assert Invitation.objects.get(pk=drop_w2.pk).customer_id == keep.pk
    assert not Invitation.objects.filter(pk=keep_w2.pk).exists()
    assert set(Response.objects.filter(customer=keep).values_list("pk", flat=True)) == responses
    # attitude: the later measurement (the duplicate's) stays
    assert CustomerAttitude.objects.get(customer=keep).pk == attitude.pk
    # history: moved, and the merge's record says what moved and what was dropped
    record = AuditEvent.objects.filter(customer_id=keep.pk, action="merge").get()
    assert AuditEvent.objects.filter(customer_id=keep.pk).count() >= events_before + 1
    moved = record.changes["moved"]
    assert moved["engagement.Task.customer"] == {"moved": 1}
    assert moved["insights.CustomerScore.customer"] == {"moved": 1, "dropped": 1}
    assert moved["surveys.Invitation.customer"] == {"moved": 2, "dropped": 1}
    assert moved["surveys.Response.customer"] == {"moved": 2}
    assert moved["surveys.CustomerAttitude.customer"] == {"moved": 1, "dropped": 1}
    assert moved["customers.CustomerShare.customer"] == {"moved": 1, "dropped": 1}


def test_the_kept_customers_newer_attitude_and_invitation_stay(org, survey_waves):
    owner = org.users.sales_n1
    keep, drop = CustomerFactory(owner=owner), CustomerFactory(owner=owner)
    (w1, _w2), invite = survey_waves
    drop_inv = invite(w1, drop, answered=True)
    keep_inv = invite(w1, keep, answered=True)      # both answered: the kept customer's invitation stays
    assert CustomerAttitude.objects.get(customer=keep).measured_at >= CustomerAttitude.objects.get(customer=drop).measured_at
    kept_attitude = CustomerAttitude.objects.get(customer=keep).pk
    customer_merge(actor=org.users.admin, keep=keep, drop=drop)
    assert list(Invitation.objects.filter(wave=w1).values_list("pk", flat=True)) == [keep_inv.pk]
    assert not Invitation.objects.filter(pk=drop_inv.pk).exists()
    assert Response.objects.filter(customer=keep).count() == 2       # the duplicate's answers kept
    assert list(CustomerAttitude.objects.values_list("pk", flat=True)) == [kept_attitude]
