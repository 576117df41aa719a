"""The case pages: the service agent's queue (mine, my team's, unassigned,
breaching soon), registering a case (with caller matching), the case page
(timeline, handling steps, moves, validity, related cases, warranty), and the
forms that call the services. Reads through ``kehu.service.selectors``, writes
through ``kehu.service.services``; the policy decides (404 / 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.service import selectors
from kehu.service.forms import (
    AssignForm, CaseEditForm, CaseFilterForm, CaseForm, CommentForm, JudgeForm, StepForm, TransitionForm,
)
from kehu.service.models import STEP_ORDER, CaseKind
from kehu.service.services import (
    CaseConflict, TransitionNotAllowed, action_label, allowed_transitions, case_assign, case_comment, case_create, case_draft_article,
    case_from_interaction, case_judge, case_step, case_transition, case_update, required_steps,
)
from kehu.service.sla import case_sla
from kehu.web.lists import list_context
from kehu.web.views.common import add_service_errors, int_or_none, paginate

SORT_TIERS = {
    "-created": [Tier(Q(), ("-created_at", "-id"))],
    "created": [Tier(Q(), ("created_at", "id"))],
    "severity": [Tier(Q(), ("severity", "-created_at", "-id"))],
    "-severity": [Tier(Q(), ("-severity", "-created_at", "-id"))],
    "due": [Tier(Q(resolution_due__isnull=False), ("resolution_due", "id")),
            Tier(Q(resolution_due__isnull=True), ("-created_at", "-id"))],
}


def _sla(case, now):
    """The countdown to the resolution due time, for the queue and the case page:
    ``(state, minutes)`` — ``None`` when the SLA clock has set no due time."""
    if case.resolution_due is None or not case.is_open:
        return None
    minutes = int((case.resolution_due - now).total_seconds() // 60)
    if minutes < 0:
        return {"state": "overdue", "minutes": -minutes}
    return {"state": "soon" if minutes <= selectors.BREACHING_WITHIN.total_seconds() // 60 else "ok",
            "minutes": minutes}


@login_required
def case_queue(request):
    form = CaseFilterForm(request.GET or None)
    f = form.values()
    filters = selectors.CaseFilters(queue=f["queue"], status=f["status"], kind=f["kind"], severity=f["severity"],
                                    q=f["q"])
    qs = selectors.case_list(viewer=request.user, filters=filters)
    page = paginate(request, qs, tiers=SORT_TIERS[f["sort"]])
    now = timezone.now()
    for c in page.items:
        c.sla = _sla(c, now)
    return render(request, "service/queue.html", {
        "nav_active": "cases", "title": _("Cases"), "form": form, "page": page, "filters": f,
        "can_register": policy_for(request.user).can_register_cases,
        **list_context(request, "cases", sort=f["sort"]),
    })


def _assignable(request):
    return list(policy_for(request.user).assignable_users().order_by("display_name", "username")[:500])


@login_required
def case_create_view(request):
    """Register a case: for the customer of ``?customer=`` (from the 360 page), or a
    caller searched by phone, e-mail or name and linked with one click."""
    policy = policy_for(request.user)
    if not policy.can_register_cases:
        raise PermissionDenied
    customer = None
    customer_id = int_or_none(request.POST.get("customer") or request.GET.get("customer"))
    if customer_id:
        customer = policy.get_visible(customer_id)
    form = CaseForm(request.POST or None, categories=selectors.categories(), users=_assignable(request),
                    initial={"caller_phone": request.GET.get("phone", ""), "caller_name": request.GET.get("name", "")})
    matches = []
    if customer is None:
        phone = (request.POST.get("caller_phone") or request.GET.get("phone") or "").strip()
        email = (request.POST.get("caller_email") or request.GET.get("email") or "").strip()
        name = (request.POST.get("caller_name") or request.GET.get("name") or "").strip()
        if phone or email or name:
            matches = selectors.caller_matches(viewer=request.user, phone=phone, email=email, name=name)
    if request.method == "POST" and form.is_valid() and request.POST.get("find") is None:
        data = form.service_data()
        data["customer"] = customer
        try:
            case = case_create(actor=request.user, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Case %(ref)s registered.") % {"ref": case.ref})
            return redirect("case_detail", pk=case.pk)
    return render(request, "service/form.html", {
        "nav_active": "cases", "title": _("Register a case"), "form": form, "customer": customer,
        "matches": matches,
        "back": reverse("customer_detail", args=[customer.pk]) if customer else reverse("case_queue"),
    })


@login_required
@require_POST
def case_from_interaction_view(request, interaction_pk):
    from kehu.engagement.selectors import interaction_get

    interaction = interaction_get(viewer=request.user, pk=interaction_pk)
    try:
        case = case_from_interaction(actor=request.user, interaction=interaction)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("customer_detail", args=[interaction.customer_id]) + "#timeline")
    messages.success(request, _("Case %(ref)s registered.") % {"ref": case.ref})
    return redirect("case_detail", pk=case.pk)


@login_required
def case_detail(request, pk):
    case = selectors.case_get(viewer=request.user, pk=pk)
    policy = policy_for(request.user)
    can_change = policy.can_change_case(case)
    steps = selectors.case_steps(case) if case.kind == CaseKind.COMPLAINT else []
    needed = set(required_steps())
    for s in steps:
        s.required = s.step in needed
    moves = [{"to": to, "label": action_label(case.status, to)} for to in allowed_transitions(case)]
    ctx = {
        "nav_active": "cases", "title": f"{case.ref} {case.subject}", "case": case, "can_change": can_change,
        "events": list(selectors.case_events(case)), "steps": steps, "moves": moves,
        "related": selectors.related_cases(viewer=request.user, case=case),
        "warranty": selectors.warranty_status(case), "sla": _sla(case, timezone.now()),
        "sla_state": case_sla(case),
        "suggested_articles": _suggested_articles(case, request.user),
        "can_draft_article": (policy_for(request.user).may_write_kb and bool((case.resolution or "").strip())
                              and case.status in ("resolved", "return_visited", "closed")),
    }
    if can_change:
        categories = selectors.categories()
        from kehu.org.models import Role, User

        approvers = list(User.objects.filter(is_active=True).filter(
            Q(role__in=[Role.ADMIN, Role.SALES_MANAGER]) | Q(is_superuser=True)).order_by("display_name", "username")[:200])
        ctx.update(
            edit_form=CaseEditForm(initial={**{f: getattr(case, f) for f in (
                "severity", "subject", "description", "wants", "cause_category", "root_cause", "resolution",
                "compensation_kind", "compensation_amount")}, "version": case.version,
                "category": case.category_id, "compensation_approved_by": case.compensation_approved_by_id},
                categories=categories, approvers=approvers),
            comment_form=CommentForm(), assign_form=AssignForm(
                initial={"version": case.version, "assignee": case.assignee_id}, users=_assignable(request)),
            judge_form=JudgeForm(initial={"version": case.version,
                                          "valid": {"valid": "yes", "invalid": "no"}.get(case.validity),
                                          "explanation": case.invalid_explanation}),
        )
    return render(request, "service/detail.html", ctx)


def _suggested_articles(case, viewer) -> list:
    """Published knowledge-base articles that match the case's text, those of its
    category first (kehu.kb.selectors.suggest_articles)."""
    from kehu.kb.selectors import suggest_articles

    text = " ".join(x for x in (case.subject, case.description) if x)
    code = case.category.code if case.category_id else ""
    return suggest_articles(text, 5, case_category_code=code) if text.strip() else []


def _changeable(request, pk):
    case = selectors.case_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change_case(case):
        raise PermissionDenied
    return case


def _back(case, anchor=""):
    return redirect(reverse("case_detail", args=[case.pk]) + anchor)


def _report(request, exc) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc))


@login_required
@require_POST
def case_transition_view(request, pk):
    case = _changeable(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return _back(case)
    d = form.cleaned_data
    try:
        case_transition(actor=request.user, case=case, to_status=d["to"], note=d["note"], version=d["version"])
    except (ValidationError, CaseConflict, TransitionNotAllowed) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Case %(ref)s is now “%(status)s”.") % {
            "ref": case.ref, "status": case.get_status_display()})
    return _back(case)


@login_required
@require_POST
def case_edit_view(request, pk):
    case = _changeable(request, pk)
    from kehu.org.models import User

    form = CaseEditForm(request.POST, categories=selectors.categories(),
                        approvers=list(User.objects.filter(is_active=True)))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}")
        return _back(case, "#details")
    data, version = form.service_data()
    try:
        case_update(actor=request.user, case=case, data=data, version=version)
    except (ValidationError, CaseConflict) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Case saved."))
    return _back(case, "#details")


@login_required
@require_POST
def case_judge_view(request, pk):
    case = _changeable(request, pk)
    form = JudgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the complaint is valid."))
        return _back(case, "#validity")
    d = form.cleaned_data
    try:
        case_judge(actor=request.user, case=case, valid=d["valid"], explanation=d["explanation"],
                   version=d["version"])
    except (ValidationError, CaseConflict) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Validity saved."))
    return _back(case, "#validity")


@login_required
@require_POST
def case_step_view(request, pk, step):
    case = _changeable(request, pk)
    form = StepForm(request.POST)
    if step not in STEP_ORDER or not form.is_valid():
        messages.error(request, _("Unknown step."))
        return _back(case, "#steps")
    d = form.cleaned_data
    try:
        case_step(actor=request.user, case=case, step=step, done=d["done"], note=d["note"], version=d["version"])
    except (ValidationError, CaseConflict) as exc:
        _report(request, exc)
    return _back(case, "#steps")


@login_required
@require_POST
def case_comment_view(request, pk):
    case = _changeable(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        case_comment(actor=request.user, case=case, note=form.cleaned_data["note"])
    else:
        messages.error(request, _("Write the comment."))
    return _back(case, "#timeline")


@login_required
@require_POST
def case_draft_article_view(request, pk):
    """A resolved case becomes a draft knowledge-base article; on to its edit form."""
    case = selectors.case_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).may_write_kb:
        raise PermissionDenied
    try:
        article = case_draft_article(actor=request.user, case=case)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(case)
    messages.success(request, _("A draft article was written from this case: check it and publish it."))
    return redirect("kb_edit", article.pk)


@login_required
@require_POST
def case_assign_view(request, pk):
    case = _changeable(request, pk)
    form = AssignForm(request.POST, users=_assignable(request))
    if not form.is_valid():
        messages.error(request, _("Choose someone you may give cases to."))
        return _back(case)
    try:
        case_assign(actor=request.user, case=case, assignee=form.user(), version=form.cleaned_data["version"])
    except (ValidationError, CaseConflict) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Case assigned."))
    return _back(case)



# -- service analytics (服务分析) -------------------------------------------------

def _analytics_form(request):
    from kehu.org.models import Team
    from kehu.sales.models import ProductLine
    from kehu.service.forms import AnalyticsForm

    data = request.GET if any(k in request.GET for k in ("from", "to", "team", "kind", "line", "follow_up")) else None
    form = AnalyticsForm(data, teams=Team.objects.order_by("path"), lines=ProductLine.objects.order_by("name"))
    f = form.filters()
    try:
        f.repeat_page = max(1, int(request.GET.get("repeat_page", 1)))
    except (TypeError, ValueError):
        f.repeat_page = 1
    return form, f


def _analytics_query(f) -> str:
    from django.utils.http import urlencode

    return urlencode(f.as_params())


@login_required
def case_analytics(request):
    """The service analytics page: every figure over the cases the user may see
    (the recovery test loads after the page, from :func:`case_analytics_recovery`)."""
    from kehu.service import report as report_charts
    from kehu.service.analytics import service_report

    form, f = _analytics_form(request)
    r = service_report(viewer=request.user, filters=f, with_recovery=False)
    return render(request, "service/analytics.html", {
        "nav_active": "case_analytics", "title": _("Service analytics"), "form": form, "r": r,
        "charts": report_charts.charts(r), "query": _analytics_query(f), **report_charts.tables(r),
    })


@login_required
def case_analytics_recovery(request):
    """The service-recovery paradox test of the analytics page (an htmx fragment, or a page)."""
    from kehu.service.analytics import recovery_test

    _form, f = _analytics_form(request)
    rec = recovery_test(viewer=request.user, filters=f)
    if request.headers.get("HX-Request"):
        return render(request, "service/_analytics_recovery.html", {"rec": rec})
    return render(request, "service/analytics_recovery.html", {
        "nav_active": "case_analytics", "title": _("The service-recovery paradox"), "rec": rec,
        "query": _analytics_query(f)})


@login_required
def case_analytics_pdf(request):
    """The service analytics as a PDF (audited as the export ``case_report``)."""
    from django.http import HttpResponse
    from django.utils import translation
    from django.utils.http import content_disposition_header

    from kehu.exports.audit import export_audit_finish, export_audit_start
    from kehu.service.report import report_pdf

    _form, f = _analytics_form(request)
    event = export_audit_start(actor=request.user, export="case_report", fmt="pdf", via="web",
                               filters=f.as_params())
    pdf = report_pdf(viewer=request.user, filters=f, language=translation.get_language())
    export_audit_finish(event, rows=None)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"service-analytics-{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.pdf")
    return response
