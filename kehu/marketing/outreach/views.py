"""Pages of sending to customers: the message log (everyone, their visible customers'
messages), templates with preview, the suppression list and the settings (marketing
and administrators), the exported WeChat and direct-mail lists, and the public
unsubscribe page (no login)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kehu.customers.selectors import customer_get
from kehu.marketing.permissions import require_marketing
from kehu.org.policies import policy_for
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, paginate

from . import exports, selectors, services
from .forms import GateSettingsForm, LanguageForm, MessageFilterForm, SuppressionForm, TemplateForm
from .models import Channel, GateSettings, Language, Status
from .rendering import PLACEHOLDERS

SORTS = {"-created": ("-created_at", "-id"), "created": ("created_at", "id")}


def message_filters(request) -> selectors.MessageFilters:
    form = MessageFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        return selectors.MessageFilters(channel=d["channel"], status=d["status"], reason=d["reason"],
                                        source_kind=d["source"], customer_id=d.get("customer"))
    return selectors.MessageFilters()


# -- the message log ------------------------------------------------------------------

@login_required
def message_list(request):
    form = MessageFilterForm(request.GET or None)
    filters = message_filters(request)
    qs = selectors.message_list(viewer=request.user, filters=filters)
    sort = chosen_sort(request, SORTS, "-created")
    page = paginate(request, qs, SORTS[sort])
    filtered = any((filters.channel, filters.status, filters.reason, filters.source_kind, filters.customer_id))
    return render(request, "outreach/message_list.html", {
        "nav_active": "outreach", "title": _("Messages to customers"), "form": form, "page": page, "sort": sort,
        "filtered": filtered, "may_manage": policy_for(request.user).may_manage_outreach,
        "export_query": request.GET.urlencode(),
        **list_context(request, "outreach_messages", sort=sort),
    })


@login_required
def message_detail(request, pk):
    msg = selectors.message_get(viewer=request.user, pk=pk)
    from kehu.privacy.masking import shown

    kind = "email" if msg.channel == Channel.EMAIL else "phone"
    address = shown(viewer=request.user, customer=msg.customer, field=kind, value=msg.address) \
        if msg.channel != Channel.MAIL else msg.address
    return render(request, "outreach/message_detail.html", {
        "nav_active": "outreach", "title": _("Message to %(name)s") % {"name": msg.customer.name}, "msg": msg,
        "address": address})


@login_required
def message_export(request):
    return exports.messages_response(request)


@login_required
def queue_mark_sent(request, channel):
    """The exported WeChat or direct-mail list went out: mark its queued messages sent (with confirmation)."""
    require_marketing(request.user)
    if channel not in (Channel.WECHAT, Channel.MAIL):
        raise Http404
    qs = selectors.message_list(viewer=request.user, filters=selectors.MessageFilters(channel=channel,
                                                                                      status=Status.QUEUED))
    if request.method == "POST":
        n = services.mark_sent(actor=request.user, channel=channel)
        flash.success(request, _("%(n)d messages marked as sent.") % {"n": n})
        return redirect(reverse("outreach_messages") + f"?channel={channel}")
    return render(request, "outreach/confirm.html", {
        "nav_active": "outreach", "title": _("Mark the list as sent"),
        "question": _("Mark the %(n)d queued messages of this channel as sent? Do this once the exported list "
                      "went out.") % {"n": qs.count()},
        "button": _("Mark as sent"), "back": reverse("outreach_messages") + f"?channel={channel}&status=queued"})


# -- templates ------------------------------------------------------------------------

@login_required
def template_list(request):
    require_marketing(request.user)
    page = paginate(request, selectors.template_list(), ("code", "id"))
    return render(request, "outreach/template_list.html", {
        "nav_active": "outreach", "title": _("Message templates"), "page": page})


def _template_form(request, template=None):
    require_marketing(request.user)
    form = TemplateForm(request.POST or None, instance=None)
    if template is not None and request.method != "POST":
        form = TemplateForm(instance=template)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in TemplateForm.Meta.fields}
        try:
            if template is None:
                template = services.template_create(actor=request.user, data=data)
            else:
                template = services.template_update(actor=request.user, template=template, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            flash.success(request, _("Template %(code)s saved.") % {"code": template.code})
            return redirect("outreach_template_preview", template.pk)
    return render(request, "outreach/template_form.html", {
        "nav_active": "outreach", "form": form, "template": template,
        "placeholders": [("{{ %s }}" % k, v) for k, v in PLACEHOLDERS.items()],
        "example": "{{ customer.name }}", "if_example": "{% if coupon.code %}…{% endif %}",
        "title": _("New message template") if template is None else _("Edit %(code)s") % {"code": template.code}})


@login_required
def template_create(request):
    return _template_form(request)


@login_required
def template_edit(request, pk):
    return _template_form(request, selectors.template_get(pk))


@login_required
def template_delete(request, pk):
    require_marketing(request.user)
    template = selectors.template_get(pk)
    if request.method == "POST":
        services.template_delete(actor=request.user, template=template)
        flash.success(request, _("Template %(code)s deleted.") % {"code": template.code})
        return redirect("outreach_templates")
    return render(request, "outreach/confirm.html", {
        "nav_active": "outreach", "title": _("Delete %(code)s") % {"code": template.code},
        "question": _("Delete this template? The messages already sent with it stay in the log."),
        "button": _("Delete template"), "danger": True, "back": reverse("outreach_templates")})


@login_required
def template_preview(request, pk):
    """The template rendered for a chosen customer, in both languages, as the gate would send it now."""
    require_marketing(request.user)
    template = selectors.template_get(pk)
    customer = None
    error = ""
    raw = request.GET.get("customer", "").strip()
    if raw:
        from kehu.customers.models import Customer

        visible = policy_for(request.user).visible(Customer.objects.select_related("owner"))
        customer = visible.filter(ref=raw).first() or (visible.filter(pk=int(raw)).first() if raw.isdigit()
                                                         and len(raw) < 18 else None)
        if customer is None:
            error = _("No customer with this number or code that you may see.")
    preview = services.preview(template=template, customer=customer, viewer=request.user)
    return render(request, "outreach/template_preview.html", {
        "nav_active": "outreach", "title": _("Preview of %(code)s") % {"code": template.code},
        "template": template, "customer": customer, "preview": preview, "error": error, "raw": raw})


# -- suppressions -----------------------------------------------------------------------

@login_required
def suppression_list(request):
    require_marketing(request.user)
    form = SuppressionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.suppression_add(actor=request.user, channel=d["channel"], address=d["address"],
                                     reason=d["reason"], note=d["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            flash.success(request, _("%(address)s will receive nothing more on this channel.") % {
                "address": d["address"]})
            return redirect("outreach_suppressions")
    q = request.GET.get("q", "")
    page = paginate(request, selectors.suppression_list(viewer=request.user, q=q,
                                                        channel=request.GET.get("channel", "")),
                    ("-created_at", "-id"))
    return render(request, "outreach/suppression_list.html", {
        "nav_active": "outreach", "title": _("Suppression list"), "form": form, "page": page, "q": q,
        "channels": Channel.choices, "channel": request.GET.get("channel", "")})


@login_required
def suppression_remove(request, pk):
    require_marketing(request.user)
    row = selectors.suppression_get(viewer=request.user, pk=pk)
    if request.method == "POST":
        services.suppression_remove(actor=request.user, suppression=row)
        flash.success(request, _("%(address)s removed from the suppression list.") % {"address": str(row)})
        return redirect("outreach_suppressions")
    return render(request, "outreach/confirm.html", {
        "nav_active": "outreach", "title": _("Remove from the suppression list"),
        "question": _("Remove %(address)s (%(channel)s) from the suppression list? Messages may then reach it "
                      "again, as far as consent allows.") % {"address": str(row),
                                                             "channel": row.get_channel_display()},
        "button": _("Remove"), "danger": True, "back": reverse("outreach_suppressions")})


# -- settings ------------------------------------------------------------------------------

@login_required
def gate_settings(request):
    require_marketing(request.user)
    current = GateSettings.current()
    form = GateSettingsForm(request.POST or None, instance=current if request.method != "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(actor=request.user, data=dict(form.cleaned_data))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            flash.success(request, _("Sending settings saved."))
            return redirect("outreach_settings")
    return render(request, "outreach/settings.html", {
        "nav_active": "outreach", "title": _("Sending settings"), "form": form})


@login_required
@require_POST
def customer_language(request, pk):
    customer = customer_get(viewer=request.user, pk=pk)
    form = LanguageForm(request.POST)
    if form.is_valid():
        try:
            services.customer_language_set(actor=request.user, customer=customer,
                                           language=form.cleaned_data["language"])
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
        else:
            flash.success(request, _("Messages to %(name)s will be written in %(language)s.") % {
                "name": customer.name, "language": dict(Language.choices)[form.cleaned_data["language"]]})
    else:
        flash.error(request, _("Choose Chinese or English."))
    return redirect(reverse("customer_detail", args=[customer.pk]) + "#outreach")


# -- the public unsubscribe page -----------------------------------------------------------------

@csrf_exempt   # the one-click POST of RFC 8058 comes from the mail client, without a CSRF token
def unsubscribe(request, signed):
    msg = services.message_for_unsubscribe(signed)
    if msg is None:
        raise Http404
    if request.method not in ("GET", "POST", "HEAD"):
        raise Http404
    if request.method != "HEAD":
        services.unsubscribe(message=msg)
    language = msg.language if msg.language in Language.values else Language.ZH
    with translation.override(language):
        response = render(request, "outreach/unsubscribed.html", {
            "channel": msg.get_channel_display(), "language": language, "title": _("Unsubscribed")})
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    return response
