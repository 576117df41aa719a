"""Reads of cases, always through the one policy
(:meth:`~kehu.org.policies.CustomerPolicy.visible_cases`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kehu.org.policies import policy_for
from kehu.service.models import OPEN_STATUSES, Case, CaseCategory

QUEUES = ("mine", "team", "unassigned", "breaching", "all")
# "Breaching soon": open cases whose resolution is due within this time (or overdue).
BREACHING_WITHIN = dt.timedelta(hours=4)


@dataclass
class CaseFilters:
    queue: str = "all"
    kind: str = ""
    status: str = ""        # a status, "open" (every open status) or "" (all)
    severity: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    category_id: int | None = None
    partner_id: int | None = None   # routed to this partner (the responsible partner)
    channel: str = ""
    q: str = ""
    ids: tuple[int, ...] = ()


def case_visible(*, viewer) -> QuerySet[Case]:
    return policy_for(viewer).visible_cases(Case.objects.all())


def case_list(*, viewer, filters: CaseFilters | None = None, now=None) -> QuerySet[Case]:
    """The cases of a queue, filtered; unordered (the caller pages it).

    Queues: ``mine`` (assigned to the viewer), ``team`` (assigned to the viewer's
    team(s), or to nobody in them), ``unassigned`` (open and nobody's), ``breaching``
    (open, resolution due within :data:`BREACHING_WITHIN` or overdue), ``all``."""
    f = filters or CaseFilters()
    policy = policy_for(viewer)
    qs = case_visible(viewer=viewer)
    if f.queue == "mine":
        qs = qs.filter(assignee_id=getattr(viewer, "pk", None))
    elif f.queue == "team":
        teams = policy._case_team_ids
        qs = qs.filter(Q(team_id__in=teams) | Q(assignee__team_id__in=teams)) if teams else qs.none()
    elif f.queue == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif f.queue == "breaching":
        now = now or timezone.now()
        qs = qs.filter(status__in=OPEN_STATUSES, resolution_due__isnull=False,
                       resolution_due__lte=now + BREACHING_WITHIN)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.assignee_id:
        qs = qs.filter(assignee_id=f.assignee_id)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.category_id:
        qs = qs.filter(Q(category_id=f.category_id) | Q(category__parent_id=f.category_id))
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.partner_id:
        qs = qs.filter(partner_id=f.partner_id)
    if f.q:
        term = f.q.strip()
        qs = qs.filter(Q(ref__iexact=term) | Q(ref__startswith=term.upper()) | Q(subject__icontains=term)
                       | Q(caller_phone__startswith=term) | Q(customer__name__icontains=term))
    if f.ids:
        qs = qs.filter(pk__in=list(f.ids))
    return qs.select_related("customer", "assignee", "team", "category", "category__parent")


def case_get(*, viewer, pk) -> Case:
    """One case the viewer may see; 404 otherwise (the same as one that does not exist)."""
    # The relations every case has are joined; those most cases leave empty (contact,
    # order, product, approver, interaction) are read when set — a twelve-table join
    # cost PostgreSQL 15–25 ms of planning alone (kehu bench service).
    try:
        return case_visible(viewer=viewer).select_related(
            "customer", "assignee", "team", "category", "category__parent", "created_by").get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def case_by_ref(*, viewer, ref: str) -> Case:
    try:
        return case_visible(viewer=viewer).get(ref=ref.strip().upper())
    except Case.DoesNotExist:
        raise Http404 from None


def case_events(case: Case, *, viewer):
    """The case's timeline, oldest first: the events of it ``viewer`` may see (the one
    policy's :meth:`~kehu.org.policies.CustomerPolicy.case_event_q`: a partner user never
    sees the company's internal notes nor its service-level warnings)."""
    return case.events.filter(policy_for(viewer).case_event_q()).select_related("actor").order_by("at", "id")


def case_steps(case: Case) -> list:
    from kehu.service.models import STEP_ORDER

    return sorted(case.steps.select_related("done_by"), key=lambda s: STEP_ORDER.index(s.step))


def customer_cases(*, viewer, customer, limit: int = 20) -> list[Case]:
    """The cases of one (visible) customer, newest first."""
    return list(case_visible(viewer=viewer).filter(customer=customer).select_related("assignee")
                .order_by("-created_at", "-id")[:limit])


def related_cases(*, viewer, case: Case, limit: int = 10) -> list[Case]:
    """The customer's other cases the viewer may see, newest first."""
    if case.customer_id is None:
        return []
    return list(case_visible(viewer=viewer).filter(customer_id=case.customer_id).exclude(pk=case.pk)
                .order_by("-created_at", "-id")[:limit])


def open_case_count(*, viewer) -> int:
    return case_visible(viewer=viewer).filter(assignee=viewer, status__in=OPEN_STATUSES).count()


def caller_matches(*, viewer, phone: str = "", email: str = "", name: str = "", limit: int = 8):
    """Customers (visible to the viewer) a caller not yet known may be: by phone, then
    e-mail, then name (pinyin and initials too), through the customer search."""
    from kehu.customers.selectors import CustomerFilters, customer_listing
    from kehu.pagination import tiered_keyset_page

    found, seen = [], set()
    for term in (phone, email, name):
        term = (term or "").strip()
        if not term:
            continue
        listing = customer_listing(viewer=viewer, filters=CustomerFilters(q=term))
        for c in tiered_keyset_page(listing.base, tiers=listing.tiers, cursor=None, page_size=limit).items:
            if c.pk not in seen:
                seen.add(c.pk)
                found.append(c)
    return found[:limit]


def categories() -> list[CaseCategory]:
    """The active categories, parents before their children (for choices)."""
    rows = list(CaseCategory.objects.filter(active=True).select_related("parent"))
    top = [c for c in rows if c.parent_id is None]
    out = []
    for parent in top:
        out.append(parent)
        out.extend(c for c in rows if c.parent_id == parent.pk)
    return out


# -- warranty and the installed base (三包) -------------------------------------------

@dataclass
class InstalledItem:
    """One item a customer has: a delivered order line, with its warranty state today."""

    line: object            # kehu.sales.models.OrderLine
    order: object
    product: object | None
    serial_number: str
    purchased: dt.date
    state: object           # kehu.analytics.warranty.WarrantyState

    @property
    def warranty_until(self):
        return self.state.warranty_until


def product_terms(product):
    """The product's 三包 terms: its own, else its line's, term by term."""
    from kehu.analytics.warranty import WarrantyTerms, effective_terms

    if product is None:
        return WarrantyTerms()
    line = product.line.warranty_terms() if product.line_id else None
    return effective_terms(line, product.warranty_terms())


def _line_state(line, on: dt.date):
    from kehu.analytics.warranty import warranty_state

    return warranty_state(line.order.order_date, on, product_terms(line.product))


def installed_base_lines(*, viewer, customer):
    """The customer's delivered order lines that name a product, newest first (the
    customer must be visible: 404 otherwise)."""
    return visible_customer_installed_base(policy_for(viewer).get_visible(customer.pk))


def visible_customer_installed_base(customer):
    """:func:`installed_base_lines` of a customer the caller has already fetched through
    the policy (the 360 page): no second visibility check."""
    from kehu.sales.models import OrderLine, OrderStatus

    return (OrderLine.objects.filter(order__customer=customer, order__status=OrderStatus.DELIVERED,
                                     product__isnull=False)
            .select_related("order", "product", "product__line")
            .order_by("-order__order_date", "-order_id", "-id"))


def installed_items(lines, on: dt.date | None = None) -> list[InstalledItem]:
    """Order lines as installed items with their warranty state on ``on`` (today)."""
    on = on or timezone.localdate()
    return [InstalledItem(line=ln, order=ln.order, product=ln.product, serial_number=ln.serial_number,
                          purchased=ln.order.order_date, state=_line_state(ln, on)) for ln in lines]


def serial_lookup(*, viewer, serial: str, limit: int = 10):
    """The order lines with this serial (or heat) number among the orders the viewer
    may see, newest first; case does not matter."""
    from kehu.sales.models import OrderLine

    serial = (serial or "").strip()
    if not serial:
        return []
    qs = policy_for(viewer).visible(OrderLine.objects.all(), prefix="order__customer__")
    return list(qs.filter(serial_number__iexact=serial).select_related(
        "order", "order__customer", "product", "product__line").order_by("-order__order_date", "-id")[:limit])


def case_order_line(case: Case):
    """The order line a case is about: the one with the case's serial number (in the
    case's order, else among the customer's orders), else the case's order's line for
    the case's product, else None."""
    from kehu.sales.models import OrderLine

    qs = OrderLine.objects.select_related("order", "product", "product__line")
    if case.serial_number.strip():
        by_serial = qs.filter(serial_number__iexact=case.serial_number.strip())
        if case.order_id:
            found = by_serial.filter(order_id=case.order_id).first()
        elif case.customer_id:
            found = by_serial.filter(order__customer_id=case.customer_id).order_by("-order__order_date").first()
        else:
            found = None
        if found is not None:
            return found
    if case.order_id and case.product_id:
        return qs.filter(order_id=case.order_id, product_id=case.product_id).first()
    return None


def case_warranty(case: Case, on: dt.date | None = None):
    """The case's item's 三包 state (kehu/analytics/warranty.py) on ``on`` (today):
    bought on the order's date, under the terms of the case's product (else the
    order line's). None when no purchase date is known (no order)."""
    from kehu.analytics.warranty import warranty_state

    on = on or timezone.localdate()
    line = case_order_line(case)
    order = line.order if line is not None else (case.order if case.order_id else None)
    if order is None or not order.order_date:
        return None
    product = case.product if case.product_id else (line.product if line is not None else None)
    return warranty_state(order.order_date, on, product_terms(product))


def repair_list(case: Case):
    return case.repairs.select_related("technician").order_by("visited_on", "id")


def repair_get(case: Case, pk: int):
    try:
        return case.repairs.select_related("technician").get(pk=pk)
    except (ValueError, TypeError, case.repairs.model.DoesNotExist):
        raise Http404


def sla_policy_list(*, viewer):
    """The service-level policies: administrators only."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from kehu.service.models import SlaPolicy

    if not policy_for(viewer).is_admin:
        raise PermissionDenied(_("Only an administrator may see or change service-level policies."))
    return SlaPolicy.objects.all()


def sla_policy_get(*, viewer, pk: int):
    from django.shortcuts import get_object_or_404

    return get_object_or_404(sla_policy_list(viewer=viewer), pk=pk)


# -- attachments and intake links -------------------------------------------------------------------

def case_attachments(*, viewer, case: Case):
    """The files of a case the viewer may see (the caller fetched ``case`` through
    :func:`case_get`), newest first."""
    return case.attachments.select_related("uploaded_by").order_by("-created_at", "-id")


def case_attachment_get(*, viewer, case_pk, pk):
    """One attachment of a case the viewer may see; 404 otherwise."""
    from kehu.service.models import CaseAttachment

    case = case_get(viewer=viewer, pk=case_pk)
    try:
        attachment = CaseAttachment.objects.get(case=case, pk=pk)
    except (CaseAttachment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    attachment.case = case
    return attachment


def intake_link_list(*, viewer):
    """The public-form links: administrators only (403 otherwise)."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from kehu.service.models import IntakeLink

    if not policy_for(viewer).is_admin:
        raise PermissionDenied(_("Only an administrator may see or change the public form's links."))
    return IntakeLink.objects.select_related("product_line", "team")


def intake_link_get(*, viewer, pk):
    from kehu.service.models import IntakeLink

    try:
        return intake_link_list(viewer=viewer).get(pk=pk)
    except (IntakeLink.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def public_case(token: str):
    """The case of a status-lookup token, or 404 (also for an empty or malformed token)."""
    token = (token or "").strip()
    if not (20 <= len(token) <= 64):
        raise Http404
    try:
        return Case.objects.get(public_token=token)
    except Case.DoesNotExist:
        raise Http404 from None


# -- return visits ----------------------------------------------------------------------------

#: A survey return visit unanswered this long is due for a call (``kehu cases return-visits --due``).
SURVEY_ANSWER_WAIT = dt.timedelta(days=7)


def return_visits_waiting(*, viewer, due: bool = False, now=None):
    """The return visits waiting for their answer, of the cases the viewer may see, oldest
    first. ``due``: only those to act on now — a phone task due today or earlier (or
    without a due date), a survey unanswered for :data:`SURVEY_ANSWER_WAIT`."""
    from kehu.service.models import ReturnVisit, ReturnVisitChannel, ReturnVisitStatus

    now = now or timezone.now()
    qs = ReturnVisit.objects.filter(status=ReturnVisitStatus.WAITING,
                                    case__in=case_visible(viewer=viewer).values("pk"))
    if due:
        today = timezone.localdate(now)
        qs = qs.filter(
            Q(channel=ReturnVisitChannel.PHONE) & (Q(task__due_on__lte=today) | Q(task__due_on__isnull=True))
            | Q(channel=ReturnVisitChannel.SURVEY, created_at__lte=now - SURVEY_ANSWER_WAIT))
    return qs.select_related("case", "task__assigned_to", "invitation").order_by("created_at", "id")
