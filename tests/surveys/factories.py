"""Factories of the survey analysis tests: waves, responses with answers,
benchmarks and improvement actions, made directly through the models (the
answer page belongs to the distribution part)."""

from __future__ import annotations

import factory
from django.utils import timezone

from kehu.surveys.models import (
    Answer, Benchmark, ImprovementAction, Response, ResponseStatus, Wave, WaveStatus,
)


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    name = factory.Sequence(lambda n: f"2026 Q{n % 4 + 1} #{n}")
    status = WaveStatus.CLOSED


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    status = ResponseStatus.COMPLETE
    submitted_at = factory.LazyFunction(timezone.now)


class BenchmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Benchmark

    name = factory.Sequence(lambda n: f"Competitor {n}")
    value = 80.0


class ImprovementActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImprovementAction

    title = factory.Sequence(lambda n: f"Action {n}")


def respond(wave: Wave, answers: dict, *, customer=None, nps: int | None = None,
            status=ResponseStatus.COMPLETE) -> Response:
    """One response of ``customer`` in ``wave`` with ``{question code: answer}``."""
    response = ResponseFactory(wave=wave, customer=customer, status=status, nps=nps)
    add_answers(response, answers)
    return response


def add_answers(response: Response, answers: dict, questions: dict | None = None) -> None:
    """Store ``{question code: answer}`` on ``response``: numbers for scored
    items, a value or list of values for choices, a string for text.
    ``questions`` (code → Question) spares the look-up when making many."""
    if questions is None:
        questions = {q.code: q for q in response.wave.survey.questions.all()}
    for code, value in answers.items():
        q = questions[code]
        if isinstance(value, (int, float)):
            Answer.objects.create(response=response, question=q, number=value)
        elif isinstance(value, list):
            Answer.objects.create(response=response, question=q, choices=value)
        elif q.kind == "single":
            Answer.objects.create(response=response, question=q, choices=[value])
        else:
            Answer.objects.create(response=response, question=q, text=value)
