from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "kehu.marketing.outreach"
    label = "outreach"
    verbose_name = _("Sending to customers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from kehu.marketing.outreach import lists  # noqa: F401  (registers the message log's list)
