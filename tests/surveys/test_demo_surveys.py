"""The demo company ships two surveys with two closed waves of answers, and
they go with the demo company."""

import pytest

from kehu.demo import generator
from kehu.surveys.analysis import survey_results
from kehu.surveys.models import Response, Survey

pytestmark = pytest.mark.django_db


def test_demo_surveys_have_results_and_go_with_the_demo():
    generator.demo_create(seed=5, customers=80)
    acsi = Survey.objects.get(code="huaxin-acsi")
    gas = Survey.objects.get(code="huaxin-csi")
    assert list(acsi.waves.order_by("opens_on").values_list("name", "status")) == [("2025 H2", "closed"),
                                                                                   ("2026 H1", "closed")]
    from kehu.org.models import User

    admin = User.objects.get(username="admin")
    r = survey_results(viewer=admin, survey=acsi, use_cache=False, bootstrap=20)
    assert r["n"] == 80 and r["nps"] is not None and "SAT->CL" in r["paths"] and len(r["trend"]) == 2
    g = survey_results(viewer=admin, survey=gas, use_cache=False, bootstrap=0)
    assert g["csi"] is not None and g["benchmarks"] and g["actions"][0]["baseline"] is not None
    # deterministic: the same seed gives the same answers
    before = sorted(Response.objects.filter(wave__survey=gas).values_list("index", flat=True))
    generator.demo_delete()
    assert not Survey.objects.filter(code__in=["huaxin-acsi", "huaxin-csi"]).exists()
    generator.demo_create(seed=5, customers=80)
    assert sorted(Response.objects.filter(wave__survey__code="huaxin-csi").values_list("index", flat=True)) == before
