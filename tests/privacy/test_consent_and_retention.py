"""Consent honoured by survey invitations and reminders (kehu.privacy.consent),
and the retention rules (kehu.privacy.services.retention_purge)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.cli import main as kehu_main
from kehu.customers.models import Customer
from kehu.customers.services import customer_update
from kehu.engagement.models import Interaction
from kehu.privacy.consent import hold_reason
from kehu.privacy.services import retention_purge
from kehu.surveys.models import Answer, InvitationStatus, Response, ResponseStatus, Wave
from kehu.surveys.services import distribution as svc
from kehu.surveys.services.definitions import survey_set_status
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave(gas, org, settings):
    """An open wave inviting six customers of sales_n1 by e-mail: two consent,
    two never did, two withdrew their consent."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    people = {}
    for k, state in enumerate(["yes", "yes", "never", "never", "withdrawn", "withdrawn"]):
        c = CustomerFactory(name=f"同意{k}", owner=org.users.sales_n1, email=f"p{k}@example.com",
                            consent_data_processing=state != "never")
        if state == "withdrawn":
            customer_update(actor=org.users.sales_n1, customer=c, data={"consent_data_processing": False})
        people[k] = c
    w = svc.wave_create(actor=org.users.admin, survey=gas, name="Consent wave",
                        population={"filters": {"owner_id": org.users.sales_n1.pk}})
    svc.invitations_create(actor=org.users.admin, wave=w, design=svc.SampleDesign(size=6, seed=1))
    svc.wave_open(actor=org.users.admin, wave=w)
    return w, people


def test_the_gate():
    c = Customer(consent_data_processing=True)
    assert hold_reason(c, channel="email") == ""
    assert hold_reason(c, channel="sms", purpose="marketing") == "no_consent"
    assert hold_reason(Customer(consent_updated_at=timezone.now()), channel="email") == "withdrawn"
    with pytest.raises(ValueError):
        hold_reason(c, channel="fax")


def test_invitations_are_held_back_without_consent(org, wave):
    w, people = wave
    counts = svc.invitations_send(actor=org.users.admin, wave=w)
    assert counts["sent"] == 2 and counts["held"] == 4
    assert sorted(m.to[0] for m in mail.outbox) == ["p0@example.com", "p1@example.com"]
    held = {i.customer_id: i for i in w.invitations.filter(status=InvitationStatus.HELD)}
    assert held[people[2].pk].held_reason == "no_consent" and held[people[4].pk].held_reason == "withdrawn"
    assert held[people[2].pk].held_at is not None


def test_consent_given_later_sends_on_the_next_send(org, wave):
    w, people = wave
    svc.invitations_send(actor=org.users.admin, wave=w)
    customer_update(actor=org.users.sales_n1, customer=people[2], data={"consent_data_processing": True})
    mail.outbox.clear()
    counts = svc.invitations_send(actor=org.users.admin, wave=w)
    assert counts["sent"] == 1 and [m.to[0] for m in mail.outbox] == ["p2@example.com"]
    inv = w.invitations.get(customer=people[2])
    assert inv.status == InvitationStatus.SENT and inv.held_reason == ""


def test_reminders_are_held_back_after_consent_is_withdrawn(org, wave):
    w, people = wave
    svc.invitations_send(actor=org.users.admin, wave=w)
    customer_update(actor=org.users.sales_n1, customer=people[0], data={"consent_data_processing": False})
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=w.reminder_after_days, hours=1)
    counts = svc.reminders_send(now=later, wave=w)
    assert counts["sent"] == 1 and counts["held"] == 1
    assert [m.to[0] for m in mail.outbox] == ["p1@example.com"]
    inv = w.invitations.get(customer=people[0])
    assert inv.held_reason == "withdrawn" and inv.reminders_sent == 0 and inv.status == InvitationStatus.SENT


def test_the_wave_page_shows_why_invitations_were_held(org, wave, client_for):
    w, _people = wave
    client = client_for(org.users.admin)
    client.post(reverse("survey_wave_send", args=[w.survey_id, w.pk]))
    page = client.get(reverse("survey_wave_detail", args=[w.survey_id, w.pk])).content.decode()
    assert 'data-testid="held-back"' in page and "withdrew their consent" in page
    listing = client.get(reverse("survey_wave_invitations", args=[w.survey_id, w.pk]), {"held": "no_consent"})
    text = listing.content.decode()
    assert text.count('data-testid="held-reason"') == 2


