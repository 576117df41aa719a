from django.db import models
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    """The last number given out in one series of codes (``customer``: C00000001…,
    ``order``: SO000000001…). One row per series, locked while numbers are taken
    (:func:`kehu.numbering.services.number_reserve`)."""

    name = models.CharField(_("series"), max_length=40, primary_key=True)
    value = models.BigIntegerField(_("last number"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
