from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "kehu.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self):
        # Closing the loop: each submitted response updates the customer's
        # attitude and may create a follow-up task (kehu/surveys/services/loop.py);
        # value runs read attitude and satisfaction from the surveys.
        from kehu.insights import signals as value_signals
        from kehu.surveys import providers
        from kehu.surveys.services.loop import on_response_submitted
        from kehu.surveys.signals import response_submitted

        from django.core import checks

        from kehu.surveys.staff.results import check_min_group

        checks.register(check_min_group, "kehu")
        response_submitted.connect(on_response_submitted, dispatch_uid="kehu.surveys.loop")
        value_signals.register("attitude", providers.attitude_as_of)
        value_signals.register("satisfaction", providers.satisfaction_as_of)
