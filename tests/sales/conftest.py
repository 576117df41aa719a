"""Fixtures for opportunities: the seeded default pipeline and a product line."""

from __future__ import annotations

import pytest

from kehu.sales.models import Pipeline, ProductLine


@pytest.fixture
def pipeline(db):
    return Pipeline.objects.get(is_default=True)


@pytest.fixture
def line(db):
    return ProductLine.objects.create(code="steel", name="Steel")


def stage(pipeline, code):
    return pipeline.stages.get(code=code)
