"""Closing the loop: what a submitted response sets off (attitude, follow-up
task), tested by sending ``response_submitted`` with factory-made responses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.engagement.models import Task, TaskSource, TaskStatus
from kehu.surveys.attitude import response_attitude
from kehu.surveys.models import CustomerAttitude
from kehu.surveys.services.definitions import survey_create_from_template
from kehu.surveys.services.loop import team_manager, working_day_due
from tests.factories import CustomerFactory
from tests.surveys.loop_factories import ResponseFactory, WaveFactory, submit

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def nps(org):
    return survey_create_from_template(actor=org.users.admin, template="nps", code="nps-loop")


@pytest.fixture
def wave(nps):
    return WaveFactory(survey=nps, name="2026 Q4")


def detractor(wave, customer, score=3, **kw):
    return ResponseFactory(wave=wave, customer=customer, nps=score, index=None,
                           answers={"NPS": score, "AREA": "service", "FIX": "送货太慢，电话没人接"}, **kw)


def test_a_detractor_creates_one_task_for_the_owner(org, customers, wave, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    owner = org.users.sales_n1
    owner.email = "n1@example.com"
    owner.save()
    response = detractor(wave, customers.n1)
    with django_capture_on_commit_callbacks(execute=True):
        submit(response)
    task = Task.objects.get()
    assert task.assigned_to == owner and task.customer == customers.n1 and task.status == TaskStatus.OPEN
    assert task.source == TaskSource.SURVEY and task.source_ref["response"] == response.pk
    assert task.source_ref["reasons"] == ["detractor"]
    assert task.due_on == working_day_due(response.submitted_at)
    assert customers.n1.name in task.title and "3 of 10" in task.description
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["n1@example.com"]
    assert task.title in mailoutbox[0].subject and f"/tasks/{task.pk}/" in mailoutbox[0].body
    # the same response sent again (a retried submission) makes no second task, no second mail
    with django_capture_on_commit_callbacks(execute=True):
        submit(response)
    assert Task.objects.count() == 1 and len(mailoutbox) == 1


def test_a_satisfied_promoter_creates_no_task_and_sets_the_attitude(org, customers, wave):
    response = ResponseFactory(wave=wave, customer=customers.n1, nps=9, index=None, answers={"NPS": 9})
    submit(response)
    assert not Task.objects.exists()
    attitude = CustomerAttitude.objects.get(customer=customers.n1)
    assert attitude.score == 90 and attitude.response == response
    assert attitude.measured_at == response.submitted_at


@pytest.mark.parametrize("score, followed_up", [(6, True), (7, False)])
def test_the_detractor_boundary_is_six(org, customers, wave, score, followed_up):
    # Reichheld (2003): detractors answer 0–6, passives 7–8. A score of 6 is
    # followed up, 7 is not (a mutant with `< 6` survived the suite before).
    submit(ResponseFactory(wave=wave, customer=customers.n1, nps=score, index=None, answers={"NPS": score}))
    assert Task.objects.exists() is followed_up


def test_detractors_are_not_followed_up_when_the_survey_says_so(org, customers, wave, nps):
    nps.follow_up_detractors = False
    nps.save()
    submit(detractor(wave, customers.n1))
    assert not Task.objects.exists()
    assert CustomerAttitude.objects.get(customer=customers.n1).score == 30


def test_a_low_index_creates_a_task_and_the_index_is_the_attitude(org, customers, gas):
    wave = WaveFactory(survey=gas)
    low = ResponseFactory(wave=wave, customer=customers.e1, index=44.0, answers={"Q1": 2, "Q2": 3})
    submit(low)
    task = Task.objects.get()
    assert task.assigned_to == org.users.sales_e1 and task.source_ref["reasons"] == ["low_index"]
    assert "44 of 100" in task.description
    # the natural-gas survey asks no loyalty question: the attitude is the index
    assert CustomerAttitude.objects.get(customer=customers.e1).score == 44.0
    ok = ResponseFactory(wave=wave, customer=customers.n1, index=gas.follow_up_below, answers={"Q1": 4})
    submit(ok)
    assert Task.objects.count() == 1  # at the threshold is not below it


def test_the_attitude_is_the_mean_of_the_loyalty_items(org, customers):
    acsi = survey_create_from_template(actor=org.users.admin, template="acsi", code="acsi-loop")
    wave = WaveFactory(survey=acsi)
    # loyalty items CL1..CL3 on 1–10: (x − 1)/9·100; SAT1 is not a loyalty item
    r = ResponseFactory(wave=wave, customer=customers.n1, index=70.0, answers={"CL1": 10, "CL2": 1, "CL3": 7.75,
                                                                               "SAT1": 2})
    assert response_attitude(r) == pytest.approx((100 + 0 + 75) / 3)
    submit(r)
    assert CustomerAttitude.objects.get(customer=customers.n1).score == pytest.approx(58.33, abs=0.01)


def test_an_older_response_does_not_overwrite_a_newer_attitude(org, customers, wave):
    submit(ResponseFactory(wave=wave, customer=customers.n1, nps=10, answers={"NPS": 10}))
    old = ResponseFactory(wave=wave, customer=customers.n1, nps=8, answers={"NPS": 8},
                          submitted_at=timezone.now() - dt.timedelta(days=30))
    submit(old)
    assert CustomerAttitude.objects.get(customer=customers.n1).score == 100


def test_without_an_active_owner_the_team_manager_follows_up(org, customers, wave):
    owner = org.users.sales_n1
    owner.is_active = False
    owner.save()
    # North sales 1 has no manager of its own: the north region's manager answers for it
    assert team_manager(owner) == org.users.north_manager
    submit(detractor(wave, customers.n1))
    assert Task.objects.get().assigned_to == org.users.north_manager


def test_a_customer_without_owner_or_team_falls_back_to_the_survey_creator(org, wave):
    orphan = CustomerFactory(name="无人负责的客户", owner=None)
    submit(detractor(wave, orphan))
    assert Task.objects.get().assigned_to == org.users.admin  # who created the survey


def test_the_task_is_written_in_the_owner_language(org, customers, wave):
    owner = org.users.sales_e1
    owner.language = "zh-hans"
    owner.save()
    submit(detractor(wave, customers.e1, score=2))
    task = Task.objects.get()
    assert task.title == f"跟进{customers.e1.name}的调查答卷"
    assert "2" in task.description and "贬损者" in task.description


def test_responses_without_customer_or_incomplete_set_off_nothing(org, customers, wave):
    submit(ResponseFactory(wave=wave, customer=None, nps=0, answers={"NPS": 0}))
    submit(ResponseFactory(wave=wave, customer=customers.n1, nps=0, status="partial", answers={"NPS": 0}))
    assert not Task.objects.exists() and not CustomerAttitude.objects.exists()


@pytest.mark.parametrize("local,due", [
    (dt.datetime(2026, 11, 23, 9, 0), dt.date(2026, 11, 23)),    # Monday morning: today
    (dt.datetime(2026, 11, 23, 16, 0), dt.date(2026, 11, 24)),   # Monday after 15:00: Tuesday
    (dt.datetime(2026, 11, 23, 14, 59, 59), dt.date(2026, 11, 23)),  # just before the cut-off: today
    (dt.datetime(2026, 11, 23, 15, 0), dt.date(2026, 11, 24)),   # at 15:00 exactly: "before 15:00" no longer holds
    (dt.datetime(2026, 11, 27, 18, 0), dt.date(2026, 11, 30)),   # Friday evening: Monday
    (dt.datetime(2026, 11, 28, 10, 0), dt.date(2026, 11, 30)),   # Saturday: Monday
])
def test_follow_ups_are_due_the_same_or_next_working_day(local, due, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert working_day_due(local.replace(tzinfo=TZ)) == due


@pytest.mark.parametrize("template", ["acsi", "natural-gas", "nps"])
def test_a_submission_computes_the_attitude_in_memory_as_from_the_stored_answers(org, customers, template):
    """The answer page passes the answers it holds to the receiver (no read
    back); the attitude must be what the stored answers give: the loyalty
    items' mean (acsi, nps), else the index (natural gas)."""
    from kehu.surveys import selectors
    from kehu.surveys.definitions import SCALES
    from kehu.surveys.models import Invitation
    from kehu.surveys.services.distribution import response_record

    survey = survey_create_from_template(actor=org.users.admin, template=template, code=f"{template}-mem")
    wave = WaveFactory(survey=survey, status="open")
    invitation = Invitation.objects.create(wave=wave, customer=customers.n1, token="t" * 43)
    answers = {}
    for k, q in enumerate(selectors.questions(survey)):
        if q.kind in SCALES:
            lo, hi = SCALES[q.kind]
            answers[q.code] = lo + (3 * k + 1) % (hi - lo + 1)
        elif q.kind in ("single", "multiple") and q.options:
            value = q.options[0]["value"]
            answers[q.code] = [value] if q.kind == "multiple" else value
        else:
            answers[q.code] = "好"
    response = response_record(invitation=invitation, answers=answers, submit=True, check_open=False)
    expected = response_attitude(response)
    assert expected is not None
    stored = CustomerAttitude.objects.get(customer=customers.n1)
    assert stored.score == pytest.approx(round(expected, 2))
    assert stored.response_id == response.pk and stored.measured_at == response.submitted_at


