"""Fixtures for opportunities: the default pipeline (seeded by the data migration; seeded
again here when a transactional test flushed it) and a product line."""

from __future__ import annotations

import importlib

import pytest

from kehu.sales.models import LostReason, Pipeline, ProductLine, Stage


def seed_default_pipeline() -> Pipeline:
    seed = importlib.import_module("kehu.sales.migrations.0006_seed_pipeline")
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        pipeline = Pipeline.objects.create(name_zh="销售流程", name_en="Sales pipeline", is_default=True)
        for position, (code, zh, en, probability, outcome) in enumerate(seed.STAGES):
            Stage.objects.create(pipeline=pipeline, code=code, name_zh=zh, name_en=en, position=position,
                                 probability=probability, outcome=outcome)
    for position, (code, zh, en) in enumerate(seed.LOST_REASONS):
        LostReason.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en, "position": position})
    return pipeline


@pytest.fixture
def pipeline(db):
    return seed_default_pipeline()


@pytest.fixture
def line(db):
    return ProductLine.objects.create(code="steel", name="Steel")


def stage(pipeline, code):
    return pipeline.stages.get(code=code)
