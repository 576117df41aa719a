from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """Partners as objects: their pages, API, commands, import, targets, scorecards and
    ranking. The models (Partner, PartnerTarget) and their services are in kehu.org;
    who may read and change them is kehu.org.policies."""

    name = "kehu.partners"
    label = "partners"
    verbose_name = _("Partners")
