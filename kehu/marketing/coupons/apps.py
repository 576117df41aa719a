from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    name = "kehu.marketing.coupons"
    label = "coupons"
    verbose_name = _("Coupons")


    def ready(self):
        from kehu.marketing.coupons import lists  # noqa: F401  (registers the lists)
