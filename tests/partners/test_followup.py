"""Measurements of partners drive the channel manager's work: a partner's low survey
answer and a partner behind its target each lead to one task about the partner
(kehu/surveys/services/loop.py, kehu/partners/followup.py), seen by the channel manager
and those who read the partners' tasks — never by partner users."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse

from kehu.cli import main
from kehu.engagement.models import Task, TaskSource, TaskStatus
from kehu.engagement.selectors import task_get, task_list, task_may_change
from kehu.engagement.services import task_complete, task_update
from kehu.org.models import PartnerTarget
from kehu.partners.followup import partner_check
from kehu.surveys.models import Invitation, SurveyStatus
from kehu.surveys.services.definitions import survey_create_from_template
from tests.api.conftest import api_as  # noqa: F401 - fixture
from tests.factories import OrderFactory, CustomerFactory, PartnerFactory, UserFactory
from tests.surveys.loop_factories import ResponseFactory, WaveFactory, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org):
    """A level-1 agent looked after by the north manager (English), a level-2 agent below it
    without a manager of its own, and a partner user of each."""
    manager = org.users.north_manager
    manager.language, manager.email = "en", "north@example.com"
    manager.save()
    top = PartnerFactory(code="L1", name="华北一级代理", manager=manager)
    sub = PartnerFactory(code="L2", name="天津二级代理", kind="agent_l2", parent=top)
    agent = UserFactory(username="agent_l1", role="partner", partner=top, team=None, display_name="王经理")
    agent_sub = UserFactory(username="agent_l2", role="partner", partner=sub, team=None)
    return type("Channel", (), {"top": top, "sub": sub, "agent": agent, "agent_sub": agent_sub, "manager": manager})


@pytest.fixture
def pwave(org):
    survey = survey_create_from_template(actor=org.users.admin, template="partner", code="dealers")
    survey.status = SurveyStatus.ACTIVE
    survey.save(update_fields=["status"])
    return WaveFactory(survey=survey, name="2026")


def partner_answer(wave, user, *, nps=3, index=None):
    inv = Invitation.objects.create(wave=wave, partner_user=user, partner=user.partner, token=f"tok-{user.pk}-{nps}")
    return ResponseFactory(wave=wave, invitation=inv, partner=user.partner, nps=nps, index=index,
                           answers={"PNPS": nps, "JOY": "返利太低，发货太慢"})


# -- a partner's low survey answer --------------------------------------------------

def test_a_partner_detractor_gives_the_channel_manager_one_task(org, channel, pwave, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    response = partner_answer(pwave, channel.agent)
    with django_capture_on_commit_callbacks(execute=True):
        submit(response)
    task = Task.objects.get()
    assert task.partner == channel.top and task.customer is None and task.assigned_to == channel.manager
    assert task.source == TaskSource.SURVEY and task.source_ref["response"] == response.pk
    assert task.status == TaskStatus.OPEN and task.due_on is not None
    # in the manager's language (English), naming the partner and the person (partner answers are not anonymous)
    assert task.title == "Follow up on the survey answers of the partner 华北一级代理"
    assert "王经理 of the partner L1 华北一级代理 answered" in task.description
    assert "3 of 10 — a detractor" in task.description
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["north@example.com"]
    # sent again: no second task, no second mail
    with django_capture_on_commit_callbacks(execute=True):
        submit(response)
    assert Task.objects.count() == 1 and len(mailoutbox) == 1


def test_the_task_is_in_the_assignees_language(org, channel, pwave):
    channel.manager.language = "zh-hans"
    channel.manager.save()
    submit(partner_answer(pwave, channel.agent, nps=1))
    task = Task.objects.get()
    assert "华北一级代理" in task.title and "Follow up" not in task.title


def test_a_sub_partner_goes_to_the_manager_above_else_the_survey_creator(org, channel, pwave):
    submit(partner_answer(pwave, channel.agent_sub))
    assert Task.objects.get(partner=channel.sub).assigned_to == channel.manager   # the level-1 agent's manager
    channel.top.manager = None
    channel.top.save()
    Task.objects.all().delete()
    submit(partner_answer(WaveFactory(survey=pwave.survey, name="2027"), channel.agent_sub, nps=2))
    assert Task.objects.get(partner=channel.sub).assigned_to == pwave.survey.created_by == org.users.admin


def test_a_glad_partner_or_a_low_index_by_the_surveys_threshold(org, channel, pwave):
    submit(partner_answer(pwave, channel.agent, nps=9, index=80))
    assert not Task.objects.exists()
    submit(partner_answer(pwave, channel.agent_sub, nps=8, index=40))     # below follow_up_below (60)
    assert Task.objects.get().source_ref["reasons"] == ["low_index"]


def test_a_partner_survey_that_follows_up_as_a_case_still_makes_a_task(org, channel, pwave):
    pwave.survey.follow_up_as = "case"
    pwave.survey.save()
    submit(partner_answer(pwave, channel.agent))
    assert Task.objects.get().partner == channel.top


def test_an_employee_response_sets_off_nothing(org, channel):
    survey = survey_create_from_template(actor=org.users.admin, template="employee", code="staff")
    wave = WaveFactory(survey=survey, name="2026")
    inv = Invitation.objects.create(wave=wave, employee=org.users.sales_n1, token="emp-1")
    submit(ResponseFactory(wave=wave, invitation=inv, nps=0, index=5))
    assert not Task.objects.exists()


# -- who sees and works the task ------------------------------------------------------

def test_partner_users_never_see_the_task_and_others_by_role(org, channel, pwave, client_for, api_as):  # noqa: F811
    submit(partner_answer(pwave, channel.agent))
    task = Task.objects.get()
    u = org.users
    for viewer in (u.admin, u.hq_manager, u.analyst, channel.manager, u.east_manager):
        assert task_list(viewer=viewer, scope="all").filter(pk=task.pk).exists(), viewer
        assert task_get(viewer=viewer, pk=task.pk) == task
    for viewer in (channel.agent, channel.agent_sub, u.sales_n1, u.north_service, u.north_marketing):
        assert not task_list(viewer=viewer, scope="all").filter(pk=task.pk).exists(), viewer
        with pytest.raises(Http404):
            task_get(viewer=viewer, pk=task.pk)
    assert api_as(channel.agent).get(f"/api/v1/tasks/{task.pk}").status_code in (403, 404)
    # the manager's page shows the partner's answers; the partner's own page shows no task to its user
    html = client_for(channel.manager).get(reverse("task_detail", args=[task.pk])).content.decode()
    assert "The partner's answers" in html and "返利太低" in html and 'data-testid="task-partner"' in html
    html = client_for(channel.agent).get(reverse("partner_detail", args=[channel.top.pk])).content.decode()
    assert 'data-testid="partner-tasks"' not in html and task.title not in html
    # who works it: the assignee and those who manage partners; analysts read only
    assert task_may_change(viewer=channel.manager, task=task) and task_may_change(viewer=u.east_manager, task=task)
    assert not task_may_change(viewer=u.analyst, task=task)
    # it cannot go to someone who may not see it
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        task_update(actor=u.admin, task=task, data={"assigned_to": u.sales_n1})
    task_complete(actor=channel.manager, task=task, outcome="谈过了，返利下季度调整")
    assert Task.objects.get().status == TaskStatus.DONE


def test_seeing_every_task_about_no_customer_is_not_reading_the_partners_tasks(org, channel, pwave):
    """Head office's service agent sees every personal task, but a task about a partner only
    when it may read the partners' tasks; the administrator sees both kinds."""
    from kehu.engagement.services import task_create

    submit(partner_answer(pwave, channel.agent))
    about_partner = Task.objects.get()
    personal = task_create(actor=org.users.sales_e1, customer=None, data={"title": "整理名片"})
    hq_service = UserFactory(username="hq_service", role="service_agent", team=org.teams.hq)
    seen = set(task_list(viewer=hq_service, scope="all").values_list("pk", flat=True))
    assert personal.pk in seen and about_partner.pk not in seen
    assert {personal.pk, about_partner.pk} <= set(task_list(viewer=org.users.admin, scope="all")
                                                  .values_list("pk", flat=True))


