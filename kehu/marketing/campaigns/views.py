"""The campaign pages: the list (everyone signed in), create and edit, the detail with the
audience preview, the send (after a confirmation) and its progress (htmx), the results, the
cost lines, the members (within the viewer's visibility) and their export, cancel (after a
confirmation); and the public tracked link ``/c/<token>/``. Marketing and administrators
run campaigns (``may_manage_marketing``); the others read them."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.exports.http import export_response
from kehu.pagination import Tier
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, is_partial, paginate

from . import selectors, services
from .forms import CampaignForm, CostForm
from .lists import CAMPAIGNS
from .models import AudienceKind, CampaignKind, CampaignStatus, CostLine

NAV = "campaigns"
SORTS = {
    "-sent": [Tier(Q(sent_at__isnull=False), ("-sent_at", "-id")), Tier(Q(sent_at__isnull=True), ("-id",))],
    "sent": [Tier(Q(sent_at__isnull=False), ("sent_at", "id")), Tier(Q(sent_at__isnull=True), ("id",))],
    "code": [Tier(Q(), ("code", "id"))], "-code": [Tier(Q(), ("-code", "-id"))],
    "name": [Tier(Q(), ("name", "id"))], "-name": [Tier(Q(), ("-name", "-id"))],
}


def _manager(request) -> None:
    if not services.may_manage(request.user):
        raise PermissionDenied


@login_required
def campaign_list(request):
    status = request.GET.get("status", "")
    status = status if status in CampaignStatus.values else ""
    sort = chosen_sort(request, SORTS, "-sent")
    page = paginate(request, selectors.campaign_list(viewer=request.user, status=status), tiers=SORTS[sort])
    return render(request, "campaigns/list.html", {
        "nav_active": NAV, "title": _("Campaigns"), "page": page, "status": status,
        "statuses": CampaignStatus.choices, "may_manage": services.may_manage(request.user),
        **list_context(request, CAMPAIGNS, sort=sort)})


def _initial(request, campaign) -> dict:
    """A new campaign opened from the retention targeting page (``?audience=gain&n=N``): a
    retention campaign for the top N by expected gain."""
    if campaign is not None or request.GET.get("audience") != AudienceKind.GAIN:
        return {}
    try:
        n = int(request.GET.get("n") or 0)
    except ValueError:
        n = 0
    return {"audience_kind": AudienceKind.GAIN, "kind": CampaignKind.RETENTION, **({"gain_top": n} if n > 0 else {})}


def _form(request, campaign=None):
    _manager(request)
    if campaign is not None and not campaign.editable:
        flash.error(request, _("A campaign that is sending, sent or cancelled cannot be changed."))
        return redirect("campaign_detail", campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign, initial=_initial(request, campaign))
    if request.method == "POST" and form.is_valid():
        try:
            if campaign is None:
                campaign = services.campaign_create(actor=request.user, data=form.data_for_service(),
                                                    variants=form.variants())
            else:
                campaign.refresh_from_db()
                campaign = services.campaign_update(actor=request.user, campaign=campaign,
                                                    data=form.data_for_service(), variants=form.variants())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            flash.success(request, _("Campaign %(code)s saved.") % {"code": campaign.code})
            return redirect("campaign_detail", campaign.pk)
    return render(request, "campaigns/form.html", {
        "nav_active": NAV, "form": form, "campaign": campaign,
        "title": _("New campaign") if campaign is None else _("Edit %(code)s") % {"code": campaign.code}})


@login_required
def campaign_create(request):
    return _form(request)


@login_required
def campaign_edit(request, pk):
    _manager(request)
    return _form(request, selectors.campaign_get(viewer=request.user, pk=pk))


def _detail_context(request, campaign) -> dict:
    counts = selectors.message_counts(campaign)
    return {"campaign": campaign, "counts": counts, "held": selectors.held_rows(counts),
            "running": campaign.status in (CampaignStatus.SENDING, CampaignStatus.SCHEDULED) and not campaign.error
            and campaign.stage != services.STAGE_PAUSED,
            "may_manage": services.may_manage(request.user)}


@login_required
def campaign_detail(request, pk):
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    preview = None
    try:
        preview = selectors.audience_preview(campaign=campaign)
    except ValidationError:
        preview = None
    return render(request, "campaigns/detail.html", {
        "nav_active": NAV, "title": str(campaign), "preview": preview,
        "variants": campaign.variants.select_related("template"), "costs": campaign.costs.all(),
        **_detail_context(request, campaign)})


@login_required
def campaign_progress(request, pk):
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    if not is_partial(request):
        return redirect("campaign_detail", pk)
    return render(request, "campaigns/_progress.html", _detail_context(request, campaign))


@login_required
def campaign_send(request, pk):
    _manager(request)
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    if request.method == "POST":
        try:
            services.campaign_send(actor=request.user, campaign=campaign)
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
        else:
            flash.success(request, _("Campaign %(code)s is being sent by the background worker.")
                          % {"code": campaign.code})
        return redirect("campaign_detail", pk)
    try:
        preview = services.campaign_send(actor=request.user, campaign=campaign, dry_run=True)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("campaign_detail", pk)
    return render(request, "campaigns/send_confirm.html", {
        "nav_active": NAV, "title": _("Send %(code)s") % {"code": campaign.code}, "campaign": campaign,
        "preview": preview})


def _confirm(request, campaign, *, title, question, button, danger=True):
    return render(request, "campaigns/confirm.html", {
        "nav_active": NAV, "title": title, "question": question, "button": button, "danger": danger,
        "back": reverse("campaign_detail", args=[campaign.pk])})


def _act(request, pk, *, act, done: str, title: str, question: str, button: str, danger: bool, then: str):
    """A change of the campaign's status after a confirmation page (cancel, finish)."""
    _manager(request)
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    if request.method == "POST":
        try:
            act(actor=request.user, campaign=campaign)
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
        else:
            flash.success(request, done % {"code": campaign.code})
        return redirect(then, pk)
    return _confirm(request, campaign, title=title % {"code": campaign.code}, question=question, button=button,
                    danger=danger)


