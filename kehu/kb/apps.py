from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "kehu.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self):
        from django.db.models.signals import post_migrate

        from kehu.kb import lists, search_schema  # noqa: F401  (registers the list and the search provider)

        post_migrate.connect(search_schema.ensure_after_migrate, sender=self)