def test_the_partner_page_and_the_task_list_show_the_task(org, channel, pwave, client_for):
    submit(partner_answer(pwave, channel.agent))
    task = Task.objects.get()
    html = client_for(channel.manager).get(reverse("partner_detail", args=[channel.top.pk])).content.decode()
    assert 'data-testid="partner-tasks"' in html and task.title in html
    html = client_for(org.users.north_service).get(reverse("partner_detail", args=[channel.top.pk])).content.decode()
    assert 'data-testid="partner-tasks"' not in html      # service agents read partners, not their tasks
    html = client_for(channel.manager).get(reverse("task_list")).content.decode()
    assert task.title in html and reverse("partner_detail", args=[channel.top.pk]) in html


def test_the_task_export_names_the_partner(org, channel, pwave):
    from kehu.imports.exports import TASK_HEADERS, task_rows

    submit(partner_answer(pwave, channel.agent))
    rows = list(task_rows(viewer=channel.manager, scope="all"))
    assert rows[0] == TASK_HEADERS
    column = TASK_HEADERS.index("partner_code")
    assert [r[column] for r in rows[1:]] == [channel.top.code]


def test_the_api_shows_and_filters_by_the_partner(org, channel, pwave, api_as):  # noqa: F811
    submit(partner_answer(pwave, channel.agent))
    submit(partner_answer(pwave, channel.agent_sub))
    api = api_as(channel.manager)
    r = api.get("/api/v1/tasks", {"partner_id": channel.sub.pk})
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert item["partner_id"] == channel.sub.pk and item["customer_id"] is None
    detail = api.get(f"/api/v1/tasks/{item['id']}").json()
    assert detail["partner_id"] == channel.sub.pk and any(a["question"] == "PNPS" for a in detail["answers"])