def test_a_later_submission_replaces_the_attitude_in_one_upsert(org, customers, wave):
    first = ResponseFactory(wave=wave, customer=customers.n1, nps=2, answers={"NPS": 2},
                            submitted_at=timezone.now() - dt.timedelta(days=1))
    submit(first)
    later = ResponseFactory(wave=wave, customer=customers.n1, nps=9, answers={"NPS": 9})
    submit(later)
    attitude = CustomerAttitude.objects.get(customer=customers.n1)
    assert (attitude.score, attitude.response_id) == (90, later.pk)
    assert CustomerAttitude.objects.count() == 1


def test_team_manager_walks_up_past_inactive_managers_and_never_answers_for_oneself(org):
    from tests.factories import UserFactory

    u = org.users
    assert team_manager(None) is None
    assert team_manager(UserFactory(username="no_team", role="salesperson", team=None)) is None
    assert team_manager(u.sales_e1) == u.east_manager
    # a manager's own manager is the one above, never themselves
    assert team_manager(u.north_manager) == u.hq_manager
    assert team_manager(u.hq_manager) is None
    # an inactive manager is passed over for the next one up
    u.north_manager.is_active = False
    u.north_manager.save()
    assert team_manager(u.sales_n1) == u.hq_manager
    # several managers in one team: the lowest id
    second = UserFactory(username="north_manager_2", role="sales_manager", team=org.teams.north)
    u.north_manager.is_active = True
    u.north_manager.save()
    assert second.pk > u.north_manager.pk and team_manager(u.sales_n1) == u.north_manager


