"""The case pages: the service agent's queue (mine, my team's, unassigned,
breaching soon), registering a case (with caller matching), the case page
(timeline, handling steps, moves, validity, related cases, warranty), and the
forms that call the services. Reads through ``kehu.service.selectors``, writes
through ``kehu.service.services``; the policy decides (404 / 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.service import selectors
from kehu.service.forms import (
    AssignForm, CaseEditForm, CaseFilterForm, CaseForm, CommentForm, JudgeForm, ReturnVisitResultForm,
    ReturnVisitStartForm, ServiceSettingsForm, StepForm, TransitionForm,
    AssignForm, CaseEditForm, CaseFilterForm, CaseForm, CommentForm, JudgeForm, RepairForm, StepForm, TransitionForm,
    WarrantyTermsForm,
)
from kehu.service.models import STEP_ORDER, CaseKind
from kehu.service.services import (
    CaseConflict, TransitionNotAllowed, action_label, allowed_transitions, case_assign, case_comment, case_create, case_draft_article,
    case_from_interaction, case_judge, case_step, case_transition, case_update, repair_create, repair_delete,
    repair_update, required_steps,
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
    form = CaseFilterForm(request.GET or None, partners=policy_for(request.user).partner_choices())
    f = form.values()
    filters = selectors.CaseFilters(queue=f["queue"], status=f["status"], kind=f["kind"], severity=f["severity"],
                                    q=f["q"], partner_id=f["partner_id"])
    qs = selectors.case_list(viewer=request.user, filters=filters)
    page = paginate(request, qs, tiers=SORT_TIERS[f["sort"]])
    now = timezone.now()
    for c in page.items:
        c.sla = _sla(c, now)
    return render(request, "service/queue.html", {
        "nav_active": "cases", "title": _("Cases"), "form": form, "page": page, "filters": f,
        "can_register": policy_for(request.user).can_register_cases, "is_admin": policy_for(request.user).is_admin,
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
                    partners=policy.partner_choices(),
                    initial={"caller_phone": request.GET.get("phone", ""), "caller_name": request.GET.get("name", "")})
    lookup_url = reverse("case_serial_lookup") + (f"?customer={customer.pk}" if customer else "")
    form.fields["serial_number"].widget.attrs["hx-get"] = lookup_url
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
        line = _chosen_line(request, customer, data.get("serial_number", ""))
        if line is not None:
            data.update(customer=line.order.customer, order=line.order, product=line.product,
                        serial_number=line.serial_number)
        try:
            case = case_create(actor=request.user, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Case %(ref)s registered.") % {"ref": case.ref})
            return redirect("case_detail", pk=case.pk)
    serial = (request.POST.get("serial_number") or "").strip()
    return render(request, "service/form.html", {
        "nav_active": "cases", "title": _("Register a case"), "form": form, "customer": customer,
        "matches": matches, "serial_lines": _serial_lines(request, customer, serial) if serial else None,
        "chosen_line": int_or_none(request.POST.get("order_line")),
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
        "events": list(selectors.case_events(case, viewer=request.user)), "steps": steps, "moves": moves,
        "related": selectors.related_cases(viewer=request.user, case=case),
        "warranty": selectors.case_warranty(case), "sla": _sla(case, timezone.now()),
        "repairs": list(selectors.repair_list(case)),
        "sla_state": case_sla(case),
        **_attachment_section(request, case, can_change=can_change),
        **_return_visit_context(case, can_change, request.user),
        "can_draft_article": (policy_for(request.user).may_write_kb and bool((case.resolution or "").strip())
                              and case.status in ("resolved", "return_visited", "closed")),
    }
    if can_change:
        ctx.update(
            can_edit=True,
            comment_form=CommentForm(may_write_internal=policy.may_write_internal_notes), assign_form=AssignForm(
                initial={"version": case.version, "assignee": case.assignee_id}, users=_assignable(request)),
            judge_form=JudgeForm(initial={"version": case.version,
                                          "valid": {"valid": "yes", "invalid": "no"}.get(case.validity),
                                          "explanation": case.invalid_explanation}),
        )
    return render(request, "service/detail.html", ctx)


@login_required
@require_http_methods(["GET", "HEAD"])
def case_articles_view(request, pk):
    """The case's suggested articles: loaded after the case page (htmx), so that the
    full-text search over the knowledge base does not hold the page up; a small page of
    its own without JavaScript."""
    case = selectors.case_get(viewer=request.user, pk=pk)
    ctx = {"case": case, "suggested_articles": _suggested_articles(case, request.user)}
    if request.headers.get("HX-Request"):
        return render(request, "service/_case_articles.html", ctx)
    return render(request, "service/case_articles.html", {
        **ctx, "nav_active": "cases", "title": _("Suggested articles")})


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


def _edit_form(case):
    """The form that changes a case's details (loaded when the agent opens it: its category
    and approver lists are the heaviest part of the case page)."""
    from kehu.org.models import Role, User

    approvers = list(User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.ADMIN, Role.SALES_MANAGER]) | Q(is_superuser=True)).order_by("display_name", "username")[:200])
    return CaseEditForm(initial={**{f: getattr(case, f) for f in (
        "severity", "subject", "description", "wants", "cause_category", "root_cause", "resolution",
        "compensation_kind", "compensation_amount")}, "version": case.version,
        "category": case.category_id, "compensation_approved_by": case.compensation_approved_by_id},
        categories=selectors.categories(), approvers=approvers)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_edit_view(request, pk):
    """GET: the edit form (a fragment for htmx inside the case page, else a page);
    POST: save it."""
    case = _changeable(request, pk)
    from kehu.org.models import User

    if request.method != "POST":
        ctx = {"case": case, "edit_form": _edit_form(case)}
        if request.headers.get("HX-Request"):
            return render(request, "service/_case_edit.html", ctx)
        return render(request, "service/case_edit.html", {
            **ctx, "nav_active": "cases", "title": _("Edit the details of %(ref)s") % {"ref": case.ref}})
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
    form = CommentForm(request.POST, may_write_internal=policy_for(request.user).may_write_internal_notes)
    if form.is_valid():
        case_comment(actor=request.user, case=case, note=form.cleaned_data["note"],
                     internal=form.cleaned_data.get("internal", False))
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



# -- attachments ---------------------------------------------------------------------------------

def _attachment_section(request, case, *, errors=None, can_change=None):
    from kehu.attachments.views import upload_section

    if can_change is None:
        can_change = policy_for(request.user).can_change_case(case)
    return upload_section(
        attachments=selectors.case_attachments(viewer=request.user, case=case),
        upload_url=reverse("case_attachments", args=[case.pk]),
        download_url=lambda a: reverse("case_attachment_download", args=[case.pk, a.pk]),
        delete_url=lambda a: reverse("case_attachment_delete", args=[case.pk, a.pk]),
        can_change=can_change, errors=errors, testid="case-attachments", input_id="case-attachment-file",
        public_upload=True)


@login_required
@require_http_methods(["GET", "POST"])
def case_attachments_view(request, pk):
    """GET: the case's Attachments section (for htmx); POST: upload one or more files."""
    from kehu.service.services import case_attachment_upload

    case = selectors.case_get(viewer=request.user, pk=pk)
    errors = []
    if request.method == "POST":
        if not policy_for(request.user).can_change_case(case):
            raise PermissionDenied
        files = request.FILES.getlist("file")
        if not files:
            errors.append(_("Choose a file to upload."))
        for upload in files:
            try:
                case_attachment_upload(actor=request.user, case=case, upload=upload)
            except ValidationError as exc:
                for message in exc.message_dict.get("file", exc.messages):
                    errors.append(f"{upload.name}: {message}")
        if not request.htmx:
            for e in errors:
                messages.error(request, e)
            if not errors:
                messages.success(request, _("File attached."))
            return _back(case, "#attachments")
    return render(request, "attachments/_section.html", _attachment_section(request, case, errors=errors))


