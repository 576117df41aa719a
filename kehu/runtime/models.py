"""Rows that several server processes update together."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCount(models.Model):
    """Requests counted in one time window for one key (``ip:…:<window>``).

    Incremented by a single ``INSERT … ON CONFLICT … DO UPDATE SET n = n + 1``
    (:func:`kehu.runtime.ratelimit.hit`), so concurrent processes never lose a
    count; rows of past windows are deleted as new windows start."""

    bucket = models.CharField(_("bucket"), max_length=200, primary_key=True)
    n = models.PositiveIntegerField(_("count"), default=0)
    expires = models.BigIntegerField(_("expires (Unix time)"), db_index=True)

    class Meta:
        verbose_name = _("rate count")
        verbose_name_plural = _("rate counts")

    def __str__(self) -> str:
        return f"{self.bucket}={self.n}"