# -- a partner behind its target ------------------------------------------------------

@pytest.fixture
def targets(org, channel):
    """Q4 2026 targets: the level-1 agent has sold 300 of 1,000, the level-2 agent 800 of 1,000."""
    q4 = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    for partner, sold in ((channel.top, "300"), (channel.sub, "800")):
        PartnerTarget.objects.create(partner=partner, period_start=q4[0], period_end=q4[1], revenue=Decimal("1000"))
        customer = CustomerFactory(owner=org.users.sales_n1, partner=partner)
        order = OrderFactory(customer=customer, order_date=dt.date(2026, 10, 20),
                             lines=[{"quantity": 1, "unit_price": sold, "unit_cost": "0"}])
        type(order).objects.filter(pk=order.pk).update(partner=partner)
    cancelled = OrderFactory(customer=customer, order_date=dt.date(2026, 10, 21),
                             lines=[{"quantity": 1, "unit_price": "5000", "unit_cost": "0"}])
    type(cancelled).objects.filter(pk=cancelled.pk).update(partner=channel.top, status="cancelled")
    return q4


def test_a_partner_behind_its_target_gets_one_task(org, channel, targets, mailoutbox,
                                                  django_capture_on_commit_callbacks):
    day = dt.date(2026, 11, 30)      # 61 of 92 days gone: behind below 0.7 x 66% = 46%
    with django_capture_on_commit_callbacks(execute=True):
        result = partner_check(day=day)
    assert (result.checked, result.behind, result.created) == (2, ["L1"], 1)
    task = Task.objects.get()
    assert task.source == TaskSource.PARTNER and task.partner == channel.top and task.customer is None
    assert task.assigned_to == channel.manager and task.due_on == day + dt.timedelta(days=7)
    assert task.title == "华北一级代理 is behind its target"
    assert "300.00 against its revenue target of 1,000.00" in task.description and "30% of the target" in task.description
    assert len(mailoutbox) == 1
    # the next night: no second task while it is open, nor for the same period after it is done
    assert partner_check(day=day + dt.timedelta(days=1)).created == 0
    task_complete(actor=channel.manager, task=task, outcome="已沟通")
    again = partner_check(day=day + dt.timedelta(days=2))
    assert (again.created, again.already) == (0, 1) and Task.objects.count() == 1


def test_too_early_in_the_period_nobody_is_behind(org, channel, targets):
    assert partner_check(day=dt.date(2026, 10, 15)).behind == []
    assert not Task.objects.exists()


def test_the_thresholds_are_settings(org, channel, targets, settings):
    settings.KEHU_PARTNER_BEHIND_RATIO = 0.3
    assert partner_check(day=dt.date(2026, 11, 30)).behind == []


def test_kehu_partner_check(org, channel, targets, capsys):
    assert main(["partner", "check", "--date", "2026-11-30"]) == 0
    out = capsys.readouterr().out
    assert "2 targets checked, 1 partners behind (L1), 1 new tasks" in out
    assert main(["partner", "check", "--date", "30.11.2026"]) == 2
    assert Task.objects.filter(source=TaskSource.PARTNER).count() == 1


def test_the_check_runs_every_night(org, channel, targets, monkeypatch):
    from kehu import jobs
    from kehu.partners import followup, tasks

    assert "kehu.partners.tasks" in jobs.TASK_MODULES
    times = [dt.datetime(2026, 12, 7) + dt.timedelta(minutes=10 * k) for k in range(6 * 24)]
    due = [t for t in times if any(isinstance(task, tasks.partner_check_nightly.task_class)
                                   for task in jobs.huey.read_periodic(t))]
    assert due == [dt.datetime(2026, 12, 7, 1, 40)]
    monkeypatch.setattr(followup.timezone, "localdate", lambda: dt.date(2026, 11, 30))
    assert tasks.partner_check_nightly.call_local()["behind"] == ["L1"]
