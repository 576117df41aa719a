"""Partner satisfaction (issue 18, item 4): the partner template, inviting the partner
users of the channel to a wave (service, wave page, API, ``kehu survey invite-partners``),
answers that record their partner, and results by partner type, level and partner —
with the small groups suppressed, and only for those who may read partners."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.cli import main
from kehu.org.models import User
from kehu.surveys.analysis import MIN_GROUP, survey_results
from kehu.surveys.models import Invitation, Response, SurveyStatus, Wave, WaveStatus
from kehu.surveys.services import distribution as dist
from kehu.surveys.services.definitions import survey_create_from_template
from kehu.surveys.services.partners import invitations_create_partners, partner_users
from kehu.surveys.simulate import simulate_answers
from tests.api.conftest import api_as  # noqa: F401 - fixture
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org):
    """Two level-1 agents (north with 6 users, east with 5) and a level-2 agent below north (2 users,
    one without e-mail), an inactive partner user and an inactive partner's user."""
    north = PartnerFactory(code="N1", name="华北一级代理", kind="agent_l1")
    east = PartnerFactory(code="E1", name="华东一级代理", kind="agent_l1")
    tianjin = PartnerFactory(code="T2", name="天津二级代理", kind="agent_l2", parent=north)
    closed = PartnerFactory(code="X1", name="Closed agent", kind="agent_l1", is_active=False)

    def users(partner, n, prefix, **kw):
        return [UserFactory(username=f"{prefix}{k}", role="partner", partner=partner, team=None,
                            email=f"{prefix}{k}@agent.example", **kw) for k in range(n)]

    made = {"north": users(north, 6, "n"), "east": users(east, 5, "e"),
            "tianjin": users(tianjin, 1, "t") + [UserFactory(username="t_noemail", role="partner",
                                                             partner=tianjin, team=None, email="")]}
    UserFactory(username="n_left", role="partner", partner=north, team=None, is_active=False)
    UserFactory(username="x0", role="partner", partner=closed, team=None)
    return type("Channel", (), {"north": north, "east": east, "tianjin": tianjin, "users": made})


@pytest.fixture
def psurvey(org):
    survey = survey_create_from_template(actor=org.users.admin, template="partner", code="dealers")
    survey.status = SurveyStatus.ACTIVE
    survey.save(update_fields=["status"])
    return survey


@pytest.fixture
def wave(org, psurvey):
    return dist.wave_create(actor=org.users.admin, survey=psurvey, name="2026")


def _answer_all(wave, *, seed=3):
    """Every invitation of ``wave`` answered, the way the answer page records it."""
    invitations = list(wave.invitations.order_by("id"))
    rows = simulate_answers(wave.survey, len(invitations), seed=seed)
    for inv, answers in zip(invitations, rows):
        dist.response_record(invitation=inv, answers=answers, submit=True, check_open=False)
    return invitations


def test_the_template_asks_for_the_joy_of_selling_in_both_languages(psurvey):
    from kehu.surveys import definitions as defs

    d = defs.library_template("partner").definition
    assert d["kind"] == "partner" and psurvey.kind == "partner"
    assert [c["code"] for c in d["indicators"]["children"]] == [
        "profit", "product", "delivery", "support", "channel_service", "terms"]
    kinds = {q["code"]: q["kind"] for q in d["questions"]}
    assert kinds["OVERALL"] == "likert5" and kinds["PNPS"] == "nps" and kinds["JOY"] == "text"
    assert sum(1 for k in kinds.values() if k == "likert5") == 13


def test_invitations_go_to_the_active_partner_users_once(org, channel, wave):
    done = invitations_create_partners(actor=org.users.admin, wave=wave)
    assert done.as_dict() == {"created": 13, "already": 0, "without_email": 1}
    invs = wave.invitations.all()
    assert {i.partner_user.username for i in invs} == {u.username for lst in channel.users.values() for u in lst}
    assert all(i.partner_id == i.partner_user.partner_id and i.customer_id is None for i in invs)
    assert invs.get(partner_user__username="t_noemail").channel == "link"
    assert len({i.token for i in invs}) == 13 and all(len(i.token) >= 40 for i in invs)
    # again: nobody twice; a new partner user joins
    UserFactory(username="e9", role="partner", partner=channel.east, team=None, email="e9@agent.example")
    again = invitations_create_partners(actor=org.users.admin, wave=wave)
    assert (again.created, again.already) == (1, 13)


