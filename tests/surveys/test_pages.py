"""The designer's pages: every page renders in both languages, readers read,
designers change, and the forms do what they say."""

import re

import pytest
from django.urls import reverse

from kehu.surveys.models import Indicator, Question, Survey, WeightMethod
from kehu.surveys.services.definitions import survey_create_from_template
from tests.surveys.conftest import add_responses

pytestmark = pytest.mark.django_db
LANGS = ["en", "zh-hans"]


@pytest.fixture
def acsi(org):
    return survey_create_from_template(actor=org.users.admin, template="acsi", code="acsi")


def page_urls(gas, acsi):
    supply = gas.indicators.get(code="supply")
    root = gas.indicators.get(code="csi")
    q = gas.questions.get(code="Q1")
    c = acsi.constructs.get(code="SAT")
    return [
        reverse("survey_list"),
        reverse("survey_list") + "?q=gas&status=draft&kind=customer",
        reverse("survey_detail", args=[gas.pk]),
        reverse("survey_detail", args=[acsi.pk]),
        reverse("survey_indicators", args=[gas.pk]),
        reverse("survey_indicators", args=[acsi.pk]),
        reverse("survey_ahp", args=[gas.pk, root.pk]),
        reverse("survey_questions", args=[gas.pk]),
        reverse("survey_model", args=[acsi.pk]),
        reverse("survey_preview", args=[gas.pk]) + "?lang=zh-hans",
        reverse("survey_preview", args=[gas.pk]) + "?lang=en",
        reverse("survey_preview", args=[acsi.pk]),
    ], [
        reverse("survey_create"),
        reverse("survey_create") + "?template=natural-gas",
        reverse("survey_import"),
        reverse("survey_edit", args=[gas.pk]),
        reverse("survey_copy", args=[gas.pk]),
        reverse("survey_delete", args=[gas.pk]),
        reverse("survey_load", args=[gas.pk]),
        reverse("survey_indicator_create", args=[gas.pk]) + f"?parent={supply.pk}",
        reverse("survey_indicator_edit", args=[gas.pk, supply.pk]),
        reverse("survey_indicator_delete", args=[gas.pk, supply.pk]),
        reverse("survey_question_create", args=[gas.pk]),
        reverse("survey_question_edit", args=[gas.pk, q.pk]),
        reverse("survey_question_delete", args=[gas.pk, q.pk]),
        reverse("survey_construct_create", args=[acsi.pk]),
        reverse("survey_construct_edit", args=[acsi.pk, c.pk]),
        reverse("survey_construct_delete", args=[acsi.pk, c.pk]),
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_designer_pages_render_in_both_languages(client, org, gas, acsi, lang):
    user = org.users.north_marketing
    user.language = lang
    user.save()
    client.force_login(user)
    reads, writes = page_urls(gas, acsi)
    for url in reads + writes:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{lang}"' in response.content.decode(), url


def test_readers_read_but_do_not_design(client, org, gas, acsi):
    reads, writes = page_urls(gas, acsi)
    for username in ("analyst", "sales_n1", "north_manager"):
        client.force_login(getattr(org.users, username))
        for url in reads:
            assert client.get(url).status_code == 200, (username, url)
        for url in writes:
            assert client.get(url).status_code == 403, (username, url)
        html = client.get(reverse("survey_detail", args=[gas.pk])).content.decode()
        assert reverse("survey_edit", args=[gas.pk]) not in html
        r = client.post(reverse("survey_status", args=[gas.pk]), {"status": "archived"})
        assert r.status_code == 403
    gas.refresh_from_db()
    assert gas.status == "draft"


def test_anonymous_is_sent_to_log_in(client, gas):
    r = client.get(reverse("survey_list"))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_missing_survey_is_404(client, org):
    client.force_login(org.users.admin)
    assert client.get(reverse("survey_detail", args=[999999])).status_code == 404


def test_chinese_pages_speak_chinese(client, org, gas):
    org.users.admin.language = "zh-hans"
    org.users.admin.save()
    client.force_login(org.users.admin)
    html = client.get(reverse("survey_indicators", args=[gas.pk])).content.decode()
    for phrase in ("指标体系", "供气质量", "供气压力", "权重", "层次分析法", "保存权重"):
        assert phrase in html, phrase
    for english in ("Save weights", "Gas supply quality", "Global weight"):
        assert english not in html, english
    preview = client.get(reverse("survey_preview", args=[gas.pk]) + "?lang=en").content.decode()
    assert "How satisfied are you with the steadiness of the gas pressure" in preview
    assert "Very satisfied" in preview and "预览" in preview


def test_preview_in_each_language(client, org, gas):
    client.force_login(org.users.sales_n1)
    zh = client.get(reverse("survey_preview", args=[gas.pk]) + "?lang=zh-hans").content.decode()
    assert "天然气供气服务顾客满意度调查" in zh and "较满意" in zh and "不满意" in zh and "提交" in zh
    en = client.get(reverse("survey_preview", args=[gas.pk]) + "?lang=en").content.decode()
    assert "Natural gas service customer satisfaction survey" in en and "Very dissatisfied" in en
    assert re.search(r'id="item-Q4"[^>]*data-condition="[^"]*&quot;question&quot;: &quot;Q3&quot;', en)
    assert client.get(reverse("survey_preview", args=[gas.pk]) + "?lang=fr").status_code == 404


def test_list_with_empty_state_and_template_picker(client, org):
    client.force_login(org.users.north_marketing)
    html = client.get(reverse("survey_list")).content.decode()
    assert "There are no surveys yet." in html and "?template=natural-gas" in html
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("survey_list")).content.decode()
    assert "design the surveys" in html and "?template=" not in html


