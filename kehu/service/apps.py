from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kehu.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self):
        from kehu.service.search import register

        register()  # cases in the header's global search
