"""The tasks pages: the list (mine, my team's), filters, sorting and pages,
one task with the survey answers, completing and cancelling, adding a task
from the 360 page, the 360 panel and the dashboard count — in English and
Chinese, and only for those who may see the customer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.engagement.models import Interaction, Task, TaskStatus
from kehu.engagement.services import task_create
from kehu.surveys.services.definitions import survey_create_from_template
from tests.surveys.loop_factories import ResponseFactory, WaveFactory, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(org, customers):
    u = org.users
    survey = survey_create_from_template(actor=u.admin, template="nps", code="nps-tasks")
    wave = WaveFactory(survey=survey, name="2026 Q4")
    response = ResponseFactory(wave=wave, customer=customers.n1, nps=2, index=None,
                               answers={"NPS": 2, "AREA": "delivery", "FIX": "送货总是晚两天"})
    submit(response)
    follow_up = Task.objects.get(source="survey")
    today = timezone.localdate()
    overdue = task_create(actor=u.sales_n1, customer=customers.n1,
                          data={"title": "Send the overdue quote", "due_on": today - dt.timedelta(days=3)})
    east = task_create(actor=u.sales_e1, customer=customers.e1, data={"title": "Visit 华东机械", "due_on": today})
    return follow_up, overdue, east


def test_my_open_tasks_by_default_with_overdue_highlighted(client_for, org, tasks):
    follow_up, overdue, east = tasks
    html = client_for(org.users.sales_n1).get(reverse("task_list")).content.decode()
    assert follow_up.title in html and overdue.title in html and east.title not in html
    assert 'class="overdue"' in html and "Overdue" in html
    # due soonest first: the overdue one before the follow-up due today or tomorrow
    assert html.index(overdue.title) < html.index(follow_up.title)
    assert 'value="team"' not in html  # a salesperson has no team view


def test_tasks_page_in_chinese(client_for, org, tasks):
    client = client_for(org.users.sales_n1)
    client.cookies["kehu_language"] = "zh-hans"
    org.users.sales_n1.language = "zh-hans"
    org.users.sales_n1.save()
    html = client.get(reverse("task_list")).content.decode()
    assert "待办" in html and "已逾期" in html and "调查答卷" not in html  # the title is in the language it was made in
    html = client.get(reverse("task_detail", args=[tasks[0].pk])).content.decode()
    assert "客户的答卷" in html and "送货总是晚两天" in html and "交付与物流" in html


def test_a_salesperson_cannot_see_another_team_s_tasks(client_for, org, tasks):
    follow_up, overdue, east = tasks
    client = client_for(org.users.sales_n1)
    for name in ("task_detail", "task_complete", "task_cancel", "task_edit"):
        assert client.get(reverse(name, args=[east.pk])).status_code == 404
    html = client.get(reverse("task_list"), {"scope": "all", "status": "all"}).content.decode()
    assert east.title not in html
    # nor another salesperson's customer's tasks in the same team
    assert client_for(org.users.sales_n1b).get(reverse("task_detail", args=[follow_up.pk])).status_code == 404
    assert client_for(org.users.north_manager).get(reverse("task_detail", args=[east.pk])).status_code == 404


def test_managers_see_their_team_s_tasks(client_for, org, tasks):
    follow_up, overdue, east = tasks
    client = client_for(org.users.north_manager)
    html = client.get(reverse("task_list")).content.decode()
    assert follow_up.title not in html  # mine by default: nothing is assigned to the manager
    html = client.get(reverse("task_list"), {"scope": "team"}).content.decode()
    assert follow_up.title in html and overdue.title in html and east.title not in html
    html = client_for(org.users.hq_manager).get(reverse("task_list"), {"scope": "team"}).content.decode()
    assert east.title in html and follow_up.title in html


def test_filters_and_sorting(client_for, org, tasks):
    follow_up, overdue, east = tasks
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("task_list"), {"source": "survey"}).content.decode()
    assert follow_up.title in html and overdue.title not in html
    html = client.get(reverse("task_list"), {"due": "overdue"}).content.decode()
    assert overdue.title in html and follow_up.title not in html
    html = client.get(reverse("task_list"), {"sort": "-due"}).content.decode()
    assert html.index(follow_up.title) < html.index(overdue.title)
    html = client.get(reverse("task_list"), {"status": "done"}).content.decode()
    assert "No tasks match these filters." in html


def test_the_list_pages(client_for, org, customers):
    for i in range(30):
        task_create(actor=org.users.sales_n1, customer=customers.n1, data={"title": f"Task {i:02d}"})
    client = client_for(org.users.sales_n1)
    response = client.get(reverse("task_list"), {"sort": "created"})
    page = response.context["page"]
    assert len(page.items) == 25 and page.has_next
    html = client.get(reverse("task_list"), {"sort": "created", "cursor": page.next_cursor}).content.decode()
    assert "Task 29" in html and "Task 00" not in html


def test_the_task_page_shows_the_answers_and_completes_with_an_outcome(client_for, org, tasks):
    follow_up = tasks[0]
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("task_detail", args=[follow_up.pk])).content.decode()
    assert "送货总是晚两天" in html and "Delivery" in html and "2 / 10" in html
    assert reverse("task_complete", args=[follow_up.pk]) in html
    # an outcome is required
    response = client.post(reverse("task_complete", args=[follow_up.pk]), {"outcome": " ", "channel": "phone"})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = client.post(reverse("task_complete", args=[follow_up.pk]),
                           {"outcome": "道歉并承诺本周内补发", "log_interaction": "on", "channel": "phone"})
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == TaskStatus.DONE and follow_up.outcome == "道歉并承诺本周内补发"
    assert follow_up.completed_at is not None
    it = Interaction.objects.get(customer=follow_up.customer)
    assert it.summary == "道歉并承诺本周内补发" and it.user == org.users.sales_n1 and it.subject == follow_up.title
    assert AuditEvent.objects.filter(entity="task", entity_id=follow_up.pk, action="complete").exists()
    # a closed task cannot be completed again
    response = client.post(reverse("task_complete", args=[follow_up.pk]), {"outcome": "again"})
    assert response.status_code == 302
    assert "This task is already closed." in client.get(response.url).content.decode()


def test_cancelling_asks_first(client_for, org, tasks):
    overdue = tasks[1]
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("task_cancel", args=[overdue.pk])).content.decode()
    assert "Cancel the task" in html and 'method="post"' in html
    overdue.refresh_from_db()
    assert overdue.status == TaskStatus.OPEN
    client.post(reverse("task_cancel", args=[overdue.pk]), {"reason": "客户已自行下单"})
    overdue.refresh_from_db()
    assert overdue.status == TaskStatus.CANCELLED and overdue.outcome == "客户已自行下单"


def test_read_only_roles_see_but_cannot_change(client_for, org, tasks):
    follow_up = tasks[0]
    client = client_for(org.users.analyst)
    html = client.get(reverse("task_detail", args=[follow_up.pk])).content.decode()
    assert "送货总是晚两天" in html and reverse("task_complete", args=[follow_up.pk]) not in html
    assert client.post(reverse("task_complete", args=[follow_up.pk]), {"outcome": "x"}).status_code == 403
    assert client.get(reverse("task_create", args=[follow_up.customer_id])).status_code == 403


def test_add_a_task_from_the_360_page(client_for, org, customers, tasks):
    client = client_for(org.users.north_manager)
    c = customers.n1
    html = client.get(reverse("customer_detail", args=[c.pk])).content.decode()
    assert 'id="tasks"' in html and tasks[0].title in html and reverse("task_create", args=[c.pk]) in html
    form = client.get(reverse("task_create", args=[c.pk])).content.decode()
    # only people who may see the customer are offered: sales_n1 (owner), not sales_n1b
    assert "sales_n1<" in form and "sales_n1b" not in form
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(reverse("task_create", args=[c.pk]), {
        "title": "年度回访", "description": "带上新价格表", "due_on": due, "assigned_to": org.users.sales_n1.pk})
    assert response.status_code == 302 and response.url.endswith("#tasks")
    task = Task.objects.get(title="年度回访")
    assert task.assigned_to == org.users.sales_n1 and task.created_by == org.users.north_manager
    assert task.source == "manual" and task.due_on.isoformat() == due
    # someone who may not see the customer cannot be given the task
    response = client.post(reverse("task_create", args=[c.pk]), {"title": "x", "assigned_to": org.users.sales_n1b.pk})
    assert response.status_code == 200 and Task.objects.filter(title="x").count() == 0
    # another team's customer: 404
    assert client.get(reverse("task_create", args=[customers.e1.pk])).status_code == 404


def test_the_dashboard_counts_my_open_tasks(client_for, org, tasks):
    html = client_for(org.users.sales_n1).get(reverse("home")).content.decode()
    assert 'data-testid="kpi-tasks"' in html and "My open tasks" in html and "1 overdue" in html


def test_an_overdue_improvement_action_is_listed_on_its_owner_s_tasks(client_for, org):
    from kehu.surveys.models import ImprovementAction

    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    action = ImprovementAction.objects.create(
        survey=gas, indicator=gas.indicators.get(code="repair_timeliness"), title="缩短抢修响应时间",
        owner=org.users.sales_n1, due_on=timezone.localdate() - dt.timedelta(days=1))
    html = client_for(org.users.sales_n1).get(reverse("task_list")).content.decode()
    assert "My overdue improvement actions" in html and action.title in html
    assert action.title not in client_for(org.users.sales_e1).get(reverse("task_list")).content.decode()


def test_open_tasks_follow_the_customer_to_its_new_owner(org, customers, tasks):
    from kehu.customers.services import customer_reassign_bulk, customer_update

    follow_up, overdue, east = tasks
    overdue.status = TaskStatus.DONE
    overdue.save()
    customer_reassign_bulk(actor=org.users.north_manager, from_owner=org.users.sales_n1,
                           to_owner=org.users.sales_n1b)
    follow_up.refresh_from_db()
    overdue.refresh_from_db()
    assert follow_up.assigned_to == org.users.sales_n1b  # open: moved
    assert overdue.assigned_to == org.users.sales_n1  # done: stays in the old owner's record
    customer_update(actor=org.users.east_manager, customer=customers.e1, data={"owner": org.users.east_manager})
    east.refresh_from_db()
    assert east.assigned_to == org.users.east_manager
