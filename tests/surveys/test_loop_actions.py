"""Improvement actions against indicators, and whether the indicator moved
in the next wave — computed on hand-made answers and checked by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from scipy import stats

from kehu.audit.models import AuditEvent
from kehu.surveys.models import ImprovementAction
from kehu.surveys.selectors_loop import action_movement
from kehu.surveys.services.loop import action_create, action_delete, action_update
from tests.surveys.conftest import add_responses

pytestmark = pytest.mark.django_db

# Q5 measures repair timeliness on five levels: 2 → 40, 3 → 60, 4 → 80, 5 → 100.
BEFORE = [2, 3, 2, 3]        # 40, 60, 40, 60: mean 50
AFTER = [4, 5, 4, 4, 3]      # 80, 100, 80, 80, 60: mean 80


@pytest.fixture
def waves(gas):
    w1 = add_responses(gas, [{"Q5": x} for x in BEFORE])
    w2 = add_responses(gas, [{"Q5": x} for x in AFTER])
    return w1, w2


@pytest.fixture
def action(org, gas, waves):
    return action_create(actor=org.users.admin, survey=gas, data={
        "indicator": gas.indicators.get(code="repair_timeliness"), "title": "抢修两小时内响应",
        "owner": org.users.north_service, "due_on": dt.date(2026, 12, 31), "baseline_wave": waves[0],
        "target": 75})


def test_the_baseline_is_the_indicator_score_in_the_chosen_wave(action):
    assert action.baseline == 50.0
    assert AuditEvent.objects.filter(entity="improvementaction", entity_id=action.pk, action="create").exists()


def test_the_next_wave_shows_whether_it_moved(action, waves):
    m = action_movement(action)
    assert m.baseline.score == 50 and m.baseline.n == 4
    [after] = m.later
    assert after.wave == waves[1] and after.score == 80 and after.n == 5 and after.change == 30
    expected = stats.ttest_ind([80, 100, 80, 80, 60], [40, 60, 40, 60], equal_var=False)
    assert after.p_value == pytest.approx(expected.pvalue)
    assert after.significant and after.target_met and m.verdict == "up"


def test_a_parent_indicator_moves_with_its_children(org, gas, waves):
    repair = gas.indicators.get(code="repair")
    a = action_create(actor=org.users.admin, survey=gas, data={"indicator": repair, "title": "维修服务整改",
                                                              "baseline_wave": waves[0]})
    # only timeliness was answered, so the repair area scores what timeliness scores
    assert a.baseline == 50 and action_movement(a).latest.score == 80


def test_not_measured_again_and_no_baseline(org, gas, waves):
    q = gas.indicators.get(code="pressure")
    a = action_create(actor=org.users.admin, survey=gas, data={"indicator": q, "title": "稳压", "baseline_wave": waves[1]})
    assert a.baseline is None and action_movement(a).verdict == "no_baseline"  # nobody answered Q1
    b = action_create(actor=org.users.admin, survey=gas, data={
        "indicator": gas.indicators.get(code="repair_timeliness"), "title": "b", "baseline_wave": waves[1]})
    assert b.baseline == 80 and action_movement(b).verdict == "not_measured"


def test_who_may_plan_and_change_actions(org, gas, action, waves):
    with pytest.raises(PermissionDenied):
        action_create(actor=org.users.sales_n1, survey=gas, data={"indicator": action.indicator, "title": "x"})
    # the owner reports progress, but may not change the plan
    action_update(actor=org.users.north_service, action=action, data={"status": "in_progress"})
    with pytest.raises(PermissionDenied):
        action_update(actor=org.users.north_service, action=action, data={"target": 99})
    with pytest.raises(PermissionDenied):
        action_delete(actor=org.users.north_service, action=action)
    with pytest.raises(ValidationError) as exc:
        action_update(actor=org.users.admin, action=action, data={"target": 120})
    assert "target" in exc.value.message_dict
    action.refresh_from_db()
    other = add_responses(gas, [{"Q5": 5}, {"Q5": 5}])
    action_update(actor=org.users.admin, action=action, data={"baseline_wave": other})
    action.refresh_from_db()
    assert action.baseline == 100 and action.status == "in_progress"


def test_action_pages(client_for, org, gas, action, waves):
    client = client_for(org.users.north_marketing)  # a survey designer
    url = reverse("survey_actions", args=[gas.pk])
    html = client.get(url).content.decode()
    assert "抢修两小时内响应" in html and "Improved (significant)" in html and "Did it move?" in html
    assert reverse("survey_action_create", args=[gas.pk]) in html
    html = client.get(reverse("survey_detail", args=[gas.pk])).content.decode()
    assert url in html  # the survey tab
    ind = gas.indicators.get(code="reading_accuracy")
    response = client.post(reverse("survey_action_create", args=[gas.pk]), {
        "title": "抄表员培训", "indicator": ind.pk, "owner": org.users.north_service.pk, "due_on": "2027-03-31",
        "status": "planned", "baseline_wave": waves[0].pk, "target": "85"})
    assert response.status_code == 302
    new = ImprovementAction.objects.get(title="抄表员培训")
    assert new.indicator == ind and new.baseline is None and new.target == 85
    # editing shows the movement; deleting asks first
    html = client.get(reverse("survey_action_edit", args=[gas.pk, action.pk])).content.decode()
    assert 'id="movement"' in html and "80.0" in html and "+30.0" in html
    html = client.get(reverse("survey_action_delete", args=[gas.pk, new.pk])).content.decode()
    assert "cannot be undone" in html and ImprovementAction.objects.filter(pk=new.pk).exists()
    client.post(reverse("survey_action_delete", args=[gas.pk, new.pk]))
    assert not ImprovementAction.objects.filter(pk=new.pk).exists()
    # a salesperson reads, but may not plan
    client = client_for(org.users.sales_n1)
    assert client.get(url).status_code == 200
    assert client.get(reverse("survey_action_create", args=[gas.pk])).status_code == 403
    assert client.get(reverse("survey_action_edit", args=[gas.pk, action.pk])).status_code == 403


def test_action_pages_in_chinese(client_for, org, gas, action):
    client = client_for(org.users.admin)
    client.cookies["kehu_language"] = "zh-hans"
    org.users.admin.language = "zh-hans"
    org.users.admin.save()
    html = client.get(reverse("survey_actions", args=[gas.pk])).content.decode()
    assert "改进措施" in html and "显著改善" in html



def test_survey_actions_command(action, capsys):
    import json

    from kehu.cli import main

    assert main(["survey", "actions", "gas"]) == 0
    out = capsys.readouterr().out
    assert "抢修两小时内响应" in out and "baseline 50.0" in out and "+30.0" in out and "→ up" in out
    assert main(["survey", "actions", "gas", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [row] = data["actions"]
    assert row["baseline"] == 50 and row["waves"][0]["score"] == 80 and row["verdict"] == "up"
    assert row["waves"][0]["significant"] is True
    assert main(["survey", "actions", "nope"]) == 2


def test_action_checks_name_the_field_and_say_why(org, gas, action, waves):
    # survivors of mutation testing (docs/testing.md): each check's field, message and boundary
    from kehu.surveys.services.definitions import survey_create_from_template

    other = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas-other")
    other_wave = add_responses(other, [{"Q5": 3}])

    def errors(data):
        with pytest.raises(ValidationError) as exc:
            action_update(actor=org.users.admin, action=action, data=data)
        action.refresh_from_db()
        return exc.value.message_dict

    assert errors({"indicator": other.indicators.get(code="repair_timeliness")}) == {
        "indicator": ["This indicator belongs to another survey."]}
    assert errors({"baseline_wave": other_wave}) == {"baseline_wave": ["This wave belongs to another survey."]}
    assert errors({"target": 100.5}) == {"target": ["Enter a score between 0 and 100."]}
    assert errors({"target": -0.5}) == {"target": ["Enter a score between 0 and 100."]}
    assert errors({"colour": "red"}) == {"colour": ["Unknown field."]}
    for target in (0, 0.5, 99.5, 100):  # both ends are scores
        action_update(actor=org.users.admin, action=action, data={"target": target})
        action.refresh_from_db()
        assert action.target == target
    # the owner may change the description as well as the status, nothing else
    action_update(actor=org.users.north_service, action=action, data={"description": "每周复查"})
    with pytest.raises(PermissionDenied, match="^As the action's owner you may change its status and description only"):
        action_update(actor=org.users.north_service, action=action, data={"title": "x"})
    with pytest.raises(PermissionDenied, match="^You may not change this improvement action"):
        action_update(actor=org.users.sales_n1, action=action, data={"status": "done"})


def test_deleting_an_action_is_refused_with_a_reason_and_recorded_with_what_it_was(org, action):
    with pytest.raises(PermissionDenied) as exc:
        action_delete(actor=org.users.north_service, action=action)
    assert str(exc.value) == "You may not delete improvement actions."
    pk = action.pk
    action_delete(actor=org.users.admin, action=action)
    assert not ImprovementAction.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="delete", entity_id=pk)
    assert event.summary == "抢修两小时内响应" and event.actor == org.users.admin
    assert event.changes["title"] == "抢修两小时内响应" and event.changes["target"] == 75


def test_planning_an_action_says_why_it_is_refused_and_records_who_planned_it(org, gas, waves):
    indicator = gas.indicators.get(code="repair_timeliness")
    with pytest.raises(PermissionDenied) as exc:
        action_create(actor=org.users.sales_n1, survey=gas, data={"indicator": indicator, "title": "x"})
    assert str(exc.value) == "You may not plan improvement actions."
    with pytest.raises(ValidationError) as exc:
        action_create(actor=org.users.admin, survey=gas, data={"indicator": indicator, "title": "x", "colour": "red"})
    assert exc.value.message_dict == {"colour": ["Unknown field."]}
    gone = org.users.sales_n1b
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError) as exc:
        action_create(actor=org.users.admin, survey=gas, data={"indicator": indicator, "title": "x", "owner": gone})
    assert exc.value.message_dict["owner"] == ["This user is no longer active."]
    # no baseline wave: no baseline; a baseline is rounded to two decimals (40, 40, 60 → 46.67)
    plain = action_create(actor=org.users.admin, survey=gas, data={"indicator": indicator, "title": "无基线"})
    assert plain.baseline is None
    thirds = add_responses(gas, [{"Q5": 2}, {"Q5": 2}, {"Q5": 3}])
    rounded = action_create(actor=org.users.admin, survey=gas, data={"indicator": indicator, "title": "三分之二",
                                                                      "baseline_wave": thirds})
    assert float(rounded.baseline) == 46.67
    event = AuditEvent.objects.get(action="create", entity_id=rounded.pk, summary="三分之二")
    assert event.actor == org.users.admin


def test_another_indicator_takes_the_baseline_again_and_the_change_is_recorded(org, gas, action, waves):
    repair_area = gas.indicators.get(code="repair")
    pressure = gas.indicators.get(code="pressure")
    action_update(actor=org.users.admin, action=action, data={"indicator": pressure})
    action.refresh_from_db()
    assert action.baseline is None                     # nobody answered the pressure question
    action_update(actor=org.users.admin, action=action, data={"indicator": repair_area})
    action.refresh_from_db()
    assert action.baseline == 50
    event = AuditEvent.objects.filter(action="update", entity_id=action.pk).latest("id")
    assert event.actor == org.users.admin and event.summary == action.title
    assert event.changes["indicator"] == [pressure.pk, repair_area.pk]
