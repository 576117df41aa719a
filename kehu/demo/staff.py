"""The demo company's employee satisfaction survey ("no satisfied customers
without satisfied staff", DOMAIN.md §5): staff without a Kehu login in every
team (warehouse keepers, drivers, the processing workshop, finance), one
closed wave "2026 H1" over the same weeks as the customers' latest wave,
answered by most of the company's employees. Each sales team's staff are a
little more or less satisfied as its customers are (plus noise), so the
page "Staff and customers" has a believable, not perfect, correlation. The
Hebei team (周强 and two drivers) has too few respondents: its row is
suppressed and it is left out of the correlation."""

from __future__ import annotations

import datetime as dt
import random

STAFF_SURVEY = "huaxin-staff"
# team key → staff without a login: (name, position)
STAFF = {
    "root": [("钱会计", "财务 Finance"), ("孙出纳", "财务 Finance"), ("冯采购", "采购 Purchasing"),
             ("韩行政", "行政 Administration")],
    "north": [("杜仓管", "仓管 Warehouse"), ("石司机", "司机 Driver"), ("罗司机", "司机 Driver")],
    "east": [("高仓管", "仓管 Warehouse"), ("梁司机", "司机 Driver"), ("宋加工", "加工 Workshop")],
    "bj": [("郭加工", "加工 Workshop"), ("马加工", "加工 Workshop"), ("胡司机", "司机 Driver"),
           ("朱仓管", "仓管 Warehouse"), ("林助理", "销售助理 Sales assistant"), ("何加工", "加工 Workshop")],
    "tj": [("谢加工", "加工 Workshop"), ("唐司机", "司机 Driver"), ("许仓管", "仓管 Warehouse"),
           ("邓助理", "销售助理 Sales assistant"), ("曹加工", "加工 Workshop")],
    "hb": [("彭司机", "司机 Driver"), ("曾司机", "司机 Driver")],
    "sh": [("肖加工", "加工 Workshop"), ("田司机", "司机 Driver"), ("董仓管", "仓管 Warehouse"),
           ("潘助理", "销售助理 Sales assistant"), ("袁加工", "加工 Workshop"), ("蔡加工", "加工 Workshop")],
    "js": [("蒋加工", "加工 Workshop"), ("余司机", "司机 Driver"), ("杜助理", "销售助理 Sales assistant"),
           ("叶仓管", "仓管 Warehouse"), ("程加工", "加工 Workshop")],
}


def build_staff_survey(b) -> None:
    """Staff, the employee survey and its answered wave for the builder ``b`` (kehu.demo.generator)."""
    from django.db.models import Avg

    from kehu.org.models import Employee
    from kehu.surveys.models import Invitation, Response, Survey, SurveyKind, SurveyStatus, Wave, WaveStatus
    from kehu.surveys.services import distribution as dist
    from kehu.surveys.services.definitions import survey_create_from_template
    from kehu.surveys.simulate import simulate_answers
    from kehu.surveys.staff.services import employees_invite

    if Survey.objects.filter(code=STAFF_SURVEY).exists():
        return
    rnd = random.Random(f"staff-{b.seed}")
    for key, people in STAFF.items():
        team = b.teams[key]
        Employee.objects.bulk_create([Employee(name=name, position=position, team=team,
                                               email=f"staff{team.pk}-{k}@huaxin-steel.example")
                                      for k, (name, position) in enumerate(people)])
    survey = survey_create_from_template(actor=b.admin, template="employee", code=STAFF_SURVEY)
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.ACTIVE)
    opens, closes = b.today - dt.timedelta(days=30), b.today - dt.timedelta(days=3)
    wave = Wave.objects.create(survey=survey, name="2026 H1", status=WaveStatus.OPEN, opens_on=opens,
                               closes_on=closes, created_by=b.admin)
    employees_invite(actor=b.admin, wave=wave, send=False)
    # how each team's customers rated Huaxin in the same weeks (the customer surveys' 2026 H1)
    by_team = dict(Response.objects.filter(wave__survey__kind=SurveyKind.CUSTOMER, wave__name="2026 H1",
                                           customer__isnull=False, index__isnull=False)
                   .values("customer__team_id").order_by().annotate(m=Avg("index"))
                   .values_list("customer__team_id", "m"))
    values = [v for v in by_team.values() if v is not None]
    mean = sum(values) / len(values) if values else 70.0
    sd = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 if len(values) > 1 else 1.0
    path_of = {t.pk: t.path for t in b.teams.values()}
    start = dt.datetime.combine(opens, dt.time(9), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    teams = sorted({inv.team_id for inv in Invitation.objects.filter(wave=wave)}, key=lambda t: path_of.get(t, ""))
    for k, team_id in enumerate(teams):
        invitations = list(Invitation.objects.filter(wave=wave, team_id=team_id).order_by("id"))
        # a few do not answer, except in the small Hebei team (all three do, and are still too few)
        answering = [inv for inv in invitations if len(invitations) <= 3 or rnd.random() < 0.9]
        level = by_team.get(team_id)
        shift = 0.2 + (0.8 * (level - mean) / sd if level is not None and sd else 0.0) + rnd.gauss(0, 0.3)
        rows = simulate_answers(survey, len(answering), seed=b.seed * 1000 + k, shift=shift)
        for inv, answers in zip(answering, rows):
            at = start + dt.timedelta(seconds=rnd.randint(0, (closes - opens).days * 86400))
            dist.response_record(invitation=inv, answers=answers, submit=True, submitted_at=at, check_open=False)
    Wave.objects.filter(pk=wave.pk).update(status=WaveStatus.CLOSED)


def delete_staff(teams) -> None:
    """The demo's employee survey and its staff without a login (before its teams go)."""
    from kehu.org.models import Employee
    from kehu.surveys.models import Survey

    Survey.objects.filter(code=STAFF_SURVEY).delete()
    Employee.objects.filter(team__in=teams).delete()