@login_required
@require_http_methods(["GET", "HEAD"])
def case_attachment_download(request, pk, att):
    from django.http import FileResponse, Http404

    from kehu.service.services import case_attachment_open

    attachment = selectors.case_attachment_get(viewer=request.user, case_pk=pk, pk=att)
    try:
        handle = case_attachment_open(actor=request.user, attachment=attachment)
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def case_attachment_delete_view(request, pk, att):
    """GET: the confirmation page; POST: delete (htmx: the section again)."""
    from kehu.service.services import case_attachment_delete

    attachment = selectors.case_attachment_get(viewer=request.user, case_pk=pk, pk=att)
    case = attachment.case
    if not policy_for(request.user).can_change_case(case):
        raise PermissionDenied
    if request.method == "POST":
        case_attachment_delete(actor=request.user, attachment=attachment)
        if request.htmx:
            return render(request, "attachments/_section.html", _attachment_section(request, case, can_change=True))
        messages.success(request, _("Attachment deleted."))
        return _back(case, "#attachments")
    return render(request, "attachments/delete.html", {
        "nav_active": "cases", "title": _("Delete the attachment %(name)s") % {"name": attachment.name},
        "attachment": attachment, "back": reverse("case_detail", args=[case.pk]) + "#attachments",
    })


# -- return visits (回访) -----------------------------------------------------------------

