from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "kehu.marketing.membership"
    label = "membership"
    verbose_name = _("Members")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from kehu.marketing.membership import lists  # noqa: F401  (registers the members list)
