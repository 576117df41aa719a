"""Labels that shared modules show for this app (the export registry, the menu), kept
here so that their translations live in this app's catalogue. Imports nothing but gettext."""

from django.utils.translation import gettext_lazy as _

MENU = _("Win-back")
REPORT_EXPORT = _("Lost-revenue report")
LOSSES_EXPORT = _("Lost customers")
