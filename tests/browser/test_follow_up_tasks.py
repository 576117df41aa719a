"""A detractor's answers reach the customer's owner as a task: they see it on
the dashboard and the Tasks page, open it, read the answers, and complete it
with an outcome that is logged on the customer's timeline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.engagement.models import Interaction, Task, TaskStatus
from kehu.surveys.services.definitions import survey_create_from_template
from tests.browser.conftest import log_in
from tests.surveys.loop_factories import ResponseFactory, WaveFactory, submit

pytestmark = pytest.mark.browser


def test_a_detractor_becomes_a_task_the_owner_completes(page, org, customers):
    survey = survey_create_from_template(actor=org.users.admin, template="nps", code="nps-2026")
    wave = WaveFactory(survey=survey, name="2026 Q4")
    submit(ResponseFactory(wave=wave, customer=customers.n1, nps=3, index=None,
                           answers={"NPS": 3, "AREA": "delivery", "FIX": "送货总是晚两天，电话也没人接"}))
    task = Task.objects.get()

    log_in(page, "sales_n1")
    expect(page.get_by_test_id("kpi-tasks")).to_contain_text("1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    table = page.get_by_test_id("task-table")
    expect(table).to_contain_text("北方钢铁贸易有限公司")
    table.get_by_role("link", name=task.title).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(task.title)
    answers = page.get_by_test_id("answers")
    expect(answers).to_contain_text("送货总是晚两天，电话也没人接")
    expect(answers).to_contain_text("Delivery")
    expect(answers).to_contain_text("3 / 10")

    page.get_by_label("Outcome").fill("已致电道歉，下周起改由专线配送")
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text(f"Task done: {task.title}")).to_be_visible()
    expect(page.get_by_text("You have no open tasks.")).to_be_visible()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.outcome == "已致电道歉，下周起改由专线配送"
    assert Interaction.objects.filter(customer=customers.n1, summary=task.outcome).exists()

    # the outcome is on the customer's timeline
    page.goto(f"/customers/{customers.n1.pk}/")
    expect(page.locator("#timeline")).to_contain_text("已致电道歉，下周起改由专线配送")
    expect(page.locator("#tasks")).to_contain_text("No open tasks for this customer.")
