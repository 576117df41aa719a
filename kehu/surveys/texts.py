"""Texts in both languages: the ``{"zh-hans": "...", "en": "..."}`` values of the
survey models' :func:`~kehu.surveys.models.I18nText` fields (titles, questions,
options, indicator and construct names).

Every part of the survey workflow reads them through these helpers, so that
the choice of language and the fallback are the same on the designer pages,
the public answer page, the report and the API:

- :func:`pick` — the text in one language (by default the active one), else
  in the other language, else ``""``: a survey written only in Chinese still
  shows its Chinese text to an English-speaking user rather than nothing.
- :func:`make`, :func:`clean` — build and validate a value for a service
  (strings stripped, unknown languages refused, a required text needs at least
  one language).
- :func:`missing_languages` — which languages a text still lacks (the
  designer lists them as "not translated yet").
- :func:`language_of` — ``"zh-hans"`` or ``"en"`` for any language code
  (``zh-cn``, ``zh_Hans``, ``en-us`` …).

In templates: ``{% load survey_texts %}{{ question.text|localized }}`` or
``{{ question.text|localized:"en" }}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

ZH = "zh-hans"
EN = "en"
#: The languages of survey texts, in the order they are shown and exported.
LANGUAGES: tuple[str, ...] = (ZH, EN)
#: A text of a survey (question, option label, title …) is at most this long.
MAX_LENGTH = 2000


def language_of(code: str | None) -> str:
    """``"zh-hans"`` or ``"en"`` for a language code; any Chinese variant is
    Simplified Chinese (the only Chinese Kehu speaks), anything else English.
    ``None`` or ``""`` gives the active language."""
    if not code:
        code = translation.get_language() or ZH
    code = code.lower().replace("_", "-")
    return ZH if code == "zh" or code.startswith("zh-") else EN


def pick(value, language: str | None = None) -> str:
    """The text of ``value`` in ``language`` (default: the active language),
    falling back to the other language, then to ``""``.

    ``value`` is normally a ``{"zh-hans": ..., "en": ...}`` mapping; a plain
    string is returned as it is (a text given in one language only), and
    ``None`` gives ``""``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return str(value)
    wanted = language_of(language)
    order = (wanted,) + tuple(code for code in LANGUAGES if code != wanted)
    for code in order:
        text = value.get(code)
        if isinstance(text, str) and text.strip():
            return text
    return ""


def make(zh: str = "", en: str = "") -> dict[str, str]:
    """A text value from its two languages (blank ones left out)."""
    value = {}
    if zh and zh.strip():
        value[ZH] = zh.strip()
    if en and en.strip():
        value[EN] = en.strip()
    return value


def ordered(value) -> dict[str, str]:
    """``value`` with its languages in :data:`LANGUAGES` order (PostgreSQL's
    jsonb keeps keys in its own order), for exports that must read the same
    whatever the database."""
    if not isinstance(value, Mapping):
        return {}
    return {code: value[code] for code in LANGUAGES if code in value}


def missing_languages(value) -> list[str]:
    """The languages (codes, in :data:`LANGUAGES` order) that ``value`` has no text in."""
    if isinstance(value, str):
        return [EN] if value.strip() else list(LANGUAGES)
    if not isinstance(value, Mapping):
        return list(LANGUAGES)
    return [code for code in LANGUAGES if not (isinstance(value.get(code), str) and value[code].strip())]


def is_complete(value) -> bool:
    """Whether ``value`` has a text in every language."""
    return not missing_languages(value)


def language_name(code: str) -> str:
    """The name of a survey language in the user's language."""
    return _("Chinese") if code == ZH else _("English")


def clean(value, *, field: str = "text", required: bool = True, max_length: int = MAX_LENGTH) -> dict[str, str]:
    """A validated text value: a mapping of ``"zh-hans"``/``"en"`` to strings,
    each stripped and at most ``max_length`` characters, blank ones dropped.

    A plain string is taken as Chinese when it contains Chinese characters,
    else as English. ``ValidationError`` (keyed by ``field``) for another
    language code, a value that is not text, or — when ``required`` — no text
    in any language.
    """
    if value is None:
        value = {}
    if isinstance(value, str):
        value = {_guess_language(value): value}
    if not isinstance(value, Mapping):
        raise ValidationError({field: [_("Give the text as {\"zh-hans\": \"…\", \"en\": \"…\"}.")]})
    cleaned: dict[str, str] = {}
    errors = []
    for key, text in value.items():
        code = str(key).lower().replace("_", "-")
        if code in ("zh", "zh-cn"):
            code = ZH
        if code not in LANGUAGES:
            errors.append(_("Unknown language %(code)s: use zh-hans or en.") % {"code": key})
            continue
        if text is None:
            continue
        if not isinstance(text, str):
            errors.append(_("The %(language)s text must be text, not a number or a list.")
                          % {"language": language_name(code)})
            continue
        text = text.strip()
        if len(text) > max_length:
            errors.append(_("The %(language)s text is %(length)d characters long; at most %(max)d are allowed.")
                          % {"language": language_name(code), "length": len(text), "max": max_length})
            continue
        if text:
            cleaned[code] = text
    if not errors and required and not cleaned:
        errors.append(_("Give the text in Chinese, in English, or in both."))
    if errors:
        raise ValidationError({field: errors})
    return {code: cleaned[code] for code in LANGUAGES if code in cleaned}


def _guess_language(text: str) -> str:
    return ZH if any("\u3400" <= ch <= "\u9fff" for ch in text) else EN
