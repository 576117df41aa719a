from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "kehu.marketing.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from kehu.marketing.campaigns.lists import register_lists

        register_lists()  # the campaign list on the shared list machinery
