"""The distribution pages of a survey: its waves, a wave's population and
sample (with the live sample-size calculator and a preview), invitations with
their links and QR codes (one by one or as a printable sheet), sending and
reminders, phone interviews and importing answers.

Everyone active reads waves; the runners (``distribution.may_run_waves``)
change them; invitations and answers are listed through the visibility
policy. The services check again.
"""

from __future__ import annotations

import io
import os
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kehu.analytics import sampling
from kehu.customers.models import Customer
from kehu.org.models import PartnerType, Team
from kehu.org.policies import policy_for
from kehu.privacy.masking import mask_customers, mask_invitations
from kehu.runtime import liveness, public_url
from kehu.surveys import answers as answers_mod
from kehu.surveys import selectors, texts
from kehu.surveys import selectors_distribution as dsel
from kehu.surveys.forms_distribution import CalculatorForm, ImportForm, SampleForm, WaveForm
from kehu.surveys.models import (
    HoldReason, InvitationStatus, Response, ResponseStatus, Survey, SurveyKind, Wave, WaveStatus,
)
from kehu.surveys.navigation import survey_tabs
from kehu.surveys.services import distribution as svc
from kehu.surveys.services import import_answers as imp
from kehu.surveys.views_answer import questionnaire_items
from kehu.web.views.common import add_service_errors, paginate

BIG_SAMPLE = 5000
QR_SHEET_PAGE = 24


def _survey(request, pk) -> Survey:
    return selectors.survey_get(viewer=request.user, pk=pk)


def _wave(request, pk, w) -> Wave:
    survey = _survey(request, pk)
    return dsel.wave_get(viewer=request.user, pk=w, survey=survey)


def _runner(request) -> None:
    if not svc.may_run_waves(request.user):
        raise PermissionDenied


def _context(request, survey: Survey, **extra) -> dict:
    ctx = {"nav_active": "surveys", "survey": survey, "tabs": survey_tabs(survey, "waves"), "tab": "waves",
           "can_run": svc.may_run_waves(request.user), "can_phone": svc.may_enter_phone(request.user)}
    ctx.update(extra)
    return ctx