def test_by_type_and_by_partner_subtree(org, channel, wave):
    assert invitations_create_partners(actor=org.users.admin, wave=wave, kind="agent_l2").created == 2
    assert partner_users(partner=channel.north).count() == 8   # north and Tianjin below it
    assert invitations_create_partners(actor=org.users.admin, wave=wave, partner=channel.north).created == 6
    with pytest.raises(ValidationError):
        invitations_create_partners(actor=org.users.admin, wave=wave, kind="nonsense")


def test_who_may_invite_and_to_what(org, channel, wave, psurvey):
    with pytest.raises(PermissionDenied):
        invitations_create_partners(actor=org.users.sales_n1, wave=wave)
    customer_survey = survey_create_from_template(actor=org.users.admin, template="nps", code="cust")
    other = Wave.objects.create(survey=customer_survey, name="w")
    with pytest.raises(ValidationError):
        invitations_create_partners(actor=org.users.admin, wave=other)
    Wave.objects.filter(pk=wave.pk).update(status=WaveStatus.CLOSED)
    wave.refresh_from_db()
    with pytest.raises(ValidationError):
        invitations_create_partners(actor=org.users.admin, wave=wave)
    # a partner survey's wave draws no sample of customers
    w2 = dist.wave_create(actor=org.users.admin, survey=psurvey, name="2027")
    with pytest.raises(ValidationError):
        dist.invitations_create(actor=org.users.admin, wave=w2, design=dist.SampleDesign(size=1))


def test_invitations_are_emailed_and_the_answer_records_the_partner(org, channel, wave, client):
    invitations_create_partners(actor=org.users.admin, wave=wave)
    dist.wave_open(actor=org.users.admin, wave=wave)
    counts = dist.invitations_send(actor=org.users.admin, wave=wave)
    assert counts["sent"] == 12 and counts["without_email"] == 1 and counts["held"] == 0
    assert len(mail.outbox) == 12 and "/s/" in mail.outbox[0].body
    inv = wave.invitations.get(partner_user__username="t0")
    page = client.get(f"/s/{inv.token}/")
    assert page.status_code == 200
    answers = simulate_answers(wave.survey, 1, seed=1)[0]
    response = dist.response_record(invitation=inv, answers=answers, submit=True)
    assert response.partner_id == channel.tianjin.pk and response.customer_id is None
    assert response.index is not None and response.nps is not None


def test_results_by_partner_type_level_and_partner(org, channel, wave):
    invitations_create_partners(actor=org.users.admin, wave=wave)
    _answer_all(wave)
    assert Response.objects.filter(wave=wave, partner__isnull=False).count() == 13
    r = survey_results(viewer=org.users.analyst, survey=wave.survey, wave=wave, use_cache=False, bootstrap=0)
    assert r["n"] == 13 and r["csi"] is not None and r["nps"] is not None
    b = r["breakdowns"]
    assert set(b) == {"partner_type", "partner_level", "partner"}
    by_type = {g["key"]: g for g in b["partner_type"]}
    assert by_type["agent_l1"]["n"] == 11 and not by_type["agent_l1"]["suppressed"]
    assert by_type["agent_l2"]["n"] == 2 and by_type["agent_l2"]["suppressed"] and "index" not in by_type["agent_l2"]
    by_level = {g["key"]: g["n"] for g in b["partner_level"]}
    assert by_level == {"1": 11, "2": 2}
    by_partner = {g["key"]: g for g in b["partner"]}
    assert by_partner["N1"]["n"] == 6 and by_partner["N1"]["label"] == "华北一级代理"
    assert by_partner["E1"]["n"] == 5 >= MIN_GROUP and by_partner["T2"]["suppressed"]
    # the group's index is the mean of its respondents' overall scores
    north_ids = set(Response.objects.filter(wave=wave, partner=channel.north).values_list("index", flat=True))
    assert len(north_ids) >= 1 and 0 <= by_partner["N1"]["index"] <= 100


def test_only_those_who_may_read_partners_see_the_results(org, channel, wave):
    invitations_create_partners(actor=org.users.admin, wave=wave)
    _answer_all(wave)
    survey = wave.survey
    for user in (org.users.admin, org.users.analyst, org.users.hq_manager, org.users.north_manager):
        assert survey_results(viewer=user, survey=survey, wave=wave, bootstrap=0)["n"] == 13, user
    for user in (org.users.sales_n1, org.users.north_service, org.users.north_marketing,
                 User.objects.get(username="n0")):
        r = survey_results(viewer=user, survey=survey, wave=wave, bootstrap=0)
        assert r["n"] == 0 and r["breakdowns"] == {} and r["sample"]["invitations"] == 0, user


