"""The demo company's satisfaction surveys: the ACSI survey (with a 0–10
recommendation question added, for the NPS) and the seeds' natural-gas
example, each with two closed waves of believable answers from the demo's
customers (:func:`kehu.surveys.simulate.fill_wave`; the later wave a little
better), a benchmark and an improvement action, so the Results, Model
results and Report tabs have content from the first login."""

from __future__ import annotations

import datetime as dt
import random

DEMO_SURVEYS = ("huaxin-acsi", "huaxin-csi")
RESPONSES_PER_WAVE = 220


def build_surveys(*, admin, customers: list, today: dt.date, seed: int, marketing=None) -> None:
    from kehu.surveys import texts
    from kehu.surveys.models import (
        Benchmark, ImprovementAction, Question, QuestionKind, Survey, SurveyStatus, Wave, WaveStatus,
    )
    from kehu.surveys.services.definitions import survey_create_from_template
    from kehu.surveys.simulate import fill_wave

    if Survey.objects.filter(code__in=DEMO_SURVEYS).exists():
        return
    rnd = random.Random(seed)
    acsi = survey_create_from_template(actor=admin, template="acsi", code="huaxin-acsi")
    position = acsi.questions.filter(code="CL3").values_list("position", flat=True).first() or 0
    acsi.questions.filter(position__gt=position).update(position=models_f("position") + 1)
    Question.objects.create(
        survey=acsi, code="NPS", kind=QuestionKind.NPS, position=position + 1, required=True,
        text=texts.make("您有多大可能向同行或朋友推荐华信钢材？（0 = 完全不可能，10 = 非常可能）",
                        "How likely are you to recommend Huaxin Steel to a colleague or friend? "
                        "(0 = not at all likely, 10 = extremely likely)"))
    gas = survey_create_from_template(actor=admin, template="natural-gas", code="huaxin-csi")
    for survey in (acsi, gas):
        Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.ACTIVE)
    halves = [(today - dt.timedelta(days=200), today - dt.timedelta(days=170), "2025 H2", 0.0),
              (today - dt.timedelta(days=30), today - dt.timedelta(days=3), "2026 H1", 0.3)]
    pool = [c for c in customers]
    for k, survey in enumerate((acsi, gas)):
        waves = []
        for j, (opens, closes, name, shift) in enumerate(halves):
            wave = Wave.objects.create(survey=survey, name=name, status=WaveStatus.CLOSED, opens_on=opens,
                                       closes_on=closes, created_by=admin,
                                       sample_design={"population": len(pool), "size": RESPONSES_PER_WAVE,
                                                      "confidence": 0.95, "margin": 0.065, "proportion": 0.5,
                                                      "seed": seed * 100 + k * 10 + j})
            sample = rnd.sample(pool, min(len(pool), RESPONSES_PER_WAVE))
            start = dt.datetime.combine(opens, dt.time(9), tzinfo=dt.timezone(dt.timedelta(hours=8)))
            fill_wave(wave=wave, n=len(sample), seed=seed * 100 + k * 10 + j, customers=sample, shift=shift,
                      submitted_from=start, days=(closes - opens).days)
            waves.append(wave)
        Benchmark.objects.create(survey=survey, name="行业最佳 Industry best", value=84.0,
                                 source="中国钢铁流通协会 2025 (demo figure)")
    timeliness = gas.indicators.get(code="repair_timeliness")
    supply = gas.indicators.get(code="supply")
    Benchmark.objects.create(survey=gas, indicator=supply, name="主要竞争对手 Main competitor", value=79.0,
                             source="demo")
    from kehu.surveys.analysis import survey_results

    first = survey_results(viewer=admin, survey=gas, wave=Wave.objects.get(survey=gas, name="2025 H2"),
                           bootstrap=0, use_cache=False)
    ImprovementAction.objects.create(
        survey=gas, indicator=timeliness, title="维修响应时限缩短到24小时 Repairs within 24 hours",
        owner=marketing or admin, due_on=today - dt.timedelta(days=40), status="done",
        baseline_wave=Wave.objects.get(survey=gas, name="2025 H2"),
        baseline=first["index"].get("repair_timeliness"), target=85.0)


def models_f(name):
    from django.db.models import F

    return F(name)


def delete_surveys() -> None:
    from kehu.surveys.models import Survey

    Survey.objects.filter(code__in=DEMO_SURVEYS).delete()
