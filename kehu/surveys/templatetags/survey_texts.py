"""``{% load survey_texts %}``: survey texts in the user's language.

``{{ question.text|localized }}`` shows the text in the active language (the
other language when that one is missing); ``{{ question.text|localized:"en" }}``
in a given language, as the questionnaire preview does for each language.
``{{ survey.title|missing_languages }}`` lists the languages still missing.
"""

from __future__ import annotations

from django import template

from kehu.surveys import texts

register = template.Library()


@register.filter
def localized(value, language=None):
    return texts.pick(value, language or None)


@register.filter(name="missing_languages")
def missing_languages_filter(value):
    return [texts.language_name(code) for code in texts.missing_languages(value)]


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}``: a dictionary lookup with a variable key."""
    try:
        return mapping.get(key, [])
    except AttributeError:
        return []


@register.filter
def as_json(value):
    """JSON for an HTML attribute (autoescaping keeps the quotes safe)."""
    import json

    return json.dumps(value, ensure_ascii=False)