def test_the_follow_up_mail_in_full_in_the_assignees_language(org, customers, wave, mailoutbox, settings,
                                                              django_capture_on_commit_callbacks):
    from django.utils import translation
    from django.utils.translation import gettext

    settings.KEHU_BASE_URL = "https://crm.example.com/"
    owner = org.users.sales_n1
    owner.email, owner.language = "n1@example.com", "zh-hans"
    owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        submit(detractor(wave, customers.n1))
    task = Task.objects.get()
    with translation.override("zh-hans"):
        subject = gettext("New follow-up task: %(title)s") % {"title": task.title}
        due = gettext("Due: %(date)s") % {"date": task.due_on.isoformat()}
        link = gettext("Open the task: %(link)s") % {"link": f"https://crm.example.com/tasks/{task.pk}/"}
    assert "New follow-up task" not in subject      # the catalogue has it in Chinese
    [mail] = mailoutbox
    assert mail.to == ["n1@example.com"] and mail.subject == subject
    assert mail.body == "\n\n".join([task.description, due, link])


def test_no_mail_without_an_address_and_a_failed_mail_is_logged(org, customers, wave, mailoutbox, monkeypatch, caplog,
                                                                django_capture_on_commit_callbacks):
    from kehu.engagement import services   # the mail goes out through engagement.services.task_notify

    with django_capture_on_commit_callbacks(execute=True):
        submit(detractor(wave, customers.n1))          # sales_n1 has no e-mail address
    assert Task.objects.count() == 1 and mailoutbox == []

    def down(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(services, "send_mail", down)
    owner = org.users.sales_n1b
    owner.email = "n1b@example.com"
    owner.save()
    with caplog.at_level("ERROR", logger="kehu.engagement.services"):
        with django_capture_on_commit_callbacks(execute=True):
            submit(detractor(wave, customers.n1b))
    task = Task.objects.get(assigned_to=owner)       # the task is there all the same
    assert [r.getMessage() for r in caplog.records if r.name == "kehu.engagement.services"] == [
        f"could not e-mail task {task.pk} to n1b@example.com"]


def test_a_customer_without_owner_but_with_a_team_goes_to_that_teams_manager(org, customers, wave):
    from kehu.customers.models import Customer
    from kehu.surveys import texts

    Customer.objects.filter(pk=customers.n1.pk).update(owner=None, team=org.teams.north)
    customers.n1.refresh_from_db()
    submit(detractor(wave, customers.n1))
    task = Task.objects.get()
    assert task.assigned_to == org.users.north_manager
    # the task names the survey by its title in the task's language, not by its code
    title = texts.pick(wave.survey.title, "en")
    assert title and title != wave.survey.code and f"“{title}”" in task.description


# --- the follow-up task's texts, due date, links and log, exactly (mutation testing, docs/testing.md) ----------

SATURDAY_MORNING = dt.datetime(2026, 11, 28, 10, 0, tzinfo=TZ)   # due the Monday after


def _both_reasons(wave, customer):
    wave.survey.follow_up_below = 60
    wave.survey.save()
    return ResponseFactory(wave=wave, customer=customer, nps=3, index=44.4, submitted_at=SATURDAY_MORNING,
                           answers={"NPS": 3, "AREA": "service"})


def test_the_task_and_its_mail_word_for_word_in_english(org, customers, wave, mailoutbox, settings, caplog,
                                                        django_capture_on_commit_callbacks):
    from kehu.surveys import texts
    from kehu.surveys.services.loop import follow_up_create

    settings.KEHU_BASE_URL = "https://crm.example.com/"
    owner = org.users.sales_n1
    owner.email, owner.language = "n1@example.com", "en"
    owner.save()
    response = _both_reasons(wave, customers.n1)
    with caplog.at_level("WARNING", logger="kehu.surveys.services.loop"):
        with django_capture_on_commit_callbacks(execute=True):
            submit(response)
    assert [r for r in caplog.records if r.name == "kehu.surveys.services.loop"] == []   # it has an assignee
    task = Task.objects.get()
    survey_title = texts.pick(wave.survey.title, "en")
    assert survey_title and survey_title != wave.survey.code
    name = customers.n1.name
    assert task.title == f"Follow up on the survey answers of {name}"
    assert task.description == "\n".join([
        f"{name} answered the survey “{survey_title}” (2026 Q4).",
        "Likelihood to recommend: 3 of 10 — a detractor.",
        "Satisfaction index: 44 of 100 (follow-up below 60).",
        "Call the customer, listen, find out what went wrong, agree what we will do, and record the outcome. "
        "The answers are below.",
    ])
    assert task.due_on == dt.date(2026, 11, 30)                    # from the submission, not from today
    assert task.created_by is None and task.assigned_to == owner
    assert task.source_ref == {"response": response.pk, "survey": wave.survey_id, "reasons": ["detractor", "low_index"]}
    [mail] = mailoutbox
    assert mail.to == ["n1@example.com"]
    assert mail.subject == f"New follow-up task: Follow up on the survey answers of {name}"
    assert mail.body == "\n\n".join([task.description, "Due: 2026-11-30",
                                     f"Open the task: https://crm.example.com/tasks/{task.pk}/"])
    # a retried submission: the same task, not created again
    assert follow_up_create(response=response) == (task, False)


def test_the_task_in_chinese_when_the_assignee_has_no_language_of_their_own(org, customers, wave, settings):
    from kehu.surveys import texts

    settings.LANGUAGE_CODE = "zh-hans"
    owner = org.users.sales_e1
    owner.language = ""
    owner.save()
    submit(_both_reasons(wave, customers.e1))
    task = Task.objects.get()
    name = customers.e1.name
    assert task.title == f"跟进{name}的调查答卷"
    assert task.description == "\n".join([
        f"{name}回答了调查“{texts.pick(wave.survey.title, 'zh-hans')}”（2026 Q4）。",
        "推荐意愿：3 分（满分10分）——属于贬损者。",
        "满意度指数：44 分（满分100分；低于 60 分需跟进）。",
        "请致电客户，倾听意见，弄清问题所在，商定改进办法，并记录处理结果。客户的答卷见下方。",
    ])


def test_a_task_nobody_can_take_is_logged_and_left_unassigned(org, wave, caplog):
    from kehu.surveys.models import Survey

    Survey.objects.filter(pk=wave.survey_id).update(created_by=None)
    wave.survey.refresh_from_db()
    orphan = CustomerFactory(name="无人负责的客户", owner=None)
    response = detractor(wave, orphan)
    with caplog.at_level("WARNING", logger="kehu.surveys.services.loop"):
        submit(response)
    task = Task.objects.get()
    assert task.assigned_to is None
    assert [r.getMessage() for r in caplog.records if r.name == "kehu.surveys.services.loop"] == [
        f"follow-up task {task.pk} for response {response.pk} has nobody to assign it to"]


def test_follow_up_create_without_a_customer_or_a_reason_is_none_false(org, customers, wave):
    from kehu.surveys.services.loop import follow_up_create

    assert follow_up_create(response=ResponseFactory(wave=wave, customer=None, nps=0)) == (None, False)
    assert follow_up_create(response=ResponseFactory(wave=wave, customer=customers.n1, nps=9)) == (None, False)
    assert not Task.objects.exists()


def test_the_mail_of_a_task_without_due_date_or_gone_says_so(org, customers, mailoutbox):
    from kehu.engagement.models import Task as TaskModel
    from kehu.surveys.services.loop import _notify

    _notify(987654321)                                   # the task was deleted before the commit: nothing
    owner = org.users.sales_n1
    owner.email, owner.language = "n1@example.com", "en"
    owner.save()
    task = TaskModel.objects.create(customer=customers.n1, assigned_to=owner, title="Call back", description="Why",
                                    source=TaskSource.SURVEY, source_ref={"response": 1})
    _notify(task.pk)
    [mail] = mailoutbox
    assert mail.body == "\n\n".join(["Why", "Due: —", f"Open the task: /tasks/{task.pk}/"])


def test_the_attitude_from_answers_in_memory_needs_both_and_uses_the_surveys_likert_scores(org, customers, wave):
    """``attitude_record`` reads the stored answers unless it is given both the questions and the answers;
    given both, it scores them with the survey's own five-level scores."""
    from types import SimpleNamespace

    from kehu.surveys.services.loop import attitude_record

    wave.survey.likert_scores = {"5": 95, "4": 75, "3": 50, "2": 25, "1": 0}
    wave.survey.save()
    response = ResponseFactory(wave=wave, customer=customers.n1, nps=3, index=None, answers={"NPS": 3})
    loyal = [SimpleNamespace(code="L1", kind="likert5", construct_id=1, construct=SimpleNamespace(code="LOY"),
                             reverse=False)]
    assert attitude_record(response=response) == 30.0                               # stored: NPS 3 → 30
    assert attitude_record(response=response, questions=loyal, answers=None) == 30.0
    assert attitude_record(response=response, questions=None, answers={"L1": 5}) == 30.0
    assert attitude_record(response=response, questions=loyal, answers={"L1": 5}) == 95.0   # not the default 100
    assert CustomerAttitude.objects.get(customer=customers.n1).score == 95.0


def test_the_mail_link_keeps_the_base_urls_own_path(org, customers, mailoutbox, settings):
    from kehu.engagement.models import Task as TaskModel
    from kehu.surveys.services.loop import _notify

    settings.KEHU_BASE_URL = "https://crm.example.com/KEHUX/"   # only the trailing slash goes
    owner = org.users.sales_n1
    owner.email, owner.language = "n1@example.com", "en"
    owner.save()
    task = TaskModel.objects.create(customer=customers.n1, assigned_to=owner, title="Call back", description="Why",
                                    source=TaskSource.SURVEY, source_ref={"response": 2})
    _notify(task.pk)
    assert mailoutbox[0].body.endswith(f"Open the task: https://crm.example.com/KEHUX/tasks/{task.pk}/")
