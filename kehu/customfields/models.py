"""Custom field definitions: an administrator's extra fields per record type."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customfields import registry
from kehu.org.models import TimeStamped

KEY_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
KEY_MAX = 40
CHOICES_MAX = 100
TEXT_VALUE_MAX = 500


class Kind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomFieldDefinition(TimeStamped):
    """One custom field of one record type. Its values live in the records'
    ``custom`` JSON object under ``key``, typed (:mod:`kehu.customfields.values`)."""

    record_type = models.CharField(_("record type"), max_length=20, choices=registry.choices())
    key = models.CharField(
        _("key"), max_length=KEY_MAX,
        validators=[RegexValidator(KEY_PATTERN, _(
            "Use lower-case letters, digits and single underscores, starting with a letter (for example "
            "credit_days)."))],
        help_text=_("How imports, exports and the API name the field; cannot be changed later."))
    label_zh = models.CharField(_("label (Chinese)"), max_length=60)
    label_en = models.CharField(_("label (English)"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(pgettext_lazy("custom field", "choices"), default=list, blank=True,
                               help_text=_("For a choice: [{value, label_zh, label_en}]."))
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True, default="")
    position = models.PositiveIntegerField(pgettext_lazy("position", "order"), default=0,
                                           validators=[MinValueValidator(0), MaxValueValidator(10000)])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["record_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "key"], name="customfield_key_unique_per_type",
                                    violation_error_message=_("This record type already has a field with this key.")),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The label in the current language (Chinese for zh-*, else English)."""
        lang = (get_language() or "").lower()
        if lang.startswith("zh"):
            return self.label_zh or self.label_en
        return self.label_en or self.label_zh

    def choice_label(self, value) -> str:
        lang = (get_language() or "").lower()
        for c in self.choices or []:
            if c.get("value") == value:
                if lang.startswith("zh"):
                    return c.get("label_zh") or c.get("label_en") or value
                return c.get("label_en") or c.get("label_zh") or value
        return str(value)

    def choice_options(self) -> list[tuple[str, str]]:
        return [(c["value"], self.choice_label(c["value"])) for c in self.choices or []]
