from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kehu.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from django.db.models.signals import post_migrate

        from kehu.sales import customer_keys

        post_migrate.connect(customer_keys.ensure_after_migrate, sender=self)

