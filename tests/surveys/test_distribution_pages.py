"""The distribution pages: waves, sample with calculator and preview,
invitations with QR codes, phone interviews, import — both languages, who may
do what, and visibility."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from kehu.surveys.models import Invitation, Response, ResponseSource, Wave, WaveStatus
from kehu.surveys.services import distribution as svc
from kehu.surveys.services.definitions import survey_set_status
from kehu.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LANGS = ["en", "zh-hans"]


@pytest.fixture(autouse=True)
def _cache():
    cache.clear()


@pytest.fixture
def setup(gas, org, customers):
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    for k in range(6):
        CustomerFactory(name=f"页面客户{k}", owner=org.users.sales_n1, region="north" if k % 2 else "east")
    wave = svc.wave_create(actor=org.users.admin, survey=gas, name="2026 Q1")
    svc.invitations_create(actor=org.users.admin, wave=wave, design=svc.SampleDesign(size=5, seed=9))
    svc.wave_open(actor=org.users.admin, wave=wave)
    return gas, wave


def urls(gas, wave):
    inv = wave.invitations.first()
    return [
        reverse("survey_waves", args=[gas.pk]),
        reverse("survey_wave_detail", args=[gas.pk, wave.pk]),
        reverse("survey_wave_invitations", args=[gas.pk, wave.pk]),
        reverse("survey_wave_invitations", args=[gas.pk, wave.pk]) + "?status=pending&q=客户",
        reverse("survey_wave_qr_sheet", args=[gas.pk, wave.pk]),
        reverse("survey_wave_create", args=[gas.pk]),
        reverse("survey_wave_edit", args=[gas.pk, wave.pk]),
        reverse("survey_wave_sample", args=[gas.pk, wave.pk]),
        reverse("survey_wave_import", args=[gas.pk, wave.pk]),
        reverse("survey_phone_pick", args=[gas.pk, wave.pk]) + "?q=页面",
        reverse("survey_phone_entry", args=[gas.pk, wave.pk, inv.pk]),
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_pages_render_in_both_languages(client, org, setup, lang):
    gas, wave = setup
    user = org.users.admin
    user.language = lang
    user.save()
    client.force_login(user)
    for url in urls(gas, wave):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'lang="{lang}"' in html, url
    html = client.get(reverse("survey_wave_detail", args=[gas.pk, wave.pk])).content.decode()
    if lang == "zh-hans":
        assert "邀请与答卷" in html and "回收率" in html
    else:
        assert "Invitations and answers" in html and "Response rate" in html


def test_readers_see_waves_but_do_not_run_them(client, org, setup):
    gas, wave = setup
    client.force_login(org.users.sales_n1)
    assert client.get(reverse("survey_wave_detail", args=[gas.pk, wave.pk])).status_code == 200
    for url in (reverse("survey_wave_create", args=[gas.pk]), reverse("survey_wave_sample", args=[gas.pk, wave.pk]),
                reverse("survey_wave_import", args=[gas.pk, wave.pk]),
                reverse("survey_phone_pick", args=[gas.pk, wave.pk])):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("survey_wave_status", args=[gas.pk, wave.pk]), {"action": "close"}).status_code == 403


def test_invitation_list_is_scoped(client, org, setup, customers):
    gas, wave = setup
    svc.phone_invitation(actor=org.users.admin, wave=wave, customer=customers.e1)
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("survey_wave_invitations", args=[gas.pk, wave.pk])).content.decode()
    assert customers.e1.name not in html
    other = wave.invitations.get(customer=customers.e1)
    assert client.get(reverse("survey_invitation_qr", args=[gas.pk, wave.pk, other.pk, "svg"])).status_code == 404
    client.force_login(org.users.admin)
    html = client.get(reverse("survey_wave_invitations", args=[gas.pk, wave.pk])).content.decode()
    assert customers.e1.name in html and "/s/" in html


def test_qr_codes(client, org, setup):
    gas, wave = setup
    inv = wave.invitations.first()
    client.force_login(org.users.admin)
    svg = client.get(reverse("survey_invitation_qr", args=[gas.pk, wave.pk, inv.pk, "svg"]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client.get(reverse("survey_invitation_qr", args=[gas.pk, wave.pk, inv.pk, "png"]) + "?download=1")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n" and "attachment" in png["Content-Disposition"]
    sheet = client.get(reverse("survey_wave_qr_sheet", args=[gas.pk, wave.pk])).content.decode()
    assert sheet.count('class="qr-card"') == 5 and inv.token in sheet


def test_wave_form_creates_and_status_buttons(client, org, setup):
    gas, _wave = setup
    client.force_login(org.users.north_marketing)
    response = client.post(reverse("survey_wave_create", args=[gas.pk]), {
        "name": "2026 Q2", "reminder_after_days": 5, "max_reminders": 1, "source": "filters", "region": "north"})
    wave = Wave.objects.get(name="2026 Q2")
    assert response.status_code == 302 and wave.population == {"filters": {"region": "north"}}
    # a duplicate name is refused on the form
    again = client.post(reverse("survey_wave_create", args=[gas.pk]), {
        "name": "2026 Q2", "reminder_after_days": 5, "max_reminders": 1, "source": "filters"})
    assert again.status_code == 200 and "already has a wave named" in again.content.decode()
    client.post(reverse("survey_wave_status", args=[gas.pk, wave.pk]), {"action": "open"})
    wave.refresh_from_db()
    assert wave.status == WaveStatus.OPEN


def test_sample_page_calculator_preview_and_create(client, org, setup):
    gas, _wave = setup
    wave = svc.wave_create(actor=org.users.admin, survey=gas, name="S")
    client.force_login(org.users.admin)
    size = client.get(reverse("survey_wave_sample_size", args=[gas.pk, wave.pk]),
                      {"confidence": "0.95", "margin": "5", "proportion": "50", "population": "1000"},
                      HTTP_HX_REQUEST="true")
    assert "<b>278</b>" in size.content.decode() and "385" in size.content.decode()
    url = reverse("survey_wave_sample", args=[gas.pk, wave.pk])
    form = {"confidence": "0.95", "margin": "5", "proportion": "50", "size": "2", "strata": "region", "seed": "11"}
    preview = client.post(url, form | {"action": "preview"}).content.decode()
    assert 'data-testid="sample-preview"' in preview and "11" in preview
    # the 5 customers invited in the first wave are left out and counted
    assert re.search(r"5 customers left out", preview)
    assert not wave.invitations.exists()
    response = client.post(url, form | {"action": "create"})
    assert response.status_code == 302 and wave.invitations.count() == 2
    wave.refresh_from_db()
    assert wave.sample_design["seed"] == 11


def test_big_samples_show_progress(client, org, setup, monkeypatch):
    gas, _wave = setup
    from kehu.surveys import views_distribution

    monkeypatch.setattr(views_distribution, "BIG_SAMPLE", 1)
    wave = svc.wave_create(actor=org.users.admin, survey=gas, name="Big")
    client.force_login(org.users.admin)
    response = client.post(reverse("survey_wave_sample", args=[gas.pk, wave.pk]),
                           {"confidence": "0.95", "margin": "5", "proportion": "50", "size": "3", "seed": "1",
                            "action": "create"})
    assert response.status_code == 302 and response["Location"].endswith("/sample/progress/")
    page = client.get(response["Location"]).content.decode()
    assert "The invitations are created." in page and wave.invitations.count() == 3


def test_creating_invitations_whose_worker_died_shows_interrupted(client, org, setup):
    """The worker that creates a big sample was killed: its progress entry still
    says "running", but its process is gone; the page shows the job failed, with
    the reason, and stops polling."""
    import subprocess
    import sys

    from django.core.cache import cache

    from kehu.runtime import liveness
    from kehu.surveys.views_distribution import _progress_key

    gas, _wave = setup
    wave = svc.wave_create(actor=org.users.admin, survey=gas, name="Killed")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    cache.set(_progress_key(wave), {"done": 10, "total": 500, "state": "running", **liveness.stamp(),
                                    "worker_pid": gone.pid}, 3600)
    client.force_login(org.users.admin)
    page = client.get(reverse("survey_wave_sample_progress", args=[gas.pk, wave.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已中断：进程已停止" in page and "hx-get" not in page.split('data-testid="progress"')[0][-300:]
    cache.set(_progress_key(wave), {"done": 10, "total": 500, "state": "running", **liveness.stamp()}, 3600)
    page = client.get(reverse("survey_wave_sample_progress", args=[gas.pk, wave.pk])).content.decode()
    assert "进程已停止" not in page and "interrupted" not in page  # this process is alive: still running


def test_phone_interview_page(client, org, setup, customers):
    gas, wave = setup
    client.force_login(org.users.north_service)
    start = client.post(reverse("survey_phone_start", args=[gas.pk, wave.pk]), {"customer": customers.n1.pk})
    assert start.status_code == 302
    inv = wave.invitations.get(customer=customers.n1)
    url = reverse("survey_phone_entry", args=[gas.pk, wave.pk, inv.pk])
    bad = client.post(url, {"Q1": "5"})
    assert bad.status_code == 422
    ok = client.post(url, {"Q1": "5", "Q2": "4", "Q3": "no", "Q7": "3", "Q8": "5", "Q9": "4", "Q10": "4"})
    assert ok.status_code == 302
    r = Response.objects.get(invitation=inv)
    assert r.source == ResponseSource.PHONE and r.entered_by == org.users.north_service
    # a customer they may not see: 404
    assert client.post(reverse("survey_phone_start", args=[gas.pk, wave.pk]),
                       {"customer": customers.e1.pk}).status_code == 404


def test_send_invitations_button(client, org, setup, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    gas, wave = setup
    from django.core import mail

    Invitation.objects.filter(wave=wave).update(email="x@example.com")
    # the consent gate (kehu.privacy.consent) sends only to customers who consented
    Customer.objects.filter(survey_invitations__wave=wave).update(consent_data_processing=True)
    client.force_login(org.users.admin)
    client.post(reverse("survey_wave_send", args=[gas.pk, wave.pk]))
    assert len(mail.outbox) == 5
