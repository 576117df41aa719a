from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kehu.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from django.db.models.signals import post_migrate

        from kehu.insights.signals import run_succeeded
        from kehu.sales import customer_keys, dashboard_figures, scope_keys
        from kehu.sales.xsell import on_value_run_succeeded

        post_migrate.connect(customer_keys.ensure_after_migrate, sender=self)
        post_migrate.connect(scope_keys.ensure_after_migrate, sender=self)
        # After each value analysis, the association rules and peer shares (by tier) anew.
        run_succeeded.connect(on_value_run_succeeded, dispatch_uid="kehu.sales.xsell")
        # The dashboard's cached sales figures go stale with every order, customer or share written.
        dashboard_figures.connect_signals()

