"""The Results, Model results, Benchmarks and Report tabs in both languages,
their exports and who may do what."""

import io

import pytest
from django.urls import reverse

from kehu.surveys.models import Benchmark
from kehu.surveys.services.definitions import survey_create_from_template
from kehu.surveys.simulate import fill_wave
from tests.factories import CustomerFactory
from tests.surveys.factories import BenchmarkFactory, WaveFactory


@pytest.fixture
def gas_two_waves(org, gas):
    north = [CustomerFactory(owner=org.users.sales_n1, region="north") for _ in range(12)]
    east = [CustomerFactory(owner=org.users.sales_e1, region="east") for _ in range(12)]
    w1 = WaveFactory(survey=gas, name="2025 H2")
    fill_wave(wave=w1, n=24, seed=1, customers=north + east)
    w2 = WaveFactory(survey=gas, name="2026 H1")
    fill_wave(wave=w2, n=24, seed=2, customers=north + east, shift=0.4)
    BenchmarkFactory(survey=gas, name="行业最佳 Industry best", value=88)
    return gas, w1, w2


@pytest.mark.parametrize("language, words", [("en", ["Satisfaction rate", "Index per indicator", "Breakdown",
                                                     "Gas supply quality", "Trend"]),
                                             ("zh-hans", ["满意率", "供气质量", "顾客满意度指数"])])
