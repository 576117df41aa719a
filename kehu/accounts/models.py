"""An administrator's second factor: a TOTP secret (RFC 6238) and single-use recovery codes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TotpDevice(models.Model):
    """The authenticator app of one user. ``confirmed_at`` is set once the
    user has entered a code from it; until then it does not guard the login.

    ``last_step`` is the last 30-second time step whose code was accepted: a
    code is accepted once (RFC 6238 §5.2). Recovery codes are stored as
    SHA-256 digests and removed when used.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="totp_device")
    secret = models.CharField(_("secret"), max_length=64)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    last_step = models.BigIntegerField(_("last time step used"), default=0)
    recovery_codes = models.JSONField(_("recovery codes"), default=list, blank=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"TOTP {self.user}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None
