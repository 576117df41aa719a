from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "kehu.marketing.care"
    label = "care"
    verbose_name = _("Care calendar")

    def ready(self):
        from kehu.marketing.care import lists  # noqa: F401  (registers the care moments list)