def _return_visit_context(case, can_change: bool, viewer=None) -> dict:
    """The case page's return-visit card: every visit (latest first), the one waiting,
    and the forms to start one or record its result."""
    from kehu.service.models import CaseStatus, ReturnVisitStatus
    from kehu.service.return_visits import service_settings

    visits = list(case.return_visits.select_related(
        "invitation__wave__survey", "invitation__response", "task", "recorded_by", "escalation__recipient")
        .order_by("-number")[:20])
    waiting = next((v for v in visits if v.status == ReturnVisitStatus.WAITING), None)
    ctx = {"return_visits": visits, "return_visit_waiting": waiting,
           "return_visit_setting": service_settings().mode_for(case.kind)}
    answered = next((v for v in visits if v.response_id), None)
    if answered is not None and viewer is not None:
        from django.http import Http404

        from kehu.surveys.selectors_loop import response_answers, response_get

        try:
            response = response_get(viewer=viewer, pk=answered.response_id)
        except Http404:  # an assignee who sees the case but not its customer
            pass
        else:
            ctx.update(response=response, answers=response_answers(response))
    if can_change:
        if waiting is not None:
            ctx["return_visit_form"] = ReturnVisitResultForm(initial={"version": case.version})
        elif case.status == CaseStatus.RESOLVED:
            ctx["return_visit_start_form"] = ReturnVisitStartForm()
    return ctx


@login_required
@require_POST
def case_return_visit_start_view(request, pk):
    from kehu.service.return_visits import return_visit_start

    case = _changeable(request, pk)
    form = ReturnVisitStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose survey or phone."))
        return _back(case, "#return-visit")
    try:
        visit = return_visit_start(actor=request.user, case=case, channel=form.cleaned_data["channel"])
    except ValidationError as exc:
        _report(request, exc)
    else:
        if visit.fallback_reason:
            messages.warning(request, _("No survey was sent: %(reason)s. A phone return visit was set up instead.")
                             % {"reason": visit.fallback_reason})
        else:
            messages.success(request, _("Return visit started."))
    return _back(case, "#return-visit")


@login_required
@require_POST
def case_return_visit_result_view(request, pk):
    from kehu.service.return_visits import return_visit_record

    case = _changeable(request, pk)
    form = ReturnVisitResultForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return _back(case, "#return-visit")
    d = form.cleaned_data
    try:
        return_visit_record(actor=request.user, case=case, satisfied=d["result"] == "satisfied", note=d["note"],
                            score=d["score"], version=d["version"])
    except (ValidationError, CaseConflict) as exc:
        _report(request, exc)
    else:
        case.refresh_from_db()
        messages.success(request, _("Return visit recorded; case %(ref)s is now “%(status)s”.") % {
            "ref": case.ref, "status": case.get_status_display()})
    return _back(case, "#return-visit")