@login_required
def campaign_cancel(request, pk):
    return _act(request, pk, act=services.campaign_cancel, done=_("Campaign %(code)s cancelled."),
                title=_("Cancel %(code)s"),
                question=_("Cancel this campaign? Nothing more is sent; the messages already sent stay sent."),
                button=_("Cancel the campaign"), danger=True, then="campaign_detail")


@login_required
def campaign_finish(request, pk):
    return _act(request, pk, act=services.campaign_finish, done=_("Campaign %(code)s finished."),
                title=_("Finish %(code)s"),
                question=_("Finish this campaign now? Its responses are counted up to today and its results "
                           "are kept as they are."), button=_("Finish the campaign"), danger=False,
                then="campaign_results")


@login_required
def campaign_results(request, pk):
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    res = selectors.results(campaign=campaign)
    return render(request, "campaigns/results.html", {
        "nav_active": NAV, "title": _("Results of %(code)s") % {"code": campaign.code}, "campaign": campaign,
        "r": res, "words": selectors.in_words(res), "may_manage": services.may_manage(request.user)})


@login_required
def campaign_costs(request, pk):
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    form = None
    if services.may_manage(request.user):
        form = CostForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.cost_add(actor=request.user, campaign=campaign, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                flash.success(request, _("Cost line added."))
                return redirect("campaign_costs", pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "campaigns/costs.html", {
        "nav_active": NAV, "title": _("Costs of %(code)s") % {"code": campaign.code}, "campaign": campaign,
        "costs": campaign.costs.all(), "form": form, "may_manage": form is not None})


@login_required
def cost_delete(request, pk, line):
    _manager(request)
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    try:
        row = CostLine.objects.get(pk=line, campaign=campaign)
    except CostLine.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        services.cost_delete(actor=request.user, line=row)
        flash.success(request, _("Cost line deleted."))
        return redirect("campaign_costs", pk)
    return render(request, "campaigns/confirm.html", {
        "nav_active": NAV, "title": _("Delete a cost line"), "danger": True,
        "question": _("Delete the cost line %(line)s?") % {"line": f"{row.get_category_display()} {row.note}"},
        "button": _("Delete"), "back": reverse("campaign_costs", args=[pk])})


MEMBER_ORDER = [Tier(Q(), ("id",))]


@login_required
def campaign_members(request, pk):
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    group = request.GET.get("group", "")
    page = paginate(request, selectors.member_list(viewer=request.user, campaign=campaign, group=group),
                    tiers=MEMBER_ORDER)
    return render(request, "campaigns/members.html", {
        "nav_active": NAV, "title": _("Members of %(code)s") % {"code": campaign.code}, "campaign": campaign,
        "page": page, "group": group})


def member_rows(qs):
    yield [_("Customer code"), _("Customer"), _("Group"), _("Variant"), _("Value tier"), _("Message"),
           _("First click"), _("Coupon"), _("Responded"), _("Revenue attributed")]
    for m in qs.iterator(chunk_size=2000):
        yield [m.customer.ref, m.customer.name, _("Control") if m.control else _("Treated"),
               m.variant.label if m.variant else "", m.stratum, m.message_id or "",
               m.clicked_at.isoformat() if m.clicked_at else "", str(m.coupon) if m.coupon else "",
               _("Yes") if m.responded else _("No"), m.revenue]


@login_required
def members_export(request, pk):
    campaign = selectors.campaign_get(viewer=request.user, pk=pk)
    qs = selectors.member_list(viewer=request.user, campaign=campaign, group=request.GET.get("group", ""))
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return export_response(request, member_rows(qs.order_by("id")), export="campaign_members", fmt=fmt,
                           filename=f"campaign-{campaign.code}-{dt.date.today():%Y%m%d}", sheet="members",
                           object_id=campaign.pk)


def tracked_link(request, token):
    """A member's tracked link: record the first click, go to the campaign's target (only it)."""
    if request.method not in ("GET", "HEAD"):
        raise Http404
    if request.method == "HEAD":
        target = selectors.link_target(token)
    else:
        target = services.click_record(token=token, user_agent=request.META.get("HTTP_USER_AGENT", ""))
    if not target:
        raise Http404
    response = HttpResponseRedirect(target)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
