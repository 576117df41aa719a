from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kehu.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self):
        from kehu.insights import signals as value_signals
        from kehu.service import providers
        from kehu.service.return_visits import on_response_submitted
        from kehu.service.search import register
        from kehu.surveys.signals import response_submitted

        register()  # cases in the header's global search
        # A return-visit survey's answer concludes the case's return visit
        # (kehu/service/return_visits.py); open complaints feed the churn warning.
        response_submitted.connect(on_response_submitted, dispatch_uid="kehu.service.return_visits")
        value_signals.register("open_complaints", providers.open_complaints_as_of)
