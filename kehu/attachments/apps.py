from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    name = "kehu.attachments"
    label = "attachments"
    verbose_name = _("Attachments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The change history and the audit log name the actions this app records.
        from kehu.attachments.models import Attachment
        from kehu.web.views.customers import ACTION_LABELS, ENTITY_LABELS

        ACTION_LABELS.update({
            "attachment.upload": _("file attached"),
            "attachment.delete": _("file deleted"),
            "attachment.download": _("file downloaded"),
        })
        ENTITY_LABELS["attachment"] = Attachment._meta.verbose_name