def test_create_from_a_template_and_blank(client, org):
    client.force_login(org.users.north_marketing)
    r = client.post(reverse("survey_create"), {"start": "natural-gas", "code": "gas-2026", "kind": "customer"})
    survey = Survey.objects.get(code="gas-2026")
    assert r.status_code == 302 and r["Location"] == reverse("survey_detail", args=[survey.pk])
    assert survey.questions.count() == 11 and survey.created_by == org.users.north_marketing
    r = client.post(reverse("survey_create"), {"start": "", "code": "gas-2026", "kind": "customer"})
    html = r.content.decode()
    assert "A blank survey needs a title." in html and "already exists" not in html
    r = client.post(reverse("survey_create"), {"start": "", "code": "gas-2026", "kind": "customer",
                                               "title_en": "Blank"})
    assert "A survey with the code gas-2026 already exists." in r.content.decode()
    client.post(reverse("survey_create"), {"start": "", "code": "blank", "kind": "employee", "title_zh": "空白"})
    assert Survey.objects.get(code="blank").title == {"zh-hans": "空白"}


def test_edit_texts_and_settings(client, org, gas):
    client.force_login(org.users.hq_manager)
    data = {"title_zh": "燃气服务调查", "title_en": "", "description_zh": "", "description_en": "",
            "intro_zh": "", "intro_en": "Hello", "thanks_zh": "", "thanks_en": "", "kind": "customer",
            "satisfied_from": 75, "follow_up_below": 50, "resurvey_days": 30}
    r = client.post(reverse("survey_edit", args=[gas.pk]), data)
    assert r.status_code == 302
    gas.refresh_from_db()
    assert gas.title == {"zh-hans": "燃气服务调查"} and gas.intro == {"en": "Hello"}
    assert (gas.satisfied_from, gas.follow_up_below, gas.follow_up_detractors, gas.resurvey_days) == (75, 50, False, 30)
    r = client.post(reverse("survey_edit", args=[gas.pk]), dict(data, title_zh="", satisfied_from=120))
    html = r.content.decode()
    assert "Give the text in Chinese, in English, or in both." in html and "less than or equal to 100" in html


