from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kehu.privacy"
    verbose_name = _("Personal information")

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from kehu.customers.models import Contact, Customer
        from kehu.privacy.masking import refuse_masked_save

        # A guard, not business logic: an instance masked for display must
        # never be written back over the real values.
        for model in (Customer, Contact):
            pre_save.connect(refuse_masked_save, sender=model, dispatch_uid=f"privacy-masked-{model.__name__}")