# -- retention ---------------------------------------------------------------------------

@pytest.fixture
def old_and_new(org, gas):
    c = CustomerFactory(name="留存", owner=org.users.sales_n1)
    now = timezone.now()
    old_i = InteractionFactory(customer=c, occurred_at=now - dt.timedelta(days=400), summary="旧纪要")
    AuditEvent.objects.create(action="create", entity="interaction", entity_id=old_i.pk, customer_id=c.pk,
                              summary="旧纪要", changes={"summary": "旧纪要"})
    new_i = InteractionFactory(customer=c, occurred_at=now - dt.timedelta(days=10), summary="新纪要")
    wave = Wave.objects.create(survey=gas, name="R")
    text_q = gas.questions.filter(kind="text").first()
    number_q = gas.questions.exclude(kind="text").first()
    responses = {}
    for key, age in (("old", 800), ("new", 5)):
        r = Response.objects.create(wave=wave, customer=c, status=ResponseStatus.COMPLETE, index=70, nps=8,
                                    submitted_at=now - dt.timedelta(days=age))
        Answer.objects.create(response=r, question=text_q, text=f"{key} 的意见")
        Answer.objects.create(response=r, question=number_q, number=3)
        responses[key] = r
    return old_i, new_i, responses


def test_nothing_is_purged_by_default(org, old_and_new):
    result = retention_purge()
    assert (result.interactions, result.responses) == (0, 0) and Interaction.objects.count() == 2
    assert not AuditEvent.objects.filter(action="privacy.purge").exists()


def test_purge_deletes_old_interactions_and_anonymises_old_answers(org, old_and_new, settings):
    old_i, new_i, responses = old_and_new
    settings.KEHU_RETAIN_INTERACTIONS_DAYS = 365
    settings.KEHU_RETAIN_SURVEY_ANSWERS_DAYS = 730
    dry = retention_purge(dry_run=True)
    assert (dry.interactions, dry.responses) == (1, 1) and Interaction.objects.count() == 2
    result = retention_purge()
    assert (result.interactions, result.responses) == (1, 1)
    assert list(Interaction.objects.values_list("pk", flat=True)) == [new_i.pk]
    old = Response.objects.get(pk=responses["old"].pk)
    assert old.customer_id is None and old.invitation_id is None and old.index == 70 and old.nps == 8
    assert list(old.answers.exclude(number=None).values_list("number", flat=True)) == [3]
    assert not old.answers.exclude(text="").exists()
    new = Response.objects.get(pk=responses["new"].pk)
    assert new.customer_id is not None and new.answers.exclude(text="").exists()
    assert AuditEvent.objects.get(entity="interaction", entity_id=old_i.pk).changes == {}
    ev = AuditEvent.objects.get(action="privacy.purge")
    assert ev.changes["interactions"] == 1 and ev.changes["responses"] == 1
    assert retention_purge().responses == 0  # done once


def test_kehu_privacy_purge(org, old_and_new, settings, capsys):
    assert kehu_main(["privacy", "purge"]) == 0
    assert "No retention rule" in capsys.readouterr().out
    settings.KEHU_RETAIN_INTERACTIONS_DAYS = 30
    assert kehu_main(["privacy", "purge", "--dry-run"]) == 0
    assert "would delete 1" in capsys.readouterr().out and Interaction.objects.count() == 2
    assert kehu_main(["privacy", "purge"]) == 0
    assert Interaction.objects.count() == 1


def test_the_nightly_task(org, old_and_new, settings):
    from kehu.privacy.tasks import purge_expired

    settings.KEHU_RETAIN_INTERACTIONS_DAYS = 30
    purge_expired.call_local()
    assert Interaction.objects.count() == 1


def test_an_opt_out_of_e_mail_holds_back_whatever_the_consents(org, wave):
    w, people = wave
    customer_update(actor=org.users.sales_n1, customer=people[0], data={"opt_out_email": True})
    counts = svc.invitations_send(actor=org.users.admin, wave=w)
    assert counts["sent"] == 1 and [m.to[0] for m in mail.outbox] == ["p1@example.com"]
    assert w.invitations.get(customer=people[0]).held_reason == "opted_out"
    assert hold_reason(Customer(consent_data_processing=True, opt_out_sms=True), channel="sms") == "opted_out"
    assert hold_reason(Customer(consent_data_processing=True, opt_out_sms=True), channel="email") == ""
