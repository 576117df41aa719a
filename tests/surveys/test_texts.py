"""kehu.surveys.texts: the two-language texts of surveys."""

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from kehu.surveys import texts

BOTH = {"zh-hans": "您对供气压力满意吗？", "en": "How satisfied are you with the gas pressure?"}


@pytest.mark.parametrize("code,expected", [
    ("zh-hans", "zh-hans"), ("zh-cn", "zh-hans"), ("zh_Hans", "zh-hans"), ("zh", "zh-hans"),
    ("ZH-HANS", "zh-hans"), ("en", "en"), ("en-us", "en"), ("en_GB", "en"), ("fr", "en"),
])
def test_language_of(code, expected):
    assert texts.language_of(code) == expected


def test_language_of_nothing_is_the_active_language():
    with translation.override("zh-hans"):
        assert texts.language_of(None) == "zh-hans"
    with translation.override("en"):
        assert texts.language_of("") == "en"


def test_pick_in_the_asked_or_active_language():
    assert texts.pick(BOTH, "en") == BOTH["en"]
    assert texts.pick(BOTH, "zh-cn") == BOTH["zh-hans"]
    with translation.override("zh-hans"):
        assert texts.pick(BOTH) == BOTH["zh-hans"]
    with translation.override("en"):
        assert texts.pick(BOTH) == BOTH["en"]


def test_pick_falls_back_to_the_other_language_then_blank():
    assert texts.pick({"zh-hans": "满意度调查"}, "en") == "满意度调查"
    assert texts.pick({"en": "Survey", "zh-hans": "  "}, "zh-hans") == "Survey"
    assert texts.pick({}, "en") == ""
    assert texts.pick(None) == ""
    assert texts.pick("plain") == "plain"


def test_make_and_missing_languages():
    assert texts.make("满意", "Satisfied") == {"zh-hans": "满意", "en": "Satisfied"}
    assert texts.make(" 满意 ", "") == {"zh-hans": "满意"}
    assert texts.missing_languages({"zh-hans": "满意"}) == ["en"]
    assert texts.missing_languages({"zh-hans": "满意", "en": " "}) == ["en"]
    assert texts.missing_languages({}) == ["zh-hans", "en"]
    assert texts.is_complete(BOTH)


def test_clean_strips_orders_and_drops_blanks():
    assert texts.clean({"en": " A ", "zh-hans": " 甲 "}) == {"zh-hans": "甲", "en": "A"}
    assert list(texts.clean({"en": "A", "zh-hans": "甲"})) == ["zh-hans", "en"]
    assert texts.clean({"zh_Hans": "甲", "en": ""}) == {"zh-hans": "甲"}
    assert texts.clean({"zh-CN": "甲"}) == {"zh-hans": "甲"}
    assert texts.clean("供气质量") == {"zh-hans": "供气质量"}
    assert texts.clean("Gas quality") == {"en": "Gas quality"}
    assert texts.clean(None, required=False) == {}


def test_clean_refuses_with_messages_keyed_by_field():
    with pytest.raises(ValidationError) as e:
        texts.clean({"fr": "Bonjour"}, field="title")
    assert "title" in e.value.message_dict and "fr" in e.value.message_dict["title"][0]
    with pytest.raises(ValidationError) as e:
        texts.clean({"en": 3}, field="text")
    assert "English" in e.value.message_dict["text"][0]
    with pytest.raises(ValidationError) as e:
        texts.clean({"en": "  "}, field="text")
    assert "Chinese" in e.value.message_dict["text"][0]
    with pytest.raises(ValidationError):
        texts.clean(["a"], field="text")
    with pytest.raises(ValidationError) as e:
        texts.clean({"en": "x" * 11}, max_length=10)
    assert "11" in e.value.messages[0]


def test_messages_are_in_the_users_language():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as e:
        texts.clean({}, field="title")
    assert "中文" in e.value.messages[0]


def test_template_filters():
    t = Template('{% load survey_texts %}{{ v|localized }}|{{ v|localized:"en" }}|{{ w|missing_languages|join:"," }}')
    with translation.override("zh-hans"):
        out = t.render(Context({"v": BOTH, "w": {"zh-hans": "甲"}}))
    assert out == f"{BOTH['zh-hans']}|{BOTH['en']}|英语"


def test_ordered_puts_chinese_first_whatever_the_database_did():
    assert list(texts.ordered({"en": "A", "zh-hans": "甲"})) == ["zh-hans", "en"]
    assert texts.ordered(None) == {}
