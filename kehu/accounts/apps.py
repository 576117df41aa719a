from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in: throttling (django-axes), password change and reset, the
    administrators' second factor (TOTP) and the sign-in record."""

    name = "kehu.accounts"
    label = "accounts"
    verbose_name = _("Sign-in and security")
