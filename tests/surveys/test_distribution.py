"""Waves, sampling, invitations, emails and reminders, recording answers:
the services of kehu/surveys/services/distribution.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.surveys.models import (
    Invitation, InvitationChannel, InvitationStatus, Response, ResponseSource, ResponseStatus, WaveStatus,
)
from kehu.surveys.scoring import response_figures, scoring_plan
from kehu.surveys.services import distribution as svc
from kehu.surveys.services.definitions import survey_set_status
from kehu.surveys.signals import response_submitted
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

# A complete answer of the natural-gas survey, repair questions skipped.
GOOD = {"Q1": 5, "Q2": 4, "Q3": "no", "Q7": 3, "Q8": 5, "Q9": 4, "Q10": 4}


@pytest.fixture
def active_gas(gas, org):
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    gas.refresh_from_db()
    return gas


@pytest.fixture
def many(org):
    """40 customers of sales_n1 in two regions, a few with contacts' emails, all
    consenting to the processing of their data (the consent gate: kehu.privacy.consent)."""
    out = []
    for k in range(40):
        c = CustomerFactory(name=f"客户{k:02d}", owner=org.users.sales_n1, region="north" if k % 4 else "east",
                            email=f"c{k}@example.com" if k % 3 == 0 else "", consent_data_processing=True)
        if k % 3 == 1:
            ContactFactory(customer=c, email=f"contact{k}@example.com")
        out.append(c)
    return out


@pytest.fixture
def wave(active_gas, org):
    return svc.wave_create(actor=org.users.admin, survey=active_gas, name="2026 Q4",
                           population={"filters": {"owner_id": org.users.sales_n1.pk}})


def test_only_runners_create_waves(active_gas, org):
    with pytest.raises(PermissionDenied):
        svc.wave_create(actor=org.users.sales_n1, survey=active_gas, name="W")
    with pytest.raises(ValidationError) as exc:
        svc.wave_create(actor=org.users.admin, survey=active_gas, name="W", opens_on=dt.date(2026, 5, 1),
                        closes_on=dt.date(2026, 4, 1))
    assert "closes_on" in exc.value.message_dict


def test_a_draft_survey_cannot_open_a_wave(gas, org):
    wave = svc.wave_create(actor=org.users.admin, survey=gas, name="W")
    with pytest.raises(ValidationError):
        svc.wave_open(actor=org.users.admin, wave=wave)


def test_open_and_close(wave, org):
    assert not svc.wave_accepts_answers(wave)
    svc.wave_open(actor=org.users.admin, wave=wave)
    assert wave.status == WaveStatus.OPEN and svc.wave_accepts_answers(wave)
    svc.wave_close(actor=org.users.admin, wave=wave)
    assert wave.status == WaveStatus.CLOSED and not svc.wave_accepts_answers(wave)


def test_sample_is_reproducible_with_its_seed(wave, many, org):
    design = svc.SampleDesign(size=12, strata="region", seed=42)
    a = svc.sample_draw(wave=wave, viewer=org.users.admin, design=design)
    b = svc.sample_draw(wave=wave, viewer=org.users.admin, design=svc.SampleDesign(size=12, strata="region", seed=42))
    c = svc.sample_draw(wave=wave, viewer=org.users.admin, design=svc.SampleDesign(size=12, strata="region", seed=43))
    assert a.ids == b.ids and a.ids != c.ids
    assert a.seed == 42 and a.size == 12 and a.eligible == 40
    # proportional allocation: 10 east, 30 north → 3 and 9
    assert a.allocation == {"east": 3, "north": 9}


def test_calculator_size_is_the_default(wave, many, org):
    sample = svc.sample_draw(wave=wave, viewer=org.users.admin, design=svc.SampleDesign(margin=0.1))
    # Cochran with N = 40, e = 0.1, p = 0.5, 95%: n0 = 96.04 → 96.04 / (1 + 95.04/40) = 28.45 → 29
    assert sample.recommended == 29 == sample.size


def test_population_stays_within_the_runners_visibility(active_gas, many, customers, org):
    wave = svc.wave_create(actor=org.users.north_marketing, survey=active_gas, name="N")
    sample = svc.sample_draw(wave=wave, viewer=org.users.north_marketing, design=svc.SampleDesign(size=1000))
    seen = set(sample.ids)
    assert customers.e1.pk not in seen and customers.n1.pk in seen


def test_invitations_and_the_resurvey_rule(wave, many, active_gas, org):
    sample = svc.invitations_create(actor=org.users.admin, wave=wave, design=svc.SampleDesign(size=10, seed=7))
    invs = list(wave.invitations.all())
    assert len(invs) == 10 and wave.sample_design["seed"] == 7
    assert len({i.token for i in invs}) == 10 and all(len(i.token) >= 43 for i in invs)
    with_email = [i for i in invs if i.email]
    assert all(i.channel == InvitationChannel.EMAIL for i in with_email)
    # contacts' addresses are used when the customer has none
    assert any(i.email.startswith("contact") for i in invs) or not any(c.pk % 3 == 1 for c in many)
    # a second wave leaves out the ten invited within resurvey_days
    other = svc.wave_create(actor=org.users.admin, survey=active_gas, name="next")
    s2 = svc.sample_draw(wave=other, viewer=org.users.admin, design=svc.SampleDesign(size=5, seed=1))
    assert s2.excluded_recent == 10 and s2.eligible == 30
    assert not set(s2.ids) & set(sample.ids)
    # once the invitations are old enough, they count again
    Invitation.objects.filter(wave=wave).update(created_at=timezone.now() - dt.timedelta(days=91))
    s3 = svc.sample_draw(wave=other, viewer=org.users.admin, design=svc.SampleDesign(size=5, seed=1))
    assert s3.excluded_recent == 0 and s3.eligible == 40


def test_emails_and_reminders(wave, many, org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    svc.invitations_create(actor=org.users.admin, wave=wave, design=svc.SampleDesign(size=40, seed=3))
    with pytest.raises(ValidationError):
        svc.invitations_send(actor=org.users.admin, wave=wave)  # not open yet
    svc.wave_open(actor=org.users.admin, wave=wave)
    counts = svc.invitations_send(actor=org.users.admin, wave=wave)
    emailed = wave.invitations.exclude(email="").count()
    assert counts["sent"] == emailed == len(mail.outbox) and counts["without_email"] == 40 - emailed
    msg = mail.outbox[0]
    assert "/s/" in msg.body and "尊敬的" in msg.body and "Dear" in msg.body
    assert wave.invitations.filter(status=InvitationStatus.SENT).count() == emailed
    # nothing is due right away; after reminder_after_days one reminder each, at most max_reminders
    assert svc.reminders_due(wave=wave) == []
    later = timezone.now() + dt.timedelta(days=wave.reminder_after_days, hours=1)
    mail.outbox.clear()
    assert svc.reminders_send(now=later)["sent"] == emailed
    assert "Reminder" in mail.outbox[0].subject or "提醒" in mail.outbox[0].subject
    assert svc.reminders_send(now=later)["sent"] == 0
    much_later = later + dt.timedelta(days=wave.reminder_after_days, hours=1)
    assert svc.reminders_send(now=much_later)["sent"] == emailed
    assert svc.reminders_send(now=much_later + dt.timedelta(days=30))["sent"] == 0  # max_reminders = 2


def test_a_refused_address_is_marked_failed(wave, many, org, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    svc.invitations_create(actor=org.users.admin, wave=wave, design=svc.SampleDesign(size=40, seed=3))
    svc.wave_open(actor=org.users.admin, wave=wave)
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def refuse(self, messages):
        if messages[0].to[0].startswith("c0@"):
            raise OSError("550 no such user")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    counts = svc.invitations_send(actor=org.users.admin, wave=wave)
    if wave.invitations.filter(email="c0@example.com").exists():
        assert counts["failed"] == 1
        assert wave.invitations.get(email="c0@example.com").status == InvitationStatus.FAILED


def _invite_one(wave, org):
    svc.invitations_create(actor=org.users.admin, wave=wave, design=svc.SampleDesign(size=1, seed=5))
    svc.wave_open(actor=org.users.admin, wave=wave)
    return wave.invitations.get()


def test_partial_then_submit_scores_and_signals(wave, many, org):
    invitation = _invite_one(wave, org)
    received = []

    def receiver(sender, response, **kw):
        from django.db import connection

        received.append((response.pk, response.index, connection.in_atomic_block))

    response_submitted.connect(receiver)
    try:
        r = svc.response_record(invitation=invitation, answers={"Q1": 5}, submit=False)
        assert r.status == ResponseStatus.PARTIAL and received == []
        with pytest.raises(ValidationError) as exc:
            svc.response_record(invitation=invitation, answers={"Q1": 5}, submit=True)
        assert "Q2" in exc.value.message_dict and "Q4" not in exc.value.message_dict
        # answers to hidden questions are dropped
        r = svc.response_record(invitation=invitation, answers=GOOD | {"Q4": 1}, submit=True)
    finally:
        response_submitted.disconnect(receiver)
    r.refresh_from_db()
    assert r.status == ResponseStatus.COMPLETE and r.submitted_at is not None
    assert not r.answers.filter(question__code="Q4").exists()
    assert received == [(r.pk, r.index, True)]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.COMPLETED
    with pytest.raises(svc.AlreadyCompleted):
        svc.response_record(invitation=invitation, answers=GOOD, submit=True)


def test_index_is_the_weighted_csi_of_the_response(active_gas):
    plan = scoring_plan(active_gas)
    # every answer 満意 (5) → 100; every answer 一般 (3) → 60
    top = {k: (5 if isinstance(v, int) else v) for k, v in GOOD.items()}
    assert response_figures(plan, top).index == pytest.approx(100)
    mid = {k: (3 if isinstance(v, int) else v) for k, v in GOOD.items()}
    figures = response_figures(plan, mid)
    assert figures.index == pytest.approx(60) and figures.satisfied is False
    # by hand: areas equal weights; supply = .6·100 + .4·80 = 92; repair unanswered;
    # meter = .3·60 + .4·100 + .3·80 = 82 → (92 + 82) / 2 = 87 (repair left out, weights re-normalised)
    csi_weights = {i.code: i.weight for i in active_gas.indicators.filter(level=2)}
    supply, meter = 92.0, 82.0
    expected = (csi_weights["supply"] * supply + csi_weights["reading"] * meter) / (
        csi_weights["supply"] + csi_weights["reading"])
    assert response_figures(plan, GOOD).index == pytest.approx(expected)
    assert response_figures(plan, GOOD).satisfied is True


def test_a_closed_wave_takes_no_answers(wave, many, org):
    invitation = _invite_one(wave, org)
    svc.wave_close(actor=org.users.admin, wave=wave)
    invitation.refresh_from_db()
    with pytest.raises(svc.WaveNotOpen):
        svc.response_record(invitation=invitation, answers=GOOD, submit=True)


def test_phone_entry_roles_and_visibility(wave, customers, org):
    svc.wave_open(actor=org.users.admin, wave=wave)
    with pytest.raises(PermissionDenied):
        svc.phone_invitation(actor=org.users.sales_n1, wave=wave, customer=customers.n1)
    from django.http import Http404

    with pytest.raises(Http404):
        svc.phone_invitation(actor=org.users.north_service, wave=wave, customer=customers.e1)
    inv = svc.phone_invitation(actor=org.users.north_service, wave=wave, customer=customers.n1)
    assert inv.channel == InvitationChannel.PHONE
    r = svc.phone_response(actor=org.users.north_service, invitation=inv, answers=GOOD)
    assert r.source == ResponseSource.PHONE and r.entered_by == org.users.north_service and r.index is not None
    assert Response.objects.filter(invitation=inv).count() == 1
