"""Fixtures for the survey tests: surveys made from the shipped templates,
and waves with answers built through the models (the answer page and the
imports belong to the distribution part and are tested there)."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from kehu.surveys.models import Response, ResponseStatus, Wave
from kehu.surveys.services.definitions import survey_create_from_template
from tests.surveys.factories import add_answers

_waves = itertools.count(1)


@pytest.fixture
def designer(org):
    """A marketing user of the north region: designs surveys, sees few customers."""
    return org.users.north_marketing


@pytest.fixture
def gas(org):
    """The natural-gas template as a draft survey ``gas``."""
    return survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")


def add_responses(survey, rows: list[dict], *, wave: Wave | None = None, status=ResponseStatus.COMPLETE) -> Wave:
    """A wave of ``survey`` with one complete response per row of
    ``{question code: answer}`` (numbers for scored items, a value or list
    of values for choices, a string for text)."""
    if wave is None:
        wave = Wave.objects.create(survey=survey, name=f"Wave {next(_waves)}")
    questions = {q.code: q for q in survey.questions.all()}
    for row in rows:
        response = Response.objects.create(wave=wave, status=status, submitted_at=timezone.now())
        add_answers(response, row, questions)
    return wave
