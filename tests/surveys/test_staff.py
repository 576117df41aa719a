"""Employee satisfaction end to end (issue 18, items 5 and 6): staff without a
login imported from a file, every employee invited with an anonymous link,
results by team and role with small groups suppressed — the subtraction
case included — no response reachable per respondent through any page, API
call or export, who may read the results, and staff beside customers with
the correlation across teams."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from kehu.analytics.anonymity import leaks
from kehu.cli import main
from kehu.org.employees import employee_import
from kehu.org.models import Employee
from kehu.surveys.models import Invitation, Response, SurveyStatus, WaveStatus
from kehu.surveys.services import distribution as dist
from kehu.surveys.services.definitions import survey_create_from_template
from kehu.surveys.simulate import simulate_answers
from kehu.surveys.staff import results
from kehu.surveys.staff.services import employees_invite
from tests.api.conftest import api_as  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _csv(tmp_path, text, name="staff.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- staff without a login ------------------------------------------------------------

def test_import_employees_reports_bad_rows_by_line_and_writes_nothing(org, tmp_path, capsys):
    bad = _csv(tmp_path, "name,email,team,position\n王师傅,wang@example.com,North sales 1,driver\n"
                         ",nobody@example.com,North sales 1,\n李四,li@example.com,No such team,\n"
                         "赵五,wang@example.com,,\n")
    assert main(["import", "employees", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 3:" in err and "line 4:" in err and "No such team" in err and "line 5:" in err
    assert not Employee.objects.exists()

    good = _csv(tmp_path, "姓名,邮箱,部门,岗位,在职\n王师傅,wang@example.com,North sales 1,司机,是\n"
                          "刘工,,Head office/East region/East sales 1,仓管,是\n", name="good.csv")
    assert main(["import", "employees", str(good)]) == 0
    assert "2 employees created" in capsys.readouterr().out
    wang = Employee.objects.get(email="wang@example.com")
    assert wang.team == org.teams.n1 and wang.position == "司机" and wang.active
    assert Employee.objects.get(name="刘工").team == org.teams.e1
    # the same e-mail again updates
    again = _csv(tmp_path, "name,email,active\n王师傅,WANG@example.com,no\n", name="again.csv")
    report = employee_import(actor=org.users.admin, path=again)
    assert report.updated == 1 and not Employee.objects.get(pk=wang.pk).active


def test_only_administrators_import_staff(org, tmp_path):
    path = _csv(tmp_path, "name\nA\n")
    with pytest.raises(PermissionDenied):
        employee_import(actor=org.users.hq_manager, path=path)


# -- a wave answered by the organisation ------------------------------------------------

def _survey(org):
    survey = survey_create_from_template(actor=org.users.admin, template="employee", code="staff")
    survey.status = SurveyStatus.ACTIVE
    survey.save()
    return survey


def _open_wave(org, survey, name="2026"):
    wave = dist.wave_create(actor=org.users.admin, survey=survey, name=name)
    return dist.wave_open(actor=org.users.admin, wave=wave)


def _staff(team, n, prefix, position="worker"):
    return [Employee.objects.create(name=f"{prefix}{k}", email=f"{prefix}{k}@example.com", team=team,
                                    position=position) for k in range(n)]


def _answer_all(wave, invitations, seed=1, shift=0.0):
    rows = simulate_answers(wave.survey, len(invitations), seed=seed, shift=shift)
    for inv, answers in zip(invitations, rows):
        dist.response_record(invitation=inv, answers=answers, submit=True)


@pytest.fixture
def answered(org):
    """North sales 1: 2 users + 6 staff (8); East sales 1: 1 user + 2 staff (3, below 5);
    North region itself: 3 users (north_manager, _service, _marketing) + 0; East region: east_manager;
    head office: admin, hq_manager, analyst."""
    _staff(org.teams.n1, 6, "n")
    _staff(org.teams.e1, 2, "e", position="warehouse")
    survey = _survey(org)
    wave = _open_wave(org, survey)
    counts = employees_invite(actor=org.users.admin, wave=wave)
    _answer_all(wave, list(Invitation.objects.filter(wave=wave).order_by("id")))
    return survey, wave, counts


def test_every_active_employee_is_invited_once_with_a_personal_link(org, answered, mailoutbox):
    survey, wave, counts = answered
    assert counts["invited"] == 10 + 8 and counts["already"] == 0
    assert Invitation.objects.filter(wave=wave, employee__isnull=False).count() == 10
    assert Invitation.objects.filter(wave=wave, staff__isnull=False).count() == 8
    assert len({i.token for i in Invitation.objects.filter(wave=wave)}) == 18
    again = employees_invite(actor=org.users.admin, wave=wave)
    assert again["invited"] == 0 and again["already"] == 18
    assert counts["sent"] == len([m for m in mailoutbox]) > 0


def test_invite_refuses_customer_surveys_and_non_runners(org):
    survey = _survey(org)
    wave = _open_wave(org, survey)
    with pytest.raises(PermissionDenied):
        employees_invite(actor=org.users.sales_n1, wave=wave)
    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    with pytest.raises(ValidationError):
        employees_invite(actor=org.users.admin, wave=dist.wave_create(actor=org.users.admin, survey=gas, name="w"))


def test_results_by_team_suppress_small_groups_and_their_complements(org, answered):
    _survey_, wave, _c = answered
    r = results.team_role_results(viewer=org.users.admin, wave=wave)
    rows = {g["label"]: g for g in r["teams"]}
    assert r["threshold"] == 5 and r["total"]["n"] == 18
    assert rows["East sales 1"]["suppressed"] and rows["East sales 1"]["n"] is None
    # East region = East sales 1 (3) + east_manager (1): 4 < 5
    assert rows["East region"]["suppressed"]
    # North region = North sales 1 (8) + its own 3 (north_manager, service, marketing): showing both
    # would give those 3 by subtraction, so the smaller, North sales 1, is suppressed too
    assert rows["North region"]["n"] == 11 and not rows["North region"]["suppressed"]
    assert rows["North sales 1"]["suppressed"] and rows["North sales 1"]["n"] is None
    assert rows["Head office"]["n"] == 18


def test_the_subtraction_case_on_real_answers(org, answered):
    """The shown team rows and the total, as sets of respondents, let no group below the
    threshold be derived (kehu.analytics.anonymity.leaks tries every union of groups)."""
    _survey_, wave, _c = answered
    r = results.team_role_results(viewer=org.users.admin, wave=wave)
    teams = {t.pk: t for t in (org.teams.hq, org.teams.north, org.teams.east, org.teams.n1, org.teams.e1)}
    atoms = {}
    for inv in Invitation.objects.filter(wave=wave, response__status="complete"):
        atoms[inv.team_id] = atoms.get(inv.team_id, 0) + 1
    shown = {}
    for g in r["teams"]:
        if not g["suppressed"]:
            path = teams[g["team_id"]].path
            shown[g["key"]] = {tid for tid in atoms if teams[tid].path.startswith(path)}
    if not r["total"]["suppressed"]:
        shown["total"] = set(atoms)
    assert leaks(atoms, shown, r["threshold"]) == []
    # and without the secondary suppression the manager's three answers in North would leak
    naive = {k: v for k, v in shown.items()}
    naive["team:%d" % org.teams.north.pk] = {org.teams.north.pk, org.teams.n1.pk}
    naive["team:%d" % org.teams.n1.pk] = {org.teams.n1.pk}
    assert leaks(atoms, naive, 5)


def test_roles_are_a_breakdown_of_their_own(org, answered):
    _survey_, wave, _c = answered
    roles = {g["label"]: g for g in results.team_role_results(viewer=org.users.admin, wave=wave)["roles"]}
    assert roles["worker"]["n"] == 6
    assert roles["Salesperson"]["suppressed"] and roles["warehouse"]["suppressed"]


def test_the_threshold_is_configurable_and_never_below_three(org, answered, settings):
    _survey_, wave, _c = answered
    settings.EMPLOYEE_MIN_GROUP = "3"
    rows = {g["label"]: g for g in results.team_role_results(viewer=org.users.admin, wave=wave)["teams"]}
    assert rows["East region"]["n"] == 4      # hidden at 5; East sales 1 stays hidden (east_manager alone)
    settings.EMPLOYEE_MIN_GROUP = "2"
    with pytest.raises(ImproperlyConfigured, match="at least 3"):
        results.min_group()
    from kehu.surveys.staff.results import check_min_group

    assert check_min_group()[0].id == "kehu.E101"


def test_who_reads_employee_results(org, answered, client_for):
    survey, wave, _c = answered
    r = results.team_role_results(viewer=org.users.north_manager, wave=wave)
    assert {g["label"] for g in r["teams"]} == {"North region", "North sales 1"}
    assert r["total"] is None and r["roles"] == []
    for user in (org.users.sales_n1, org.users.north_service, org.users.north_marketing):
        assert not results.team_role_results(viewer=user, wave=wave)["allowed"]
        assert client_for(user).get(reverse("survey_staff_results", args=[survey.pk])).status_code == 404
        assert client_for(user).get(reverse("survey_staff_customers", args=[survey.pk])).status_code == 404
    for user in (org.users.admin, org.users.analyst, org.users.hq_manager, org.users.north_manager):
        page = client_for(user).get(reverse("survey_staff_results", args=[survey.pk]))
        assert page.status_code == 200 and b"North region" in page.content


# -- nothing per respondent -----------------------------------------------------------

def test_no_response_of_an_employee_wave_is_reachable_one_by_one(org, answered, api_as, client_for):
    survey, wave, _c = answered
    assert Response.objects.filter(wave=wave, status="complete").count() == 18
    inv = Invitation.objects.filter(wave=wave).first()
    for user in (org.users.admin, org.users.analyst, org.users.hq_manager):
        api = api_as(user)
        listed = api.get(f"/waves/{wave.pk}/responses")
        assert listed.status_code == 200 and listed.json()["items"] == []
        response = Response.objects.filter(wave=wave).first()
        assert api.get(f"/responses/{response.pk}").status_code == 404
        assert api.get(f"/invitations/{inv.pk}").status_code == 404
        for path in (f"/surveys/{survey.pk}/staff-results", f"/surveys/{survey.pk}/staff-customers"):
            body = api.get(path).content.decode()
            assert "invitation" not in body and inv.token not in body
        client = client_for(user)
        assert client.get(reverse("survey_invitation_qr", args=[survey.pk, wave.pk, inv.pk, "svg"])).status_code == 404
        # (403 for the analyst, who may enter no interview at all)
        assert client.get(reverse("survey_phone_entry", args=[survey.pk, wave.pk, inv.pk])).status_code in (403, 404)
        assert client.get(reverse("survey_phone_pick", args=[survey.pk, wave.pk])).status_code in (403, 404)
    refused = api_as(org.users.admin).post(f"/waves/{wave.pk}/responses",
                                           {"invitation_id": inv.pk, "answers": {}, "submit": True})
    assert refused.status_code == 422 and "personal links" in refused.content.decode()


def test_the_exports_carry_aggregates_only(org, answered, client_for, tmp_path):
    survey, wave, _c = answered
    client = client_for(org.users.admin)
    data = client.get(reverse("survey_staff_export", args=[survey.pk]) + f"?wave={wave.pk}&format=csv")
    text = data.content.decode("utf-8")
    assert data.status_code == 200 and "North region" in text
    for inv in Invitation.objects.filter(wave=wave):
        assert inv.token not in text and (not inv.email or inv.email not in text)
    out = tmp_path / "staff.xlsx"
    assert main(["survey", "staff-results", "staff", "--export", str(out)]) == 0 and out.stat().st_size > 0


def test_too_few_answers_show_no_headline(org):
    survey = _survey(org)
    wave = _open_wave(org, survey)
    employees_invite(actor=org.users.admin, wave=wave, teams=[org.teams.e1], send=False)
    _answer_all(wave, list(Invitation.objects.filter(wave=wave)))
    from kehu.surveys.analysis import survey_results

    r = survey_results(viewer=org.users.admin, survey=survey, wave=wave, use_cache=False)
    assert r["n"] == 1 and r.get("too_few") and r["index"] == {} and r["nps"] is None


# -- browser, API and command -----------------------------------------------------------

def test_invite_from_the_wave_page_api_and_command(org, client_for, api_as, capsys):
    survey = _survey(org)
    wave = _open_wave(org, survey)
    client = client_for(org.users.admin)
    page = client.get(reverse("survey_wave_detail", args=[survey.pk, wave.pk]))
    assert b'data-testid="invite-employees"' in page.content
    client.post(reverse("survey_wave_invite_employees", args=[survey.pk, wave.pk]), {"teams": [org.teams.n1.pk]})
    assert Invitation.objects.filter(wave=wave).count() == 2       # sales_n1, sales_n1b
    r = api_as(org.users.admin).post(f"/waves/{wave.pk}/invite-employees", {"teams": [org.teams.north.pk],
                                                                            "send": False})
    assert r.status_code == 200 and r.json()["invited"] == 3 and r.json()["already"] == 2
    assert api_as(org.users.sales_n1).post(f"/waves/{wave.pk}/invite-employees", {}).status_code == 403
    assert main(["survey", "invite-employees", "staff", "--wave", wave.name, "--no-send"]) == 0
    assert "5 employees invited" in capsys.readouterr().out
    assert Invitation.objects.filter(wave=wave).count() == 10


def test_an_employee_answers_through_the_public_page(org, client_for):
    survey = _survey(org)
    wave = _open_wave(org, survey)
    employees_invite(actor=org.users.admin, wave=wave, teams=[org.teams.e1], send=False)
    inv = Invitation.objects.get(wave=wave)
    page = client_for(org.users.sales_e1).get(f"/s/{inv.token}/")
    assert page.status_code == 200


def test_staff_beside_customers_and_the_correlation(org, answered, client_for, api_as):
    survey, wave, _c = answered
    r = results.staff_and_customers(viewer=org.users.admin, wave=wave)
    labels = {x["label"]: x for x in r["rows"]}
    assert set(labels) >= {"Head office", "North sales 1", "East sales 1"}
    assert r["left_out"] >= 1     # East sales 1: 3 respondents
    page = client_for(org.users.admin).get(reverse("survey_staff_customers", args=[survey.pk]))
    assert page.status_code == 200 and b"not a proof of cause" in page.content
    assert b'data-testid="left-out"' in page.content
    api = api_as(org.users.admin).get(f"/surveys/{survey.pk}/staff-customers")
    assert api.status_code == 200 and "customer_index" in api.json()["correlations"]
    assert main(["survey", "staff-results", "staff", "--customers", "--json"]) == 0


def test_employee_results_commands_refuse_salespeople(org, answered, capsys):
    assert main(["survey", "staff-results", "staff", "--as", "sales_n1"]) == 1


def test_employees_api(org, api_as):
    api = api_as(org.users.admin)
    made = api.post("/employees", {"name": "王师傅", "email": "w@example.com", "team_id": org.teams.n1.pk})
    assert made.status_code == 201
    pk = made.json()["id"]
    assert api.patch(f"/employees/{pk}", {"active": False}).json()["active"] is False
    assert api.get("/employees").json()["items"][0]["name"] == "王师傅"
    assert api_as(org.users.sales_n1).post("/employees", {"name": "x"}).status_code == 403
    assert api_as(org.users.sales_n1).get(f"/employees/{pk}").status_code == 404


def test_an_employee_link_is_shown_only_until_it_is_opened(org, answered, client_for, api_as):
    """After an employee opened their link, whoever held it could read a half-filled
    anonymous questionnaire: the invitations list, the QR sheet and the API stop showing it."""
    survey, wave, _c = answered
    pending = Invitation.objects.filter(wave=wave).first()
    Invitation.objects.filter(pk=pending.pk).update(status="sent")
    html = client_for(org.users.admin).get(reverse("survey_wave_invitations", args=[survey.pk, wave.pk])).content
    done = [i for i in Invitation.objects.filter(wave=wave, status="completed")]
    assert done and all(i.token.encode() not in html for i in done)
    assert pending.token.encode() in html
    sheet = client_for(org.users.admin).get(reverse("survey_wave_qr_sheet", args=[survey.pk, wave.pk])).content
    assert all(i.token.encode() not in sheet for i in done)
    items = api_as(org.users.admin).get(f"/waves/{wave.pk}/invitations").json()["items"]
    links = {i["id"]: i["link"] for i in items}
    assert links[pending.pk] and all(links[i.pk] == "" for i in done if i.pk in links)