def test_results_page_in_both_languages(client_for, org, gas_two_waves, language, words):
    gas, w1, w2 = gas_two_waves
    client = client_for(org.users.admin)
    client.cookies["django_language"] = language
    r = client.get(reverse("survey_results", args=[gas.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 200
    body = r.content.decode()
    for w in words:
        assert w in body, w
    assert 'data-testid="csi-tree"' in body and "2026 H1" in body


def test_results_of_a_salesperson_cover_their_customers(client_for, org, gas_two_waves):
    gas, w1, w2 = gas_two_waves
    body = client_for(org.users.sales_n1).get(reverse("survey_results", args=[gas.pk])).content.decode()
    assert "only the customers you look after" in body
    r = client_for(org.users.sales_n1).get(reverse("survey_results", args=[gas.pk]), {"by": "owner"})
    assert "sales_e1" not in r.content.decode()


def test_empty_state_without_responses(client_for, org, gas):
    r = client_for(org.users.admin).get(reverse("survey_results", args=[gas.pk]))
    assert r.status_code == 200 and 'data-testid="no-results"' in r.content.decode()
    r = client_for(org.users.admin).get(reverse("survey_model_results", args=[gas.pk]))
    assert "no structural model" in r.content.decode()
    r = client_for(org.users.admin).get(reverse("survey_report", args=[gas.pk]))
    assert r.status_code == 200 and "No wave of this survey has responses yet" in r.content.decode()


def test_an_unknown_wave_is_404(client_for, org, gas_two_waves):
    gas, *_ = gas_two_waves
    assert client_for(org.users.admin).get(reverse("survey_results", args=[gas.pk]), {"wave": "nope"}).status_code == 404


def test_model_results_page(client_for, org):
    acsi = survey_create_from_template(actor=org.users.admin, template="acsi", code="acsi")
    fill_wave(wave=WaveFactory(survey=acsi), n=80, seed=3)
    body = client_for(org.users.admin).get(reverse("survey_model_results", args=[acsi.pk])).content.decode()
    assert 'data-testid="paths"' in body and "CE-&gt;PQ" in body and "Cronbach" in body


def test_exports(client_for, org, gas_two_waves):
    from openpyxl import load_workbook

    gas, w1, w2 = gas_two_waves
    client = client_for(org.users.admin)
    r = client.get(reverse("survey_results_export", args=[gas.pk]), {"format": "xlsx", "wave": w2.pk})
    wb = load_workbook(io.BytesIO(r.content))
    assert {"Summary", "Indicators", "Drivers", "Breakdowns", "Trend"} <= set(wb.sheetnames)
    assert wb["Indicators"]["A2"].value == "csi"
    r = client.get(reverse("survey_results_export", args=[gas.pk]), {"format": "csv"})
    text = r.content.decode("utf-8-sig")
    assert "Indicators" in text and "pressure" in text and r["Content-Type"].startswith("text/csv")


def test_benchmarks_crud_by_a_designer(client_for, org, gas_two_waves):
    gas, w1, w2 = gas_two_waves
    client = client_for(org.users.admin)
    supply = gas.indicators.get(code="supply")
    url = reverse("survey_benchmark_create", args=[gas.pk])
    r = client.post(url, {"name": "华润燃气", "indicator": supply.pk, "value": 101, "wave": "", "source": ""})
    assert r.status_code == 200 and "100" in r.content.decode()  # the value is out of range
    r = client.post(url, {"name": "华润燃气", "indicator": supply.pk, "value": 84.5, "wave": w2.pk, "source": "年报"})
    assert r.status_code == 302
    b = Benchmark.objects.get(name="华润燃气")
    assert b.indicator == supply and b.wave == w2
    assert "华润燃气" in client.get(reverse("survey_benchmarks", args=[gas.pk])).content.decode()
    r = client.post(reverse("survey_benchmark_edit", args=[gas.pk, b.pk]),
                    {"name": "华润燃气", "indicator": "", "value": 80, "wave": "", "source": ""})
    b.refresh_from_db()
    assert b.indicator is None and b.value == 80
    confirm = client.get(reverse("survey_benchmark_delete", args=[gas.pk, b.pk]))
    assert "Delete the benchmark" in confirm.content.decode()
    client.post(reverse("survey_benchmark_delete", args=[gas.pk, b.pk]))
    assert not Benchmark.objects.filter(pk=b.pk).exists()


def test_salespeople_and_analysts_may_not_change_benchmarks(client_for, org, gas_two_waves):
    gas, *_ = gas_two_waves
    b = Benchmark.objects.get(survey=gas)
    for user in (org.users.sales_n1, org.users.analyst):
        client = client_for(user)
        assert client.get(reverse("survey_benchmarks", args=[gas.pk])).status_code == 200
        assert client.get(reverse("survey_benchmark_create", args=[gas.pk])).status_code == 403
        assert client.post(reverse("survey_benchmark_delete", args=[gas.pk, b.pk])).status_code == 403
    assert Benchmark.objects.filter(pk=b.pk).exists()


def test_report_page(client_for, org, gas_two_waves):
    gas, *_ = gas_two_waves
    body = client_for(org.users.admin).get(reverse("survey_report", args=[gas.pk])).content.decode()
    for section in ("Objectives", "Indicators and weights", "Sample", "Results", "Drivers and priorities",
                    "Benchmarks", "Improvement actions", "Download the PDF"):
        assert section in body, section
    assert "data:image/svg+xml;base64," in body


@pytest.mark.parametrize("template", ["nps", "employee", "servqual", "ecsi", "complaint-return-visit"])
def test_every_template_has_a_results_page_and_report(client_for, org, template):
    survey = survey_create_from_template(actor=org.users.admin, template=template, code=f"t-{template}")
    fill_wave(wave=WaveFactory(survey=survey), n=40, seed=7)
    client = client_for(org.users.admin)
    for name in ("survey_results", "survey_model_results", "survey_report"):
        r = client.get(reverse(name, args=[survey.pk]))
        assert r.status_code == 200, (name, r.status_code)
        assert "None%" not in r.content.decode()
    if template == "nps":
        assert "Net Promoter Score" in client.get(reverse("survey_results", args=[survey.pk])).content.decode()


def test_report_charts_are_drawn_once_per_wave_and_language(client_for, org, gas_two_waves, monkeypatch):
    """The report's charts are cached by the figures they draw and the language: a second
    visit draws nothing, another language or new answers draw again."""
    from kehu.surveys import report

    gas, w1, w2 = gas_two_waves
    drawn = []
    real = report.render_svg
    monkeypatch.setattr(report, "render_svg", lambda spec, **kw: drawn.append(kw["language"]) or real(spec, **kw))
    client = client_for(org.users.admin)
    url = reverse("survey_report", args=[gas.pk])
    first = client.get(url).content.decode()
    assert drawn and "data:image/svg+xml;base64," in first
    count = len(drawn)
    assert client.get(url).content.decode().count("data:image/svg+xml") == first.count("data:image/svg+xml")
    assert len(drawn) == count, "a second visit draws nothing"
    client.get(url, {"wave": w1.name})
    assert len(drawn) > count, "another wave has its own charts"
    count = len(drawn)
    client.cookies["kehu_language"] = "zh-hans"
    client.get(url)
    assert "zh-hans" in drawn[count:], "another language draws its own"
    count = len(drawn)
    fill_wave(wave=w2, n=10, seed=5, customers=None)  # new answers: new figures
    client.cookies["kehu_language"] = "en"
    client.get(url)
    assert len(drawn) > count
