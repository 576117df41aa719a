from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomFieldsConfig(AppConfig):
    name = "kehu.customfields"
    verbose_name = _("Custom fields")
    default_auto_field = "django.db.models.BigAutoField"
