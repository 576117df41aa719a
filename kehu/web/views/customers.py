"""Customers: the list, create/edit/delete/merge, the 360 page, sharing and reassigning."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from kehu.audit.models import AuditEvent
from kehu.customers import selectors
from kehu.customers.models import Anniversary, Contact, Customer, CustomerShare
from kehu.customers.services import (
    customer_create as customer_create_service,
    customer_delete as customer_delete_service,
    customer_merge as customer_merge_service,
    customer_reassign_bulk,
    customer_share as customer_share_service,
    customer_unshare as customer_unshare_service,
    customer_update,
    duplicate_q,
    find_duplicates,
)
from kehu.customers.duplicates import DuplicateNoticeLimit
from kehu.engagement.models import Interaction, Task
from kehu.engagement.selectors import customer_open_tasks, customer_timeline
from kehu.service.selectors import customer_cases
from kehu.sales.lifecycle import lifecycle_history
from kehu.sales.opportunity_selectors import customer_opportunities
from kehu.sales.key_account_selectors import customer_plans
from kehu.org.models import Role, User
from kehu.org.policies import policy_for
from kehu.pagination import capped_count
from kehu.privacy.masking import CUSTOMER_FIELDS as CUSTOMER_PERSONAL_FIELDS
from kehu.privacy.masking import PERSONAL_FIELDS, mask_contacts, mask_customers, mask_value
from kehu.privacy.selectors import last_erasure
from kehu.sales.models import KeyAccountPlan, Opportunity, Order, Quote
from kehu.web.forms.customers import (
    KIND_CHOICES, REGION_CHOICES, STAGE_CHOICES, CreateCustomerForm, CustomerForm, ReassignForm, ShareForm,
)
from kehu.customfields.values import parse_filters, request_definitions
from kehu.web.lists import list_context
from kehu.web.views.common import PAGE_SIZES, add_service_errors, int_or_none, is_partial, paginate

RESULTS_TARGET = "customer-results"


def filter_users(policy):
    """Users a viewer may pick in filters: everyone for head office, else the
    people they may assign to (their subtree, or themselves)."""
    if policy.sees_everything:
        return User.objects.filter(is_active=True).order_by("display_name", "username")
    return policy.assignable_users().order_by("display_name", "username")


# -- the list -------------------------------------------------------------------

def _list_filters(request) -> selectors.CustomerFilters:
    g = request.GET
    return selectors.CustomerFilters(
        q=g.get("q", "").strip()[:100],
        kind=g.get("kind", "") if g.get("kind", "") in dict(KIND_CHOICES) else "",
        stage=g.get("stage", "") if g.get("stage", "") in dict(STAGE_CHOICES) else "",
        region=g.get("region", "") if g.get("region", "") in dict(REGION_CHOICES) else "",
        owner_id=int_or_none(g.get("owner")),
        team_id=int_or_none(g.get("team")),
        partner_id=int_or_none(g.get("partner")),
        tag=g.get("tag", "").strip()[:50],
        custom=tuple(parse_filters("customer", g, request_definitions(request, "customer"))),
        **{name: g.get(name, "") for name in selectors.BEHAVIOUR_FILTERS
           if g.get(name) and g.get(name) in dict(Customer._meta.get_field(name).flatchoices)},
    )


def _behaviour_filters(filters) -> list[dict]:
    """The behavioural choices as list filters: name, label, choices, current value."""
    out = []
    for name in selectors.BEHAVIOUR_FILTERS:
        field = Customer._meta.get_field(name)
        out.append({"name": name, "label": capfirst(field.verbose_name), "value": getattr(filters, name),
                    "choices": [("", _("Any"))] + list(field.choices)})
    return out


def _columns(sort: str, shown: list[str]) -> list[dict]:
    """Table headers of the columns shown (the list machinery's column
    chooser); sortable ones link to their ascending order, or to the
    descending order when already sorted ascending by them."""
    from kehu.web.lists import get_spec

    out = []
    for i, col in enumerate(c for c in get_spec("customers").columns if c.key in shown):
        key = col.sort
        state = "asc" if sort == key else "desc" if key and sort == "-" + key else ""
        out.append({"key": col.key, "label": col.label, "next": ("-" + key if state == "asc" else key) if key else None,
                    "state": state, "hide_sm": i >= 2})
    return out


@login_required
def customer_list(request):
    policy = policy_for(request.user)
    filters = _list_filters(request)
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    listing = selectors.customer_listing(viewer=request.user, filters=filters, sort=sort)
    page = paginate(request, listing.base, tiers=listing.tiers)
    mask_customers(viewer=request.user, customers=page.items)
    filtered = any([filters.q, filters.kind, filters.stage, filters.region, filters.owner_id, filters.team_id,
                    filters.partner_id, filters.tag, filters.custom] + [getattr(filters, name) for name in selectors.BEHAVIOUR_FILTERS])
    # A one-page answer counts itself. Counting the viewer's whole list is an
    # index-only scan; counting a search or filter may have to visit every
    # match (a salesperson's 10,000 customers), so the page does not wait for
    # it: htmx asks customer_count once the page is shown.
    count, more, count_lazy = len(page.items), False, False
    if page.has_next or page.has_prev:
        if filtered:
            count_lazy = True
        else:
            count, more = capped_count(listing.matches)
    context = {
        "nav_active": "customers",
        "title": _("Customers"),
        "page": page,
        "count": count,
        "count_more": more,
        "count_lazy": count_lazy,
        "filters": filters,
        "sort": sort,
        "per": page.page_size,
        "page_sizes": PAGE_SIZES,
        "filtered": filtered,
        "can_create": policy.can_create,
        "can_reassign": _may_reassign(policy),
    }
    partial = is_partial(request) and request.htmx.target == RESULTS_TARGET
    context.update(list_context(request, "customers", partial=partial))
    context["columns"] = _columns(sort, context["shown_cols"])
    if partial:
        response = render(request, "web/customers/_results.html", context)
    else:
        context.update({
            "kind_choices": KIND_CHOICES,
            "stage_choices": STAGE_CHOICES,
            "region_choices": REGION_CHOICES,
            "behaviour_filters": _behaviour_filters(filters),
            "owner_choices": filter_users(policy),
            "team_choices": policy.visible_teams().order_by("path"),
            "partner_choices": policy.partner_choices(),
        })
        response = render(request, "web/customers/list.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
def customer_count(request):
    """How many customers the list with these filters holds (capped), for the
    list page to load after it is shown."""
    listing = selectors.customer_listing(viewer=request.user, filters=_list_filters(request))
    count, more = capped_count(listing.matches)
    return render(request, "web/customers/_count.html", {"count": count, "count_more": more})


# -- create / edit / delete ------------------------------------------------------

@login_required
def customer_create(request):
    policy = policy_for(request.user)
    if not policy.can_create:
        raise PermissionDenied
    duplicates = None
    if request.method == "POST":
        form = CreateCustomerForm(request.POST, policy=policy)
        if form.is_valid():
            data = form.service_data()
            if not data.get("ref"):
                data.pop("ref", None)
            limited = False
            if not form.cleaned_data.get("create_anyway"):
                try:
                    duplicates = find_duplicates(viewer=request.user, name=data.get("name", ""),
                                                 phone=data.get("phone", ""), email=data.get("email", ""),
                                                 city=data.get("city", "")) or None
                except DuplicateNoticeLimit as exc:
                    form.add_error(None, str(exc))
                    limited = True
            if duplicates is None and not limited:
                try:
                    customer = customer_create_service(actor=request.user, data=data, tags=form.tag_list())
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
                    return redirect("customer_detail", pk=customer.pk)
    else:
        initial = {"kind": request.GET.get("kind", "organization")}
        form = CreateCustomerForm(policy=policy, initial=initial)
    return render(request, "web/customers/form.html", {
        "nav_active": "customers", "title": _("New customer"), "form": form, "duplicates": duplicates,
    })


@login_required
def customer_edit(request, pk):
    policy = policy_for(request.user)
    customer = policy.get_changeable(pk, Customer.objects.select_related("owner"))
    if request.method == "POST":
        stage_before = customer.lifecycle_stage
        form = CustomerForm(request.POST, instance=customer, policy=policy)
        if form.is_valid():
            try:
                customer_update(actor=request.user, customer=customer, data=form.service_data(),
                                tags=form.tag_list())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
                if _lost_without_reason(customer, stage_before):
                    # a loss is worth its reason (流失原因): ask for it on the win-back form
                    messages.info(request, _("Record why %(name)s was lost.") % {"name": customer.name})
                    return redirect("winback_mark_lost", pk=customer.pk)
                return redirect("customer_detail", pk=customer.pk)
    else:
        form = CustomerForm(instance=customer, policy=policy)
    return render(request, "web/customers/form.html", {
        "nav_active": "customers", "title": _("Edit %(name)s") % {"name": customer.name},
        "form": form, "customer": customer,
    })


def _lost_without_reason(customer: Customer, stage_before: str) -> bool:
    """The edit just moved ``customer`` to lost, and no loss records why."""
    from kehu.customers.models import LifecycleStage
    from kehu.marketing.winback.selectors import open_loss

    return (customer.lifecycle_stage == LifecycleStage.LOST and stage_before != LifecycleStage.LOST
            and open_loss(customer.pk) is None)


@login_required
def customer_delete(request, pk):
    policy = policy_for(request.user)
    customer = policy.get_changeable(pk)
    order_count = Order.objects.filter(customer=customer).count()
    if request.method == "POST":
        try:
            customer_delete_service(actor=request.user, customer=customer)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("customer_detail", pk=customer.pk)
        messages.success(request, _("Customer %(name)s deleted.") % {"name": customer.name})
        return redirect("customer_list")
    return render(request, "web/customers/delete.html", {
        "nav_active": "customers", "title": _("Delete %(name)s") % {"name": customer.name},
        "customer": customer, "order_count": order_count,
        "contact_count": customer.contacts.count(), "interaction_count": customer.interactions.count(),
    })


# -- merge ------------------------------------------------------------------------

MERGE_SKIP = {"ref", "owner", "kind", "name"}


def _merge_summary(keep: Customer, drop: Customer) -> dict:
    from kehu.customers.services import CUSTOMER_FIELDS

    filled = []
    for name in sorted(CUSTOMER_FIELDS - MERGE_SKIP):
        if getattr(keep, name) in ("", None) and getattr(drop, name) not in ("", None):
            field = Customer._meta.get_field(name)
            filled.append((field.verbose_name, _display(drop, field)))
    return {
        "contacts": drop.contacts.count(),
        "interactions": drop.interactions.count(),
        "orders": Order.objects.filter(customer=drop).count(),
        "anniversaries": drop.anniversaries.count(),
        "tasks": Task.objects.filter(customer=drop).count(),
        "responses": drop.survey_responses.count(),
        "shares": drop.shares.count(),
        "tags": [t.name for t in drop.tags.all()],
        "filled": filled,
        "history": AuditEvent.objects.filter(customer_id=drop.pk).count() + (1 if drop.import_run_id else 0),
    }


@login_required
def customer_merge(request, pk):
    policy = policy_for(request.user)
    keep = policy.get_changeable(pk, Customer.objects.select_related("owner"))
    drop_id = request.POST.get("drop") if request.method == "POST" else request.GET.get("drop")
    if drop_id:
        drop = policy.get_changeable(drop_id, Customer.objects.select_related("owner"))
        if drop.pk == keep.pk:
            messages.error(request, _("A customer cannot be merged with itself."))
            return redirect("customer_merge", pk=keep.pk)
        if request.method == "POST":
            try:
                customer_merge_service(actor=request.user, keep=keep, drop=drop)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("customer_merge", pk=keep.pk)
            messages.success(request, _("%(drop)s was merged into %(keep)s.") % {
                "drop": f"{drop.ref} {drop.name}", "keep": f"{keep.ref} {keep.name}"})
            return redirect("customer_detail", pk=keep.pk)
        return render(request, "web/customers/merge_confirm.html", {
            "nav_active": "customers", "title": _("Merge customers"),
            "keep": keep, "drop": drop, "summary": _merge_summary(keep, drop),
        })
    q = request.GET.get("q", "").strip()[:100]
    changeable = policy.changeable(Customer.objects.select_related("owner")).exclude(pk=keep.pk)
    candidates = []
    if q:
        candidates = list(changeable.filter(selectors.search_q(q)).order_by(*selectors.SORTS["name"])[:20])
    same = duplicate_q(name=keep.name, phone=keep.phone, email=keep.email, city=keep.city)
    suggested = [] if same is None else list(
        changeable.filter(same, merged_into__isnull=True).order_by(*selectors.SORTS["name"])[:10])
    return render(request, "web/customers/merge.html", {
        "nav_active": "customers", "title": _("Merge into %(name)s") % {"name": keep.name},
        "keep": keep, "q": q, "candidates": candidates, "suggested": suggested,
    })


# -- the 360 page -------------------------------------------------------------------

PROFILE_GROUPS = [
    (gettext_lazy("Classification"), ["region", "province", "city", "city_tier", "source", "lifecycle_stage",
                                      "relationship_level"]),
    (gettext_lazy("Organisation"), ["industry", "size", "annual_budget", "share_of_wallet",
                                    "strategic_importance"]),
    (gettext_lazy("Individual"), ["gender", "age_band", "occupation", "income_band", "education",
                                  "preferred_channel", "birthday", "id_number", "lifestyle", "personality"]),
    (gettext_lazy("Behaviour"), ["usage_rate", "benefit_sought", "user_status", "loyalty_level", "attitude"]),
    (gettext_lazy("Contact details"), ["phone", "email", "website", "address"]),
    (gettext_lazy("Preferences and remarks"), ["preferences", "remarks"]),
]
CONSENT_FIELDS = ["consent_marketing", "consent_data_processing", "opt_out_email", "opt_out_sms",
                  "consent_updated_at"]


def _display(obj, field):
    value = getattr(obj, field.name)
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    return value


def _profile_groups(customer: Customer):
    groups = []
    for title, names in PROFILE_GROUPS:
        rows = []
        for name in names:
            value = getattr(customer, name)
            if value in ("", None):
                continue
            field = Customer._meta.get_field(name)
            rows.append({"name": name, "label": field.verbose_name, "value": _display(customer, field),
                         "field": field})
        if rows:
            groups.append({"title": title, "rows": rows})
    consent = []
    for name in CONSENT_FIELDS:
        field = Customer._meta.get_field(name)
        consent.append({"name": name, "label": field.verbose_name, "value": _display(customer, field),
                        "field": field})
    groups.append({"title": gettext_lazy("Consent"), "rows": consent})
    return groups


AUDIT_MODELS = {"customer": Customer, "contact": Contact, "interaction": Interaction, "order": Order,
                "anniversary": Anniversary, "task": Task, "opportunity": Opportunity,
                "keyaccountplan": KeyAccountPlan, "quote": Quote}
ACTION_LABELS = {
    "create": gettext_lazy("created"), "update": gettext_lazy("changed"), "delete": gettext_lazy("deleted"),
    "merge": gettext_lazy("merged"), "share": gettext_lazy("shared"), "unshare": gettext_lazy("unshared"),
    "reassign": gettext_lazy("reassigned"), "payment": gettext_lazy("payment recorded"),
    "complete": gettext_lazy("completed"), "cancel": gettext_lazy("cancelled"),
    "import": gettext_lazy("imported"),
    "move": gettext_lazy("moved to another stage"), "win": gettext_lazy("won"), "lose": gettext_lazy("lost"),
    "reopen": gettext_lazy("reopened"),
    "approve": gettext_lazy("approved"), "reject": gettext_lazy("rejected"),
    # quotes (kehu/sales/quotes.py)
    "submit": pgettext_lazy("audit action", "submitted"), "approve": pgettext_lazy("audit action", "approved"),
    "refuse": pgettext_lazy("audit action", "refused (back to draft)"),
    "send": pgettext_lazy("audit action", "sent"), "accept": pgettext_lazy("audit action", "accepted"),
    "reject": pgettext_lazy("audit action", "rejected"),
    "supersede": pgettext_lazy("audit action", "superseded by a new version"),
    "expire": pgettext_lazy("audit action", "expired"),
}
ENTITY_LABELS = {"customer": Customer._meta.verbose_name, "contact": Contact._meta.verbose_name,
                 "interaction": Interaction._meta.verbose_name, "order": Order._meta.verbose_name,
                 "anniversary": Anniversary._meta.verbose_name, "task": Task._meta.verbose_name,
                 "opportunity": Opportunity._meta.verbose_name,
                 "keyaccountplan": KeyAccountPlan._meta.verbose_name,
                 "quote": Quote._meta.verbose_name}


def _audit_field(entity: str, name: str):
    model = AUDIT_MODELS.get(entity)
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        return field if field.concrete else None  # not a reverse relation such as an order's lines
    return None


def _field_label(entity: str, name: str):
    if name == "tags":
        return _("Tags")
    if entity == "order" and name == "lines":
        return _("Lines")
    field = _audit_field(entity, name)
    return field.verbose_name if field is not None else name.replace("_", " ")


def _audit_display(entity: str, name: str, value):
    """A stored value as the user knows it: choice labels instead of codes."""
    field = _audit_field(entity, name)
    if field is not None and field.choices and isinstance(value, str):
        return dict(field.flatchoices).get(value, value)
    return value


def audit_rows(events, *, masked: bool = False):
    """Audit events as ``who, when, what, [(field, old, new)]`` for the history table;
    ``masked``: personal data in the changes masked (kehu.privacy.masking)."""
    rows = []
    for ev in events:
        changes = []
        if ev.action in ("update", "reassign") and isinstance(ev.changes, dict):
            for name, value in ev.changes.items():
                if isinstance(value, list) and len(value) == 2:
                    if masked and name in PERSONAL_FIELDS.get(ev.entity, ()):
                        value = [mask_value(name, str(v or "")) for v in value]
                    changes.append({"label": _field_label(ev.entity, name),
                                    "old": _audit_display(ev.entity, name, value[0]),
                                    "new": _audit_display(ev.entity, name, value[1])})
        rows.append({
            "event": ev,
            "action": ACTION_LABELS.get(ev.action, ev.action),
            "entity": ENTITY_LABELS.get(ev.entity, ev.entity),
            "changes": changes,
        })
    return rows


def timeline_context(customer, viewer):
    items = customer_timeline(customer=customer, viewer=viewer, limit=30)
    for item in items:
        if item["kind"] == "change":
            ev = item["obj"]
            item["action"] = ACTION_LABELS.get(ev.action, ev.action)
            item["entity"] = ENTITY_LABELS.get(ev.entity, ev.entity)
    return {"customer": customer, "timeline": items}


def _installed_base(request, customer) -> dict:
    """The customer 360's installed-base card: the latest delivered items (kehu.service);
    ``customer`` was fetched through the policy. One query (two with more than ten items)."""
    from kehu.service.selectors import installed_items, visible_customer_installed_base

    lines = visible_customer_installed_base(customer)
    shown = list(lines[:10])
    return {"installed": installed_items(shown),
            "installed_count": len(shown) if len(shown) < 10 else lines.count()}


@login_required
def customer_detail(request, pk):
    policy = policy_for(request.user)
    customer = selectors.customer_get(viewer=request.user, pk=pk)
    can_change = policy.can_change(customer)
    contacts = list(Contact.objects.filter(customer=customer).select_related("reports_to").order_by("name", "id"))
    events = selectors.customer_history(customer, limit=50)
    personal_full = policy.may_see_personal_data(customer)
    history = audit_rows(events, masked=not personal_full)
    mask_customers(viewer=request.user, customers=[customer])
    mask_contacts(viewer=request.user, contacts=contacts, customer=customer)
    context = {
        "nav_active": "customers",
        "title": customer.name,
        "customer": customer,
        "can_change": can_change,
        "profile_groups": _profile_groups(customer),
        "tags": list(customer.tags.all()),
        "anniversaries": list(customer.anniversaries.all()),
        "contacts": contacts,
        "totals": selectors.customer_totals(customer),
        "orders": list(Order.objects.filter(customer=customer).order_by("-order_date", "-id")[:20]),
        "history": history,
        "personal_full": personal_full,
        "may_reveal": not personal_full and policy.may_reveal_personal_data(customer),
        "may_export_personal": policy.may_export_personal_data(customer),
        "may_erase_personal": policy.may_erase_personal_data,
        "personal_fields": CUSTOMER_PERSONAL_FIELDS,
        "erasure": last_erasure(customer),
        "shares": list(customer.shares.select_related("user", "team").order_by("id")),
        "open_tasks": customer_open_tasks(customer=customer),
        "cases": customer_cases(viewer=request.user, customer=customer),
        **_installed_base(request, customer),
        "opportunities": customer_opportunities(viewer=request.user, customer=customer),
        "can_open_opportunities": policy.can_create_opportunities,
        "key_account_plans": customer_plans(viewer=request.user, customer=customer),
        "lifecycle_history": list(lifecycle_history(customer)[:20]),
        "can_register_cases": policy.can_register_cases,
        "today": timezone.localdate(),
        # a partner user's 360 page: the portal's parts only (no tasks, visits, plans, shares,
        # marketing, value, change history of the company's people)
        "portal": policy.is_partner,
        **timeline_context(customer, request.user),
    }
    return render(request, "web/customers/detail.html", context)


# -- sharing -------------------------------------------------------------------------

@login_required
def customer_share(request, pk):
    policy = policy_for(request.user)
    customer = policy.get_changeable(pk)
    if request.method == "POST":
        form = ShareForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                customer_share_service(actor=request.user, customer=customer, user=d.get("user"),
                                       team=d.get("team"), can_edit=d["can_edit"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s is now shared with %(whom)s.") % {
                    "name": customer.name, "whom": str(d.get("user") or d.get("team"))})
                return redirect(reverse("customer_detail", args=[customer.pk]) + "#shares")
    else:
        form = ShareForm()
    return render(request, "web/customers/share.html", {
        "nav_active": "customers", "title": _("Share %(name)s") % {"name": customer.name},
        "customer": customer, "form": form,
        "shares": list(customer.shares.select_related("user", "team").order_by("id")),
    })


@login_required
@require_POST
def customer_unshare(request, pk, share_pk):
    policy = policy_for(request.user)
    customer = policy.get_changeable(pk)
    share = get_object_or_404(CustomerShare.objects.select_related("customer", "user", "team"),
                              pk=share_pk, customer=customer)
    customer_unshare_service(actor=request.user, share=share)
    messages.success(request, _("%(name)s is no longer shared with %(whom)s.") % {
        "name": customer.name, "whom": str(share.user or share.team)})
    return redirect(reverse("customer_detail", args=[customer.pk]) + "#shares")


# -- reassigning ------------------------------------------------------------------------

def _may_reassign(policy) -> bool:
    return policy.is_admin or (policy.active and policy.role == Role.SALES_MANAGER)


@login_required
def customer_reassign(request):
    policy = policy_for(request.user)
    if not _may_reassign(policy):
        raise PermissionDenied
    if request.method != "POST":
        form = ReassignForm(policy=policy, initial={"from_owner": int_or_none(request.GET.get("from_owner"))})
        return render(request, "web/customers/reassign.html", {
            "nav_active": "customers", "title": _("Reassign customers"), "form": form})
    form = ReassignForm(request.POST, policy=policy)
    if not form.is_valid():
        return render(request, "web/customers/reassign.html", {
            "nav_active": "customers", "title": _("Reassign customers"), "form": form})
    d = form.cleaned_data
    selected = form.selected()
    qs = policy.changeable().filter(owner=d["from_owner"])
    ids = None
    if selected is not None:
        sel_ids, sel_refs = selected
        ids = list(qs.filter(models.Q(pk__in=sel_ids) | models.Q(ref__in=sel_refs)).values_list("pk", flat=True))
        qs = qs.filter(pk__in=ids)
    if request.POST.get("confirm") == "1":
        try:
            moved = customer_reassign_bulk(actor=request.user, from_owner=d["from_owner"], to_owner=d["to_owner"],
                                           customer_ids=ids)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, ngettext(
                "%(count)s customer moved from %(from)s to %(to)s.",
                "%(count)s customers moved from %(from)s to %(to)s.", moved,
            ) % {"count": moved, "from": d["from_owner"], "to": d["to_owner"]})
            return redirect(reverse("customer_list") + f"?owner={d['to_owner'].pk}")
    count = qs.count()
    return render(request, "web/customers/reassign.html", {
        "nav_active": "customers", "title": _("Reassign customers"), "form": form,
        "confirming": form.is_valid(), "count": count, "preview": list(qs.order_by(*selectors.SORTS["name"])[:10]),
    })
