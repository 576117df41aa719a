"""Size limits and field validators that every app's models share.

The limits and formats of user-entered data live on the model fields (their
``max_length`` and ``validators``), so that one definition serves every way
in: the services call ``full_clean()`` (which the browser's forms and the API
report as field errors) and the import runs the same validators on each
cell (:func:`kehu.imports.columns.parse_cell`). docs/import.md, docs/api.md
and the user guide list the limits; keep them in step with this module.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Long texts (TextField): a note a person types, not a document.
REMARKS_MAX = 5_000          # remarks, preferences, task details and outcomes, descriptions
SUMMARY_MAX = 10_000         # an interaction's summary (联系纪要)
ANSWER_TEXT_MAX = 4_000      # a free-text survey answer (the answer page says so)
# Tags
TAGS_PER_CUSTOMER_MAX = 50
TAG_LENGTH_MAX = 50


def text_limit(limit: int) -> MaxLengthValidator:
    """The validator of a long text's limit, with a message that names the limit."""
    return MaxLengthValidator(
        limit,
        message=_("At most %(limit_value)d characters, please (this text has %(show_value)d)."),
    )


_NON_DIGITS = re.compile(r"[^\d]")
# On the digits (and a leading +) that the services keep of a phone number:
_MOBILE = re.compile(r"^(?:86)?1[3-9]\d{9}$")                 # 138 0013 8000
_LANDLINE = re.compile(r"^0[1-9]\d{1,2}\d{7,8}\d{0,6}$")  # 010-12345678, 0755-1234567 [-ext]
_SERVICE = re.compile(r"^[48]00\d{7}$")                           # 400-123-4567, 800-…
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{6,14}$")                 # E.164: + country code, at most 15 digits
_EXTENSION = re.compile(r"(?i)ext\.?|x|转|#")
_PHONE_CHARS = re.compile(r"^\+?[\d\s\-().]*$")


def phone_digits(value: str) -> str:
    """A leading ``+`` and the digits, as the services store a phone number."""
    value = (value or "").strip()
    return ("+" if value.startswith("+") else "") + _NON_DIGITS.sub("", value)


@deconstructible
class PhoneValidator:
    """A Chinese mobile (``1[3-9]`` + 9 digits), a landline with its area code
    (``010-12345678``, ``0755-1234567``, an extension after it allowed), a
    400/800 service number, or an international number starting with ``+``
    and its country code. Spaces, dashes, dots and brackets are ignored."""

    message = _("Enter a phone number: a mobile (13800138000), a landline with its area code (010-12345678), "
                "or an international number starting with + and the country code.")
    code = "invalid_phone"

    def __call__(self, value) -> None:
        if not value:
            return
        raw = str(value).strip()
        if not _PHONE_CHARS.match(_EXTENSION.sub(" ", raw)):
            raise ValidationError(self.message, code=self.code)
        digits = phone_digits(raw)
        if digits.startswith("+"):
            ok = bool(_INTERNATIONAL.match(digits))
        else:
            ok = bool(_MOBILE.match(digits) or _LANDLINE.match(digits) or _SERVICE.match(digits))
        if not ok:
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, PhoneValidator)


validate_phone = PhoneValidator()


@deconstructible
class WebsiteValidator:
    """An ``http://`` or ``https://`` address, or a bare host name
    (``www.example.com``); every other scheme (``javascript:``, ``data:``,
    ``ftp:``) is refused."""

    message = _("Enter a web address starting with http:// or https:// (or just the host, www.example.com).")
    code = "invalid_website"
    _url = URLValidator(schemes=["http", "https"])

    def __call__(self, value) -> None:
        if not value:
            return
        text = str(value).strip()
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", text) and not re.match(r"^https?://", text, re.IGNORECASE):
            raise ValidationError(self.message, code=self.code)
        if not re.match(r"^https?://", text, re.IGNORECASE):
            text = "http://" + text
        try:
            self._url(text)
        except ValidationError:
            raise ValidationError(self.message, code=self.code) from None

    def __eq__(self, other) -> bool:
        return isinstance(other, WebsiteValidator)


validate_website = WebsiteValidator()


@deconstructible
class NotInFutureValidator:
    """A date that has happened: a birthday or an anniversary's first date."""

    message = _("This date is in the future.")
    code = "date_in_future"

    def __call__(self, value) -> None:
        if value and value > timezone.localdate():
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, NotInFutureValidator)


validate_not_in_future = NotInFutureValidator()