def _errors_to_messages(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def population_text(population: dict) -> str:
    """The population in words, e.g. "Segment: Gold customers" or "Region: East China, Type: Organisation"."""
    from kehu.customers.models import CustomerType, LifecycleStage, Region

    if not population:
        return _("All customers you may see")
    if population.get("segment_id"):
        from kehu.insights.models import Segment

        seg = Segment.objects.filter(pk=population["segment_id"]).first()
        return _("Segment: %(name)s") % {"name": seg.name if seg else _("(deleted)")}
    f = population.get("filters") or {}
    if not f:
        return _("All customers you may see")
    parts = []
    labels = {"kind": (_("Type"), dict(CustomerType.choices)), "stage": (_("Lifecycle stage"), dict(LifecycleStage.choices)),
              "region": (_("Region"), dict(Region.choices))}
    for key, (label, choices) in labels.items():
        if f.get(key):
            parts.append(f"{label}: {choices.get(f[key], f[key])}")
    if f.get("owner_id"):
        from kehu.org.models import User

        u = User.objects.filter(pk=f["owner_id"]).first()
        parts.append(_("Owner: %(name)s") % {"name": (u.get_full_name() or u.username) if u else "?"})
    if f.get("team_id"):
        from kehu.org.models import Team

        t = Team.objects.filter(pk=f["team_id"]).first()
        parts.append(_("Team: %(name)s") % {"name": t.name if t else "?"})
    if f.get("tag"):
        parts.append(_("Tag: %(name)s") % {"name": f["tag"]})
    if f.get("tier"):
        from kehu.insights.models import ValueTier

        parts.append(_("Value tier: %(name)s") % {"name": dict(ValueTier.choices).get(f["tier"], f["tier"])})
    return ", ".join(parts)


# --------------------------------------------------------------------------
# Waves
# --------------------------------------------------------------------------

@login_required
def wave_list(request, pk):
    survey = _survey(request, pk)
    waves = list(dsel.wave_list(viewer=request.user, survey=survey))
    return render(request, "surveys/waves/list.html", _context(
        request, survey, title=_("Waves of %(code)s") % {"code": survey.code}, waves=waves))


def _wave_form_page(request, survey: Survey, wave: Wave | None):
    _runner(request)
    form = WaveForm(request.POST or None, instance=wave, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if wave is None:
                wave = svc.wave_create(actor=request.user, survey=survey, name=d["name"], opens_on=d["opens_on"],
                                       closes_on=d["closes_on"], population=form.population(),
                                       reminder_after_days=d["reminder_after_days"], max_reminders=d["max_reminders"])
                messages.success(request, _("Wave %(name)s created. Next: draw its sample.") % {"name": wave.name})
            else:
                data = {k: d[k] for k in ("name", "opens_on", "closes_on", "reminder_after_days", "max_reminders")}
                data["population"] = form.population()
                svc.wave_update(actor=request.user, wave=Wave.objects.get(pk=wave.pk), data=data)
                messages.success(request, _("Wave %(name)s saved.") % {"name": d["name"]})
            return redirect("survey_wave_detail", pk=survey.pk, w=wave.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, "surveys/waves/form.html", _context(
        request, survey, form=form, wave=wave,
        title=_("New wave") if wave is None else _("Change wave %(name)s") % {"name": wave.name}))


@login_required
def wave_create(request, pk):
    return _wave_form_page(request, _survey(request, pk), None)


@login_required
def wave_edit(request, pk, w):
    wave = _wave(request, pk, w)
    return _wave_form_page(request, wave.survey, wave)


@login_required
def wave_detail(request, pk, w):
    wave = _wave(request, pk, w)
    counts = dsel.invitation_counts(viewer=request.user, wave=wave)
    responses = dsel.response_list(viewer=request.user, wave=wave)
    employee = wave.survey.kind == SurveyKind.EMPLOYEE
    if employee:
        # anonymous answers are counted, never listed (kehu/surveys/staff)
        responses = Response.objects.filter(wave=wave) if can_run_or_see_all(request.user) \
            else Response.objects.none()
    complete = responses.filter(status=ResponseStatus.COMPLETE).count()
    rows = [(s, label, counts.get(s, 0)) for s, label in InvitationStatus.choices]
    return render(request, "surveys/waves/detail.html", _context(
        request, wave.survey, wave=wave, title=wave.name, counts=counts, status_rows=rows,
        complete=complete, partial=responses.filter(status=ResponseStatus.PARTIAL).count(),
        rate=(complete / counts["total"] * 100) if counts["total"] else None,
        population=(_("The users of the channel's active partners") if wave.survey.kind == "partner"
                    else population_text(wave.population)), design=wave.sample_design or {},
        has_sample=svc.wave_has_sample(wave), accepts=svc.wave_accepts_answers(wave),
        pending_email=wave.invitations.filter(status__in=[InvitationStatus.PENDING, InvitationStatus.HELD])
        .exclude(email="").count(),
        held=dsel.held_counts(viewer=request.user, wave=wave),
        due=len(svc.reminders_due(wave=wave)) if wave.status == WaveStatus.OPEN else 0,
        public_url=settings.KEHU_PUBLIC_URL, employee=employee,
        teams=Team.objects.order_by("path") if employee else None,
        staff_results=employee and policy_for(request.user).may_see_employee_results,
        partner_types=PartnerType.choices,
        # administrators learn when the links point at an address that does not answer
        public_url_problem=public_url.problem() if policy_for(request.user).is_admin else None))


def can_run_or_see_all(user) -> bool:
    return svc.may_run_waves(user) or policy_for(user).sees_everything


@login_required
@require_POST
def wave_status(request, pk, w):
    wave = _wave(request, pk, w)
    _runner(request)
    action = request.POST.get("action")
    try:
        if action == "open":
            svc.wave_open(actor=request.user, wave=wave)
            messages.success(request, _("The wave is open: its links accept answers."))
        elif action == "close":
            svc.wave_close(actor=request.user, wave=wave)
            messages.success(request, _("The wave is closed: its links no longer accept answers."))
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    return redirect("survey_wave_detail", pk=wave.survey_id, w=wave.pk)


@login_required
@require_POST
def wave_send(request, pk, w):
    wave = _wave(request, pk, w)
    _runner(request)
    try:
        if request.POST.get("what") == "reminders":
            counts = svc.reminders_send(wave=wave)
            messages.success(request, ngettext("%(n)s reminder sent.", "%(n)s reminders sent.", counts["sent"])
                             % {"n": counts["sent"]})
            if counts["held"]:
                messages.info(request, ngettext(
                    "%(n)s reminder held back: the customer has not consented to be contacted.",
                    "%(n)s reminders held back: the customers have not consented to be contacted.",
                    counts["held"]) % {"n": counts["held"]})
        else:
            counts = svc.invitations_send(actor=request.user, wave=wave)
            messages.success(request, ngettext("%(n)s invitation sent.", "%(n)s invitations sent.", counts["sent"])
                             % {"n": counts["sent"]})
            if counts["held"]:
                messages.info(request, ngettext(
                    "%(n)s invitation held back: the customer has not consented to be contacted.",
                    "%(n)s invitations held back: the customers have not consented to be contacted.",
                    counts["held"]) % {"n": counts["held"]})
            if counts["without_email"]:
                messages.info(request, ngettext(
                    "%(n)s customer has no email address: print their QR code or call them.",
                    "%(n)s customers have no email address: print their QR codes or call them.",
                    counts["without_email"]) % {"n": counts["without_email"]})
        if counts["failed"]:
            messages.warning(request, ngettext("%(n)s message could not be delivered.",
                                               "%(n)s messages could not be delivered.", counts["failed"])
                             % {"n": counts["failed"]})
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    return redirect("survey_wave_detail", pk=wave.survey_id, w=wave.pk)


@login_required
@require_POST
def invite_partners(request, pk, w):
    """A partner survey's wave: invite the partner users (of one partner type when chosen)."""
    from kehu.surveys.services.partners import invitations_create_partners

    wave = _wave(request, pk, w)
    _runner(request)
    try:
        done = invitations_create_partners(actor=request.user, wave=wave, kind=request.POST.get("type", ""))
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, ngettext("%(n)s partner user invited.", "%(n)s partner users invited.",
                                           done.created) % {"n": done.created})
        if done.already:
            messages.info(request, ngettext("%(n)s partner user was invited before.",
                                            "%(n)s partner users were invited before.", done.already)
                          % {"n": done.already})
        if done.without_email:
            messages.info(request, ngettext(
                "%(n)s partner user has no email address: hand over their link or QR code.",
                "%(n)s partner users have no email address: hand over their links or QR codes.",
                done.without_email) % {"n": done.without_email})
    return redirect("survey_wave_detail", pk=wave.survey_id, w=wave.pk)


# --------------------------------------------------------------------------
# Sample
# --------------------------------------------------------------------------

def _progress_key(wave: Wave) -> str:
    return f"kehu:wave-sample:{wave.pk}"


@login_required
def sample_page(request, pk, w):
    wave = _wave(request, pk, w)
    _runner(request)
    form = SampleForm(request.POST or None, initial={"seed": None})
    preview = None
    population = svc.population_queryset(population=wave.population, viewer=request.user).count()
    if request.method == "POST" and form.is_valid():
        design = form.design()
        action = request.POST.get("action", "preview")
        try:
            if action == "create":
                if svc.wave_has_sample(wave):
                    raise ValidationError(_("This wave already has its sample."))
                preview = svc.sample_draw(wave=wave, viewer=request.user, design=design)
                if preview.size > BIG_SAMPLE:
                    from kehu.surveys import tasks

                    cache.set(_progress_key(wave), {"done": 0, "total": preview.size, "state": "running"}, 3600)
                    tasks.create_invitations(wave.pk, request.user.pk, design.__dict__ | {"seed": preview.seed})
                    return redirect("survey_wave_sample_progress", pk=wave.survey_id, w=wave.pk)
                svc.invitations_create(actor=request.user, wave=wave, design=_with_seed(design, preview.seed))
                messages.success(request, ngettext("%(n)s invitation created.", "%(n)s invitations created.",
                                                   preview.size) % {"n": preview.size})
                return redirect("survey_wave_detail", pk=wave.survey_id, w=wave.pk)
            preview = svc.sample_draw(wave=wave, viewer=request.user, design=design)
        except ValidationError as exc:
            add_service_errors(form, exc)
            preview = None
    customers = []
    if preview is not None:
        shown = preview.ids[:50]
        names = {c.pk: c for c in Customer.objects.filter(pk__in=shown).select_related("owner")}
        customers = [(names[i], s) for i, s in zip(shown, preview.strata) if i in names]
    return render(request, "surveys/waves/sample.html", _context(
        request, wave.survey, wave=wave, form=form, preview=preview, customers=customers,
        population=population, population_label=population_text(wave.population),
        has_sample=svc.wave_has_sample(wave), title=_("Sample of %(name)s") % {"name": wave.name}))


def _with_seed(design, seed):
    design.seed = seed
    return design


@login_required
def sample_size(request, pk, w):
    """htmx: the calculator's answer for the numbers typed so far."""
    _wave(request, pk, w)
    form = CalculatorForm(request.GET)
    result = error = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            result = sampling.sample_size(d["confidence"], d["margin"] / 100, d["proportion"] / 100,
                                          population=d.get("population") or None)
            infinite = sampling.sample_size(d["confidence"], d["margin"] / 100, d["proportion"] / 100)
        except ValueError:
            error = _("Enter numbers in the ranges shown.")
    else:
        error = _("Enter numbers in the ranges shown.")
    return render(request, "surveys/waves/_size.html", {
        "result": result, "error": error, "population": form.cleaned_data.get("population") if form.is_valid() else None,
        "infinite": infinite if result is not None else None})


@login_required
def sample_progress(request, pk, w):
    wave = _wave(request, pk, w)
    state = cache.get(_progress_key(wave)) or {}
    if state.get("state") == "running" and liveness.stamp_is_dead(state):
        # the worker died while creating them (its transaction rolled back: nothing was created)
        state = {**state, "state": "failed", "reason": liveness.INTERRUPTED}
        cache.set(_progress_key(wave), state, 3600)
    done = state.get("state") == "done" or (not state and svc.wave_has_sample(wave))
    ctx = _context(request, wave.survey, wave=wave, state=state, done=done, failed=state.get("state") == "failed",
                   percent=int(100 * state.get("done", 0) / state["total"]) if state.get("total") else 0,
                   title=_("Creating invitations"))
    template = "surveys/waves/_progress.html" if request.htmx else "surveys/waves/progress.html"
    return render(request, template, ctx)


# --------------------------------------------------------------------------
# Invitations, links, QR codes
# --------------------------------------------------------------------------

@login_required
def invitation_list(request, pk, w):
    wave = _wave(request, pk, w)
    status = request.GET.get("status", "")
    q = request.GET.get("q", "")
    stratum = request.GET.get("stratum", "")
    qs = dsel.invitation_list(viewer=request.user, wave=wave, status=status, q=q, stratum=stratum)
    held = request.GET.get("held", "")
    if held in HoldReason.values:
        qs = qs.filter(held_reason=held)
    page = paginate(request, qs, ("id",))
    counts = dsel.invitation_counts(viewer=request.user, wave=wave)
    strata = sorted(set(wave.invitations.exclude(stratum="").values_list("stratum", flat=True).distinct()[:100]))
    for inv in page.items:
        inv.link = svc.public_link(inv.token) if dsel.shows_link(inv) else ""
    mask_invitations(viewer=request.user, invitations=page.items)
    return render(request, "surveys/waves/invitations.html", _context(
        request, wave.survey, wave=wave, page=page, counts=counts, status=status, q=q, stratum=stratum,
        strata=strata, statuses=[(s, label, counts.get(s, 0)) for s, label in InvitationStatus.choices],
        filtered=bool(status or q or stratum or held), title=_("Invitations of %(name)s") % {"name": wave.name}))


def _qr(link: str):
    import segno

    return segno.make(link, error="m")


@login_required
def invitation_qr(request, pk, w, inv, fmt):
    wave = _wave(request, pk, w)
    invitation = dsel.invitation_get(viewer=request.user, pk=inv, wave=wave)
    qr = _qr(svc.public_link(invitation.token))
    out = io.BytesIO()
    if fmt == "png":
        qr.save(out, kind="png", scale=8, border=2)
        content_type = "image/png"
    else:
        qr.save(out, kind="svg", scale=6, border=2, xmldecl=False, title=invitation.customer.name if invitation.customer_id else "")
        content_type = "image/svg+xml"
    resp = HttpResponse(out.getvalue(), content_type=content_type)
    resp["Cache-Control"] = "private, max-age=3600"
    if request.GET.get("download"):
        resp["Content-Disposition"] = f'attachment; filename="survey-{wave.pk}-{invitation.pk}.{fmt}"'
    return resp


@login_required
def qr_sheet(request, pk, w):
    wave = _wave(request, pk, w)
    qs = dsel.invitation_list(viewer=request.user, wave=wave, status=request.GET.get("status", ""))
    request.GET = request.GET.copy()
    request.GET.setdefault("per", "50")
    page = paginate(request, qs, ("id",))
    cards = []
    for inv in page.items[:QR_SHEET_PAGE * 2]:
        if not dsel.shows_link(inv):
            continue
        link = svc.public_link(inv.token)
        cards.append({"inv": inv, "link": link, "svg": _qr(link).svg_inline(scale=3, border=1)})
    language = translation.get_language()
    return render(request, "surveys/waves/qr_sheet.html", _context(
        request, wave.survey, wave=wave, page=page, cards=cards,
        survey_title=texts.pick(wave.survey.title, language), title=_("QR codes of %(name)s") % {"name": wave.name}))


# --------------------------------------------------------------------------
# Phone interviews
# --------------------------------------------------------------------------

def _phoner(request) -> None:
    if not svc.may_enter_phone(request.user):
        raise PermissionDenied


@login_required
def phone_pick(request, pk, w):
    wave = _wave(request, pk, w)
    if wave.survey.kind == SurveyKind.EMPLOYEE:
        raise Http404  # employees answer through their own links only
    _phoner(request)
    q = request.GET.get("q", "").strip()
    qs = dsel.invitation_list(viewer=request.user, wave=wave, q=q).exclude(status=InvitationStatus.COMPLETED)
    page = paginate(request, qs, ("id",))
    found = []
    if q:
        from kehu.customers.selectors import CustomerFilters, customer_list

        found = list(customer_list(viewer=request.user, filters=CustomerFilters(q=q)).order_by("name_pinyin", "id")[:20])
        mask_customers(viewer=request.user, customers=found)
    mask_invitations(viewer=request.user, invitations=page.items)
    return render(request, "surveys/waves/phone_pick.html", _context(
        request, wave.survey, wave=wave, page=page, q=q, found=found, accepts=svc.wave_accepts_answers(wave),
        title=_("Phone interviews: %(name)s") % {"name": wave.name}))


@login_required
@require_POST
def phone_start(request, pk, w):
    """Start an interview with a customer found by search (their invitation, or a new one)."""
    wave = _wave(request, pk, w)
    if wave.survey.kind == SurveyKind.EMPLOYEE:
        raise Http404  # employees answer through their own links only
    _phoner(request)
    customer = policy_for(request.user).get_visible(request.POST.get("customer"))
    invitation = svc.phone_invitation(actor=request.user, wave=wave, customer=customer)
    return redirect("survey_phone_entry", pk=wave.survey_id, w=wave.pk, inv=invitation.pk)


@login_required
def phone_entry(request, pk, w, inv):
    wave = _wave(request, pk, w)
    _phoner(request)
    invitation = dsel.invitation_get(viewer=request.user, pk=inv, wave=wave)
    mask_invitations(viewer=request.user, invitations=[invitation])
    language = request.GET.get("lang") or request.POST.get("lang") or translation.get_language()
    if language not in texts.LANGUAGES:
        language = texts.LANGUAGES[0]
    response = Response.objects.filter(invitation=invitation).order_by().first()
    if response is not None and response.status == ResponseStatus.COMPLETE:
        messages.info(request, _("This customer's answers are already recorded."))
        return redirect("survey_phone_pick", pk=wave.survey_id, w=wave.pk)
    spec = answers_mod.survey_spec(wave.survey)
    answers = answers_mod.answers_of(response) if response is not None else {}
    errors: dict = {}
    form_error = ""
    if request.method == "POST":
        answers, errors = answers_mod.read_answers(spec, request.POST)
        submit = request.POST.get("action", "submit") != "save"
        if errors:
            form_error = _("Some answers need your attention.")
        else:
            try:
                svc.phone_response(actor=request.user, invitation=invitation, answers=answers, submit=submit,
                                   language=language)
                messages.success(request, _("Interview with %(name)s saved.") % {"name": invitation.customer.name}
                                 if submit else _("Answers so far saved; continue the interview later."))
                return redirect("survey_phone_pick", pk=wave.survey_id, w=wave.pk)
            except ValidationError as exc:
                errors = {code: msgs[0] for code, msgs in exc.message_dict.items()}
                form_error = _("Please answer the questions marked below.")
            except svc.AlreadyCompleted:
                messages.info(request, _("This customer's answers are already recorded."))
                return redirect("survey_phone_pick", pk=wave.survey_id, w=wave.pk)
            except svc.WaveNotOpen:
                form_error = _("This wave does not accept answers now.")
    with translation.override(language):
        body_ctx = {"items": questionnaire_items(spec, language, answers, errors), "language": language,
                    "title": texts.pick(wave.survey.title, language) or wave.survey.code,
                    "intro": texts.pick(wave.survey.intro, language), "action": request.path, "can_save": True,
                    "form_error": form_error, "preview": False}
        from django.template.loader import render_to_string

        body = render_to_string("surveys/_questionnaire.html", body_ctx, request=request)
    return render(request, "surveys/waves/phone_entry.html", _context(
        request, wave.survey, wave=wave, invitation=invitation, body=body, language=language,
        languages=[(c, texts.language_name(c)) for c in texts.LANGUAGES],
        title=_("Phone interview: %(name)s") % {"name": invitation.customer.name}), status=422 if form_error else 200)


# --------------------------------------------------------------------------
# Importing answers
# --------------------------------------------------------------------------

IMPORT_DIR = "kehu-survey-imports"


def _upload_dir() -> str:
    from django.conf import settings

    path = os.path.join(settings.VAR_DIR, IMPORT_DIR)
    os.makedirs(path, exist_ok=True)
    return path


@login_required
def import_page(request, pk, w):
    wave = _wave(request, pk, w)
    _runner(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    staged = request.POST.get("staged", "")
    if request.method == "POST" and request.POST.get("action") == "confirm" and staged:
        name = os.path.basename(staged)
        path = os.path.join(_upload_dir(), name)
        if not name.startswith(f"w{wave.pk}-") or not os.path.isfile(path):
            messages.error(request, _("The uploaded file has expired; upload it again."))
            return redirect("survey_wave_import", pk=wave.survey_id, w=wave.pk)
        try:
            result = imp.import_responses(actor=request.user, wave=wave, path=path,
                                          skip_bad=request.POST.get("skip_bad") == "1")
        except ValidationError as exc:
            _errors_to_messages(request, exc)
            result = None
        if result is not None and result.written:
            os.unlink(path)
            messages.success(request, ngettext("%(n)s response imported.", "%(n)s responses imported.",
                                               result.imported) % {"n": result.imported})
            return redirect("survey_wave_detail", pk=wave.survey_id, w=wave.pk)
        form = ImportForm()
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = os.path.splitext(upload.name)[1].lower()
        fd, path = tempfile.mkstemp(prefix=f"w{wave.pk}-", suffix=suffix, dir=_upload_dir())
        with os.fdopen(fd, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        try:
            result = imp.check_file(actor=request.user, wave=wave, path=path)
            staged = os.path.basename(path)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
            os.unlink(path)
            result = None
    return render(request, "surveys/waves/import.html", _context(
        request, wave.survey, wave=wave, form=form, result=result, staged=staged,
        skip_bad=request.POST.get("skip_bad") == "on" or request.POST.get("skip_bad") == "1",
        errors=result.errors[:200] if result else [], title=_("Import answers into %(name)s") % {"name": wave.name}))
