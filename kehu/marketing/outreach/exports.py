"""The message log as a table (CSV / .xlsx), for the page, the API's consumers and
``kehu outreach messages --export``: the queued WeChat and direct-mail lists are this
export filtered by channel and status. Addresses are masked as the policy says."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.privacy.masking import shown
from kehu.web.lists import clean_ids

from . import selectors
from .models import Channel


def header() -> list:
    return [pgettext("outreach message", "Number"), _("Created"), _("Customer code"), _("Customer"), _("Contact"),
            _("Channel"), _("Purpose"),
            _("Status"), _("Hold reason"), _("Source"), _("Source id"), _("Language"), _("Address"), _("Subject"),
            _("Body"), _("Sent")]


def rows(*, viewer, qs):
    yield header()
    for m in qs.select_related("customer", "contact").order_by("-created_at", "-id").iterator(chunk_size=2000):
        kind = "email" if m.channel == Channel.EMAIL else "phone"
        address = m.address if m.channel == Channel.MAIL else shown(viewer=viewer, customer=m.customer, field=kind,
                                                                     value=m.address)
        yield [m.pk, timezone.localtime(m.created_at).replace(tzinfo=None), m.customer.ref, m.customer.name,
               m.contact.name if m.contact_id else "", m.get_channel_display(), m.get_purpose_display(),
               m.get_status_display(), m.get_reason_display() if m.reason else "", m.get_source_kind_display(),
               m.source_id, m.language, address, m.subject, m.body,
               timezone.localtime(m.sent_at).replace(tzinfo=None) if m.sent_at else None]


def messages_response(request):
    from kehu.exports.http import export_response

    from .views import message_filters

    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    qs = selectors.message_list(viewer=request.user, filters=message_filters(request))
    ids = clean_ids(request.GET.getlist("ids"))
    if ids:
        qs = qs.filter(pk__in=ids)
    return export_response(request, rows(viewer=request.user, qs=qs), export="outreach_messages", fmt=fmt,
                           filename=f"messages.{fmt}", sheet=_("Messages"))
