from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WinbackConfig(AppConfig):
    name = "kehu.marketing.winback"
    label = "winback"
    verbose_name = _("Lost customers and win-back")

    def ready(self):
        from kehu.marketing.winback.lists import register_lists

        register_lists()  # the losses and the win-back list on the shared list machinery
