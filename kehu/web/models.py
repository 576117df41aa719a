"""The web shell's own records: a user's saved views of a list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A named list view of one user (保存的视图): the list's query string
    (filters and sort, without the page cursor) and the columns shown.

    Only its owner sees, renames or deletes it; it never widens what the
    list shows, because the list still goes through the visibility policy.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="saved_views")
    list_name = models.CharField(_("list"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query"), max_length=2000, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ("list_name", "name", "id")
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name", "name"], name="savedview_user_list_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
