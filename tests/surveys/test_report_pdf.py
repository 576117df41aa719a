"""The CSI report as a PDF: Chinese text renders (it can be extracted again)
and the font embedded is Noto Sans CJK (fonts-noto-cjk)."""

import io
import re

import pytest
from pypdf import PdfReader

from kehu.surveys.report import report_pdf
from kehu.surveys.simulate import fill_wave
from tests.surveys.factories import BenchmarkFactory, ImprovementActionFactory, WaveFactory


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont")))
    return names


@pytest.mark.slow
def test_the_report_pdf_in_chinese_embeds_noto_cjk(org, gas):
    w1 = WaveFactory(survey=gas, name="2025年下半年")
    fill_wave(wave=w1, n=40, seed=1)
    w2 = WaveFactory(survey=gas, name="2026年上半年")
    fill_wave(wave=w2, n=40, seed=2, shift=0.5)
    supply = gas.indicators.get(code="supply")
    BenchmarkFactory(survey=gas, name="行业最佳", value=86)
    ImprovementActionFactory(survey=gas, indicator=supply, title="加强管网压力巡检", baseline=70, target=80,
                             baseline_wave=w1)
    pdf = report_pdf(viewer=org.users.admin, survey=gas, wave=w2, language="zh-hans")
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert re.search(r"[\u4e00-\u9fff]", text)
    for phrase in ("供气质量", "行业最佳", "加强管网压力巡检"):
        assert phrase in text, phrase
    assert any(re.search(r"Noto.?Sans.?CJK", name) for name in _fonts(reader)), _fonts(reader)


@pytest.mark.slow
def test_the_report_pdf_in_english(org, gas):
    fill_wave(wave=WaveFactory(survey=gas), n=30, seed=4)
    reader = PdfReader(io.BytesIO(report_pdf(viewer=org.users.admin, survey=gas, language="en")))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Gas supply quality" in text and "Objectives" in text