def test_manual_weights_page(client, org, gas):
    client.force_login(org.users.admin)
    supply = gas.indicators.get(code="supply")
    kids = {k.code: k for k in supply.children.all()}
    r = client.post(reverse("survey_weights", args=[gas.pk, supply.pk]),
                    {"method": "manual", f"w-{kids['pressure'].pk}": "3", f"w-{kids['gas_quality'].pk}": "1"},
                    follow=True)
    html = r.content.decode()
    assert "summed to 4; they were scaled to sum 1" in html
    assert dict(supply.children.values_list("code", "weight")) == {"pressure": 0.75, "gas_quality": 0.25}
    r = client.post(reverse("survey_weights", args=[gas.pk, supply.pk]),
                    {"method": "manual", f"w-{kids['pressure'].pk}": "-3", f"w-{kids['gas_quality'].pk}": "1"},
                    follow=True)
    assert "A weight is a number of 0 or more." in r.content.decode()


def test_ahp_check_fragment_and_save(client, org, gas):
    client.force_login(org.users.admin)
    root = gas.indicators.get(code="csi")
    url = reverse("survey_ahp_check", args=[gas.pk, root.pk])
    html = client.post(url, {"a-0-1": "3", "a-0-2": "5", "a-1-2": "2"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="ahp-cr"' in html and "Consistent" in html
    html = client.post(url, {"a-0-1": "9", "a-0-2": "1/9", "a-1-2": "9"}).content.decode()
    assert "Not consistent enough" in html and "most inconsistent judgement" in html
    r = client.post(reverse("survey_ahp", args=[gas.pk, root.pk]), {"a-0-1": "3", "a-0-2": "5", "a-1-2": "2"})
    assert r.status_code == 302
    root.refresh_from_db()
    assert root.child_weight_method == WeightMethod.AHP and root.ahp["cr"] < 0.1
    r = client.post(reverse("survey_ahp", args=[gas.pk, root.pk]), {"a-0-1": "9", "a-0-2": "1/9", "a-1-2": "9"})
    assert r.status_code == 200 and 'data-testid="ahp-error"' in r.content.decode()
    html = client.get(reverse("survey_ahp", args=[gas.pk, root.pk])).content.decode()
    assert '<option value="3" selected>' in html  # the saved judgements come back


def test_questions_add_edit_move_and_delete(client, org, gas):
    client.force_login(org.users.admin)
    leaf = gas.indicators.get(code="pressure")
    base = {"text_zh": "", "text_en": "How loud is the meter?", "help_zh": "", "help_en": "", "required": "on",
            "options": "", "construct": "", "condition_question": "", "condition_op": "", "condition_value": ""}
    r = client.post(reverse("survey_question_create", args=[gas.pk]),
                    dict(base, code="Q12", kind="likert5", indicator=leaf.pk))
    assert r.status_code == 302
    q = gas.questions.get(code="Q12")
    assert q.indicator == leaf and q.position == 11
    r = client.post(reverse("survey_question_create", args=[gas.pk]),
                    dict(base, code="Q13", kind="text", indicator=leaf.pk))
    assert "Only scored questions" in r.content.decode()
    r = client.post(reverse("survey_question_create", args=[gas.pk]),
                    dict(base, code="Q13", kind="single", indicator="", options="a | 甲 | A"))
    assert "at least two options" in r.content.decode()
    r = client.post(reverse("survey_question_create", args=[gas.pk]),
                    dict(base, code="Q13", kind="text", indicator="", condition_question="Q12", condition_op="<=",
                         condition_value="2"))
    assert r.status_code == 302
    assert gas.questions.get(code="Q13").condition == {"question": "Q12", "op": "<=", "value": 2}
    # Q13 depends on Q12: it cannot move above it.
    q13 = gas.questions.get(code="Q13")
    r = client.post(reverse("survey_question_move", args=[gas.pk, q13.pk]), {"up": "1"}, follow=True)
    assert "Q13 is shown depending on Q12, so it must come after it." in r.content.decode()
    client.post(reverse("survey_question_move", args=[gas.pk, q.pk]), {"up": "1"})
    assert list(gas.questions.order_by("position").values_list("code", flat=True))[-3:] == ["Q12", "Q11", "Q13"]
    # Q12 cannot be deleted while Q13 depends on it.
    html = client.get(reverse("survey_question_delete", args=[gas.pk, q.pk])).content.decode()
    assert "Q13" in html and "change their conditions first" in html
    client.post(reverse("survey_question_delete", args=[gas.pk, q13.pk]))
    assert not gas.questions.filter(code="Q13").exists()


def test_scored_question_of_a_survey_with_answers_cannot_be_deleted(client, org, gas):
    add_responses(gas, [{"Q1": 5, "Q11": "Fine"}])
    client.force_login(org.users.admin)
    q1 = gas.questions.get(code="Q1")
    html = client.get(reverse("survey_question_delete", args=[gas.pk, q1.pk])).content.decode()
    assert 'data-testid="delete-refused"' in html and "scored question" in html
    client.post(reverse("survey_question_delete", args=[gas.pk, q1.pk]))
    assert gas.questions.filter(code="Q1").exists()
    q11 = gas.questions.get(code="Q11")
    html = client.get(reverse("survey_question_delete", args=[gas.pk, q11.pk])).content.decode()
    assert "This question has 1 answer; it is deleted with the question." in html
    client.post(reverse("survey_question_delete", args=[gas.pk, q11.pk]), {"confirm": "1"})
    assert not gas.questions.filter(code="Q11").exists()
    html = client.get(reverse("survey_delete", args=[gas.pk])).content.decode()
    assert "cannot be deleted; archive it instead" in html


def test_status_copy_export_import_and_delete(client, org, gas):
    client.force_login(org.users.admin)
    r = client.post(reverse("survey_status", args=[gas.pk]), {"status": "active"}, follow=True)
    assert "is in use" in r.content.decode()
    r = client.post(reverse("survey_copy", args=[gas.pk]), {"code": "gas-2027", "title_zh": "", "title_en": ""})
    copy = Survey.objects.get(code="gas-2027")
    assert r.status_code == 302 and copy.status == "draft" and copy.questions.count() == 11
    yaml_text = client.get(reverse("survey_export", args=[gas.pk]) + "?format=yaml").content.decode()
    assert yaml_text.startswith("# Kehu survey definition") and "供气压力" in yaml_text
    export = client.get(reverse("survey_export", args=[gas.pk]) + "?format=json")
    assert export["Content-Disposition"] == 'attachment; filename="gas.json"'
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("gas.yaml", yaml_text.replace("code: gas\n", "code: gas-file\n").encode())
    r = client.post(reverse("survey_import"), {"file": upload, "code": ""})
    assert r.status_code == 302 and Survey.objects.filter(code="gas-file").exists()
    bad = SimpleUploadedFile("bad.yaml", b"code: x\ntitle: {en: X}\nquestions:\n  - {code: Q1, kind: nope}\n")
    r = client.post(reverse("survey_import"), {"file": bad, "code": ""})
    html = r.content.decode()
    assert "line 4, questions[0].kind" in html and "The file was not loaded" in html
    r = client.post(reverse("survey_delete", args=[copy.pk]))
    assert r.status_code == 302 and not Survey.objects.filter(code="gas-2027").exists()
    r = client.post(reverse("survey_status", args=[gas.pk]), {"status": "archived"})
    html = client.get(reverse("survey_questions", args=[gas.pk])).content.decode()
    assert "This survey is archived" in html and reverse("survey_question_create", args=[gas.pk]) not in html


def test_indicator_add_and_delete(client, org, gas):
    client.force_login(org.users.admin)
    reading = gas.indicators.get(code="reading")
    r = client.post(reverse("survey_indicator_create", args=[gas.pk]),
                    {"parent": reading.pk, "code": "hall", "name_zh": "营业厅", "name_en": "Service hall"})
    assert r.status_code == 302
    hall = gas.indicators.get(code="hall")
    assert hall.level == 3 and hall.weight == pytest.approx(0.25)
    assert sum(reading.children.values_list("weight", flat=True)) == pytest.approx(1)
    pressure = gas.indicators.get(code="pressure")
    r = client.post(reverse("survey_indicator_create", args=[gas.pk]),
                    {"parent": pressure.pk, "code": "x", "name_zh": "", "name_en": "X"})
    assert "measured by the questions Q1" in r.content.decode()
    r = client.post(reverse("survey_indicator_delete", args=[gas.pk, hall.pk]))
    assert not Indicator.objects.filter(code="hall").exists()
    assert sorted(reading.children.values_list("weight", flat=True)) == pytest.approx([0.3, 0.3, 0.4])


def test_model_page_adds_and_removes_paths(client, org, acsi):
    client.force_login(org.users.admin)
    cc, pv = acsi.constructs.get(code="CC"), acsi.constructs.get(code="PV")
    r = client.post(reverse("survey_path_create", args=[acsi.pk]), {"source": cc.pk, "target": pv.pk}, follow=True)
    assert "would close a loop" in r.content.decode()
    path = acsi.paths.get(source__code="CC", target__code="CL")
    client.post(reverse("survey_path_delete", args=[acsi.pk, path.pk]))
    assert not acsi.paths.filter(pk=path.pk).exists()
    r = client.post(reverse("survey_construct_create", args=[acsi.pk]),
                    {"code": "IMG", "mode": "A", "name_zh": "形象", "name_en": "Image"})
    assert r.status_code == 302 and acsi.constructs.filter(code="IMG").exists()


def test_saaty_drinks_through_the_page(client, org):
    """Saaty (2008) drinks matrix entered on the AHP page: priorities .177 .019
    .042 .116 .190 .129 .327 and CR ≈ .022 (tests/surveys/test_weights.py)."""
    from tests.surveys.test_weights import DRINKS, DRINKS_MATRIX, SAATY_PRIORITIES
    from kehu.surveys.services.definitions import indicator_create, survey_create

    admin = org.users.admin
    survey = survey_create(actor=admin, code="drinks", title={"en": "Drinks"})
    root = indicator_create(actor=admin, survey=survey, parent=None, code="all", name={"en": "All"})
    for code, en, zh in DRINKS:
        indicator_create(actor=admin, survey=survey, parent=root, code=code, name={"en": en, "zh-hans": zh})
    upper = {f"a-{i}-{j}": str(DRINKS_MATRIX[i][j]) for i in range(7) for j in range(i + 1, 7)}
    client.force_login(org.users.north_marketing)
    html = client.post(reverse("survey_ahp_check", args=[survey.pk, root.pk]), upper).content.decode()
    assert re.search(r'data-testid="ahp-cr">0\.022<', html)
    for (code, _en, _zh), p in zip(DRINKS, SAATY_PRIORITIES):
        assert re.search(rf'data-testid="ahp-weight-{code}">{p:.3f}<', html), code
    r = client.post(reverse("survey_ahp", args=[survey.pk, root.pk]), upper)
    assert r.status_code == 302
    html = client.get(reverse("survey_indicators", args=[survey.pk])).content.decode()
    assert "CR = 0.022" in html and 'aria-label="Weight of Water"' in html and 'value="0.3268"' in html
    html = client.get(reverse("survey_ahp", args=[survey.pk, root.pk])).content.decode()
    assert '<span id="r-2-1">3</span>' in html  # tea vs wine came back


def test_the_list_costs_the_same_for_more_surveys(client, org, django_assert_max_num_queries):
    client.force_login(org.users.analyst)
    for name in ("nps", "acsi", "employee"):
        survey_create_from_template(actor=org.users.admin, template=name, code=name)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("survey_list")).status_code == 200
    for name in ("servqual", "ecsi", "natural-gas"):
        survey_create_from_template(actor=org.users.admin, template=name, code=name)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("survey_list")).content.decode()
    assert html.count('class="badge status-draft"') == 6