@login_required
def service_settings_view(request):
    """The company's service settings (administrators): the return visit of each kind of case."""
    from kehu.service.models import CaseKind
    from kehu.service.return_visits import service_settings, service_settings_save
    from kehu.surveys.models import Survey, SurveyKind, SurveyStatus

    if not policy_for(request.user).is_admin:
        raise PermissionDenied
    row = service_settings()
    surveys = list(Survey.objects.filter(kind=SurveyKind.CUSTOMER, status=SurveyStatus.ACTIVE).order_by("code")[:500])
    initial = {f"kind_{k}": row.mode_for(k) for k in CaseKind.values}
    initial["return_visit_survey"] = row.return_visit_survey_id
    form = ServiceSettingsForm(request.POST or None, initial=initial, surveys=surveys)
    if request.method == "POST" and form.is_valid():
        modes, survey = form.values()
        try:
            service_settings_save(actor=request.user, return_visits=modes, survey=survey)
        except ValidationError as exc:
            add_service_errors(form, exc, {k: f"kind_{k}" for k in CaseKind.values})
        else:
            messages.success(request, _("Service settings saved."))
            return redirect("case_settings")
    return render(request, "service/settings.html", {
        "nav_active": "cases", "title": _("Service settings"), "form": form})


# -- serial-number lookup, repairs, warranty terms, installed base -------------------------

def _serial_lines(request, customer, serial: str) -> list:
    """The order lines with this serial the user may see (of ``customer`` when given)."""
    lines = selectors.serial_lookup(viewer=request.user, serial=serial)
    if customer is not None:
        lines = [ln for ln in lines if ln.order.customer_id == customer.pk]
    return lines


def _chosen_line(request, customer, serial: str):
    """The order line a new case is about: the one picked in the lookup (``order_line``),
    else — without JavaScript — the only line with the typed serial number."""
    lines = _serial_lines(request, customer, serial) if serial.strip() else []
    chosen = int_or_none(request.POST.get("order_line"))
    if chosen is not None:
        from kehu.sales.models import OrderLine

        qs = policy_for(request.user).visible(OrderLine.objects.all(), prefix="order__customer__")
        if customer is not None:
            qs = qs.filter(order__customer=customer)
        return qs.select_related("order", "order__customer", "product").filter(pk=chosen).first()
    return lines[0] if len(lines) == 1 else None


@login_required
def case_serial_lookup(request):
    """htmx: the order lines a typed serial (or heat) number names, to pick one; the
    case form's no-JS save does the same lookup."""
    customer = None
    customer_id = int_or_none(request.GET.get("customer"))
    if customer_id:
        customer = policy_for(request.user).get_visible(customer_id)
    serial = (request.GET.get("serial_number") or "").strip()[:100]
    lines = _serial_lines(request, customer, serial) if serial else None
    return render(request, "service/_serial_lookup.html", {"serial_lines": lines, "chosen_line": None})


def _repair_users(request):
    from kehu.org.models import User

    return list(User.objects.filter(is_active=True).order_by("display_name", "username")[:500])


def _repair_form(request, case, data=None, repair=None):
    if repair is not None:
        initial = {f: getattr(repair, f) for f in (
            "fault", "parts", "labour_hours", "parts_cost", "labour_cost", "visited_on", "revisited_on", "result",
            "in_warranty", "charged")}
        initial["technician"] = repair.technician_id
    else:
        state = selectors.case_warranty(case)
        in_warranty = bool(state and state.in_warranty)
        initial = {"technician": request.user.pk, "visited_on": timezone.localdate(),
                   "in_warranty": in_warranty, "charged": not in_warranty}
    return RepairForm(data, initial=initial, users=_repair_users(request))


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def repair_add_view(request, pk):
    """GET: the form for a new repair record (a fragment for htmx inside the case page,
    else a page); POST: record it."""
    case = _changeable(request, pk)
    if request.method != "POST":
        ctx = {"case": case, "repair_form": _repair_form(request, case)}
        if request.headers.get("HX-Request"):
            return render(request, "service/_repair_add.html", ctx)
        return render(request, "service/repair_add.html", {
            **ctx, "nav_active": "cases", "title": _("Record a repair on case %(ref)s") % {"ref": case.ref}})
    form = _repair_form(request, case, request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "#repairs")
    try:
        repair_create(actor=request.user, case=case, data=form.service_data())
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Repair recorded."))
    return _back(case, "#repairs")