def test_the_wave_page_invites_and_the_results_page_breaks_down(org, channel, wave, client_for):
    c = client_for(org.users.admin)
    page = c.get(f"/surveys/{wave.survey_id}/waves/{wave.pk}/")
    assert page.status_code == 200 and b'data-testid="invite-partners"' in page.content
    assert b'data-testid="draw-sample"' not in page.content
    assert "The users of the channel&#x27;s active partners" in page.content.decode()
    form = c.get(f"/surveys/{wave.survey_id}/waves/new/")
    assert b'data-testid="partner-population"' in form.content and b'name="segment"' not in form.content
    made = c.post(f"/surveys/{wave.survey_id}/waves/new/", {"name": "2027", "source": "filters",
                                                           "reminder_after_days": 7, "max_reminders": 2})
    assert made.status_code == 302 and wave.survey.waves.filter(name="2027").exists()
    r = c.post(f"/surveys/{wave.survey_id}/waves/{wave.pk}/invite-partners/", {"type": "agent_l1"}, follow=True)
    assert r.status_code == 200 and "11 partner users invited." in r.content.decode()
    listing = c.get(f"/surveys/{wave.survey_id}/waves/{wave.pk}/invitations/")
    assert listing.status_code == 200 and "华东一级代理" in listing.content.decode()
    assert c.get(f"/surveys/{wave.survey_id}/waves/{wave.pk}/qr-sheet/").status_code == 200
    _answer_all(wave)
    results = c.get(f"/surveys/{wave.survey_id}/results/?by=partner&wave={wave.pk}")
    text = results.content.decode()
    assert results.status_code == 200 and "华北一级代理" in text and 'value="partner_type"' in text
    export = c.get(f"/surveys/{wave.survey_id}/results/export/?format=csv&wave={wave.pk}")
    body = b"".join(export.streaming_content) if export.streaming else export.content
    assert export.status_code == 200 and "华北一级代理" in body.decode("utf-8-sig")
    # a salesperson may not invite
    s = client_for(org.users.sales_n1)
    assert s.post(f"/surveys/{wave.survey_id}/waves/{wave.pk}/invite-partners/", {}).status_code == 403


def test_the_api_invites_and_reads(org, channel, wave, api_as):  # noqa: F811
    admin = api_as(org.users.admin)
    r = admin.post(f"/waves/{wave.pk}/partner-invitations", {"type": "agent_l2"})
    assert r.status_code == 201, r.content
    assert r.json() == {"created": 2, "already": 0, "without_email": 1}
    assert admin.post(f"/waves/{wave.pk}/partner-invitations", {"partner_id": 99999}).status_code == 422
    items = admin.get(f"/waves/{wave.pk}/invitations").json()["items"]
    assert {i["partner_id"] for i in items} == {channel.tianjin.pk} and all(i["customer_id"] is None for i in items)
    one = admin.get(f"/invitations/{items[0]['id']}")
    assert one.status_code == 200 and one.json()["partner_user_id"] is not None
    seller = api_as(org.users.sales_n1)
    assert seller.get(f"/invitations/{items[0]['id']}").status_code == 404
    assert seller.get(f"/waves/{wave.pk}/invitations").json()["items"] == []
    assert seller.post(f"/waves/{wave.pk}/partner-invitations", {}).status_code == 403
    _answer_all(wave)
    r = api_as(org.users.analyst).get(f"/surveys/{wave.survey_id}/results", {"wave": wave.pk})
    assert r.status_code == 200, r.content
    assert set(r.json()["breakdowns"]) == {"partner_type", "partner_level", "partner"}


def test_the_command_invites(org, channel, wave, capsys):
    assert main(["survey", "invite-partners", "dealers", "--type", "agent_l1"]) == 0
    assert "11 partner users invited to wave 2026." in capsys.readouterr().out
    assert main(["survey", "invite-partners", "dealers", "--wave", "2026", "--partner", "T2"]) == 0
    assert Invitation.objects.filter(wave=wave).count() == 13
    assert main(["survey", "invite-partners", "dealers", "--partner", "NOPE"]) == 2
    assert main(["survey", "invite-partners", "nosuch"]) == 2
    assert main(["survey", "invite-partners", "dealers", "--as", "sales_n1"]) == 1


@pytest.mark.parametrize("role", ["admin", "hq_manager", "north_marketing", "analyst", "north_manager", "sales_n1"])
def test_the_invite_button_by_role(org, channel, wave, client_for, role):
    c = client_for(getattr(org.users, role))
    r = c.post(f"/surveys/{wave.survey_id}/waves/{wave.pk}/invite-partners/", {})
    designers = {"admin", "hq_manager", "north_marketing"}
    assert r.status_code == (302 if role in designers else 403)
    assert c.get(f"/surveys/{wave.survey_id}/waves/{wave.pk}/invite-partners/").status_code == 405