@login_required
def repair_edit_view(request, pk, repair_pk):
    case = _changeable(request, pk)
    repair = selectors.repair_get(case, repair_pk)
    form = _repair_form(request, case, request.POST or None, repair=repair)
    if request.method == "POST" and form.is_valid():
        try:
            repair_update(actor=request.user, repair=repair, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Repair saved."))
            return _back(case, "#repairs")
    return render(request, "service/repair_form.html", {
        "nav_active": "cases", "title": _("Repair on case %(ref)s") % {"ref": case.ref}, "case": case,
        "repair": repair, "form": form,
    })


@login_required
@require_POST
def repair_delete_view(request, pk, repair_pk):
    case = _changeable(request, pk)
    repair = selectors.repair_get(case, repair_pk)
    repair_delete(actor=request.user, repair=repair)
    messages.success(request, _("Repair deleted."))
    return _back(case, "#repairs")


INSTALLED_CARD = 10


@login_required
def installed_base_view(request, customer_pk):
    """The customer's installed base: delivered items, serials, warranty (paged)."""
    from kehu.customers.selectors import customer_get

    customer = customer_get(viewer=request.user, pk=customer_pk)
    qs = selectors.installed_base_lines(viewer=request.user, customer=customer)
    page = paginate(request, qs, ("-order_id", "-id"))
    page.items = selectors.installed_items(page.items)
    return render(request, "service/installed_base.html", {
        "nav_active": "customers", "title": _("Installed base of %(name)s") % {"name": customer.name},
        "customer": customer, "page": page, "items": page.items,
    })


def _may_manage_catalogue(user) -> bool:
    from kehu.sales.services import _may_manage_catalogue

    return _may_manage_catalogue(user)


@login_required
def warranty_terms_view(request):
    """The 三包 terms of every product line (read by all; changed by those who keep
    the catalogue), one form a line."""
    from kehu.sales.models import ProductLine
    from kehu.sales.services import product_line_set_warranty

    can_manage = _may_manage_catalogue(request.user)
    lines = list(ProductLine.objects.annotate(product_count=Count("products")).order_by("name", "id"))
    edited, form = None, None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        edited = next((ln for ln in lines if ln.pk == int_or_none(request.POST.get("line"))), None)
        if edited is None:
            messages.error(request, _("Choose a product line."))
            return redirect("warranty_terms")
        form = WarrantyTermsForm(request.POST)
        if form.is_valid():
            try:
                product_line_set_warranty(actor=request.user, line=edited, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Warranty terms of %(name)s saved.") % {"name": edited.name})
                return redirect(reverse("warranty_terms") + f"#line-{edited.pk}")
    rows = []
    for ln in lines:
        if edited is not None and ln.pk == edited.pk:
            row_form = form
        elif can_manage:
            row_form = WarrantyTermsForm(initial={
                "warranty_months": ln.warranty_months, "return_days": ln.return_days,
                "exchange_days": ln.exchange_days}, auto_id=f"id_line{ln.pk}_%s")
        else:
            row_form = None
        rows.append({"line": ln, "form": row_form})
    return render(request, "service/warranty_terms.html", {
        "nav_active": "products", "title": _("Warranty terms (三包)"), "rows": rows, "can_manage": can_manage,
    })


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
    r = service_report(viewer=request.user, filters=f, with_recovery=False, with_orders=False,
                       with_medians=False)
    return render(request, "service/analytics.html", {
        "nav_active": "case_analytics", "title": _("Service analytics"), "form": form, "r": r,
        "charts": report_charts.charts(r), "query": _analytics_query(f), **report_charts.tables(r),
    })


@login_required
def case_analytics_orders(request):
    """The analytics' three figures that read the orders (complaints per 1,000 orders, the
    customers kept, the rate by product line), loaded after the page: an htmx fragment
    that fills their three places (out-of-band swaps), or a page of their own."""
    from kehu.service import report as report_charts
    from kehu.service.analytics import order_figures

    _form, f = _analytics_form(request)
    r = order_figures(viewer=request.user, filters=f)
    tables = report_charts.performance_tables(r)
    if request.headers.get("HX-Request"):
        return render(request, "service/_analytics_orders.html", {"r": r, **tables})
    return render(request, "service/analytics_orders.html", {**tables,
        "nav_active": "case_analytics", "title": _("Service analytics: the figures from the orders"), "r": r,
        "query": _analytics_query(f)})


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
