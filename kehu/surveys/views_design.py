"""The survey designer: the list of surveys with the template picker, a
survey's overview, its texts in both languages, the indicator tree with
weights (by hand, equal, AHP with live consistency feedback, entropy), the
questionnaire with conditions and order, the constructs and paths of the
structural model, import and export of definition files, and the preview of
the questionnaire as respondents see it in either language.

Everyone active may read; designers (``selectors.may_design_surveys``)
change. The services check again, so a forged POST gets the same answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.surveys import definitions as defs
from kehu.surveys import selectors, texts
from kehu.surveys.forms_design import (
    ConstructForm, CopyForm, DefinitionFileForm, IndicatorForm, PathForm, QuestionForm, SurveyCreateForm,
    SurveyTextsForm, condition_initial, options_as_text,
)
from kehu.surveys.models import (
    Construct, ConstructPath, Indicator, Question, Survey, SurveyKind, SurveyStatus, WeightMethod,
)
from kehu.surveys.navigation import survey_tabs
from kehu.surveys.services import definitions as svc
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, paginate


def _survey(request, pk) -> Survey:
    return selectors.survey_get(viewer=request.user, pk=pk)


def _designable(request, pk) -> Survey:
    survey = _survey(request, pk)
    if not selectors.may_design_surveys(request.user):
        raise PermissionDenied
    return survey


def _context(request, survey: Survey | None, tab: str, **extra) -> dict:
    ctx = {"nav_active": "surveys", "can_design": selectors.may_design_surveys(request.user)}
    if survey is not None:
        ctx.update(survey=survey, tabs=survey_tabs(survey, tab), tab=tab,
                   editable=ctx["can_design"] and survey.status != SurveyStatus.ARCHIVED)
    ctx.update(extra)
    return ctx


def _error_messages(request, exc: ValidationError) -> None:
    for message in (m for ms in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages])
                    for m in ms):
        messages.error(request, message)


# --------------------------------------------------------------------------
# The list, new surveys, import
# --------------------------------------------------------------------------

# the sorts the list offers (kehu.web.lists): each a keyset ordering ending in id
SURVEY_SORTS = {"code": ("code", "id"), "-code": ("-code", "-id"),
                "updated": ("updated_at", "id"), "-updated": ("-updated_at", "-id")}


@login_required
def survey_list(request):
    if not selectors.may_view_surveys(request.user):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    qs = selectors.survey_list(viewer=request.user, q=q, status=status, kind=kind)
    sort = chosen_sort(request, SURVEY_SORTS, "code")
    page = paginate(request, qs, SURVEY_SORTS[sort])
    filtered = bool(q or status or kind)
    return render(request, "surveys/design/list.html", _context(
        request, None, "", title=_("Surveys"), page=page, q=q, status=status, kind=kind, filtered=filtered,
        statuses=SurveyStatus.choices, kinds=SurveyKind.choices, templates=defs.library_templates(), sort=sort,
        **list_context(request, "surveys", sort=sort)))


@login_required
def survey_create(request):
    if not selectors.may_design_surveys(request.user):
        raise PermissionDenied
    templates = defs.library_templates()
    initial = {"start": request.GET.get("template", "")}
    form = SurveyCreateForm(request.POST or None, templates=templates, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        title = form.text("title") or None
        try:
            if d["start"]:
                survey = svc.survey_create_from_template(actor=request.user, template=d["start"], code=d["code"],
                                                         title=title)
            else:
                survey = svc.survey_create(actor=request.user, code=d["code"], kind=d["kind"], title=title)
        except ValidationError as exc:
            add_service_errors(form, exc, {"title": "title_zh", "template": "start"})
        else:
            messages.success(request, _("Survey %(code)s created as a draft.") % {"code": survey.code})
            return redirect("survey_detail", pk=survey.pk)
    return render(request, "surveys/design/create.html", _context(
        request, None, "", title=_("New survey"), form=form, templates=templates))


def _apply_upload(form, apply):
    """``(what apply returned, [])`` for the uploaded definition, or ``(None,
    problems of the file)``; a service's refusal goes onto ``form``."""
    upload = form.cleaned_data["file"]
    try:
        return apply(defs.load_text(upload.read(), filename=upload.name)), []
    except defs.DefinitionError as exc:
        return None, exc.messages()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None, []


@login_required
def survey_import(request):
    if not selectors.may_design_surveys(request.user):
        raise PermissionDenied
    form = DefinitionFileForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        survey, problems = _apply_upload(form, lambda definition: svc.survey_create_from_definition(
            actor=request.user, definition=definition, code=form.cleaned_data.get("code") or None,
            source=f"file:{form.cleaned_data['file'].name}"))
        if survey is not None:
            messages.success(request, _("Survey %(code)s loaded from %(file)s as a draft.") % {
                "code": survey.code, "file": form.cleaned_data["file"].name})
            return redirect("survey_detail", pk=survey.pk)
    return render(request, "surveys/design/import.html", _context(
        request, None, "", title=_("Load a survey from a file"), form=form, problems=problems, survey_obj=None))


# --------------------------------------------------------------------------
# One survey
# --------------------------------------------------------------------------

@login_required
def survey_detail(request, pk):
    survey = _survey(request, pk)
    tree = selectors.indicator_tree(survey)
    questions = list(selectors.questions(survey))
    return render(request, "surveys/design/detail.html", _context(
        request, survey, "overview", title=texts.pick(survey.title) or survey.code,
        problems=selectors.survey_problems(survey), tree=tree, questions=questions,
        constructs=list(selectors.constructs(survey)), paths=list(selectors.paths(survey)),
        response_count=selectors.survey_response_count(survey), wave_count=survey.waves.count(),
        languages=texts.LANGUAGES))


@login_required
def survey_edit(request, pk):
    survey = _designable(request, pk)
    initial = {"kind": survey.kind, "satisfied_from": survey.satisfied_from, "follow_up_below": survey.follow_up_below,
               "follow_up_detractors": survey.follow_up_detractors, "follow_up_as": survey.follow_up_as,
               "resurvey_days": survey.resurvey_days}
    form = SurveyTextsForm(request.POST or None, initial=initial, initial_texts={
        "title": survey.title, "description": survey.description, "intro": survey.intro, "thanks": survey.thanks})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = {name: form.text(name) for name in ("title", "description", "intro", "thanks")}
        data.update({k: d[k] for k in ("kind", "satisfied_from", "follow_up_below", "follow_up_detractors",
                                       "resurvey_days")})
        if d.get("follow_up_as"):   # a form without the field keeps the survey's setting
            data["follow_up_as"] = d["follow_up_as"]
        try:
            svc.survey_update(actor=request.user, survey=survey, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc, {"title": "title_zh", "description": "description_zh",
                                           "intro": "intro_zh", "thanks": "thanks_zh"})
        else:
            messages.success(request, _("Survey %(code)s saved.") % {"code": survey.code})
            return redirect("survey_detail", pk=survey.pk)
    return render(request, "surveys/design/edit.html", _context(
        request, survey, "overview", title=_("Texts and settings of %(code)s") % {"code": survey.code}, form=form))


@login_required
@require_POST
def survey_status(request, pk):
    survey = _designable(request, pk)
    status = request.POST.get("status", "")
    try:
        svc.survey_set_status(actor=request.user, survey=survey, status=status)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, {
            SurveyStatus.ACTIVE: _("Survey %(code)s is in use."),
            SurveyStatus.ARCHIVED: _("Survey %(code)s is archived."),
            SurveyStatus.DRAFT: _("Survey %(code)s is a draft again."),
        }[status] % {"code": survey.code})
    return redirect("survey_detail", pk=survey.pk)


@login_required
def survey_copy(request, pk):
    survey = _designable(request, pk)
    form = CopyForm(request.POST or None, initial={"code": f"{survey.code}-copy"[:50]},
                    initial_texts={"title": survey.title})
    if request.method == "POST" and form.is_valid():
        try:
            copy = svc.survey_copy(actor=request.user, survey=survey, code=form.cleaned_data["code"],
                                   title=form.text("title") or None)
        except ValidationError as exc:
            add_service_errors(form, exc, {"title": "title_zh"})
        else:
            messages.success(request, _("Survey %(code)s copied to %(copy)s.") % {"code": survey.code,
                                                                                   "copy": copy.code})
            return redirect("survey_detail", pk=copy.pk)
    return render(request, "surveys/design/copy.html", _context(
        request, survey, "overview", title=_("Copy %(code)s") % {"code": survey.code}, form=form))


@login_required
def survey_delete(request, pk):
    survey = _designable(request, pk)
    responses = selectors.survey_response_count(survey)
    if request.method == "POST":
        try:
            svc.survey_delete(actor=request.user, survey=survey)
        except ValidationError as exc:
            _error_messages(request, exc)
            return redirect("survey_detail", pk=survey.pk)
        messages.success(request, _("Survey %(code)s deleted.") % {"code": survey.code})
        return redirect("survey_list")
    return render(request, "surveys/design/delete.html", _context(
        request, survey, "overview", title=_("Delete %(code)s") % {"code": survey.code}, responses=responses,
        wave_count=survey.waves.count(), question_count=survey.questions.count()))


@login_required
def survey_export(request, pk):
    survey = _survey(request, pk)
    fmt = "json" if request.GET.get("format") == "json" else "yaml"
    body = defs.dump(selectors.survey_definition(survey), fmt)
    content_type = "application/json" if fmt == "json" else "application/yaml"
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{survey.code}.{fmt}"'
    return response


@login_required
def survey_load(request, pk):
    """Replace a draft's definition by a file."""
    survey = _designable(request, pk)
    blocked = selectors.survey_has_responses(survey) or survey.status == SurveyStatus.ARCHIVED
    form = DefinitionFileForm(request.POST or None, request.FILES or None, with_code=False)
    problems: list[str] = []
    if request.method == "POST" and not blocked and form.is_valid():
        replaced, problems = _apply_upload(form, lambda definition: svc.survey_replace_definition(
            actor=request.user, survey=survey, definition=definition))
        if replaced is not None:
            messages.success(request, _("The definition of %(code)s was replaced by %(file)s.") % {
                "code": survey.code, "file": form.cleaned_data["file"].name})
            return redirect("survey_detail", pk=survey.pk)
    return render(request, "surveys/design/import.html", _context(
        request, survey, "overview", title=_("Replace the definition of %(code)s") % {"code": survey.code},
        form=form, problems=problems, survey_obj=survey, blocked=blocked))


# --------------------------------------------------------------------------
# Indicators and weights
# --------------------------------------------------------------------------

def _indicator(survey: Survey, ind_pk) -> Indicator:
    return get_object_or_404(Indicator, pk=ind_pk, survey=survey)


@login_required
def indicator_tree(request, pk):
    survey = _survey(request, pk)
    tree = selectors.indicator_tree(survey)
    groups, all_nodes = [], []
    if tree is not None:
        def walk(node, ancestors):
            all_nodes.append(node)
            if node.children:
                node.ancestors = ancestors
                groups.append(node)
            for child in node.children:
                walk(child, ancestors + [node.indicator])

        walk(tree, [])
    return render(request, "surveys/design/indicators.html", _context(
        request, survey, "indicators", title=_("Indicators and weights of %(code)s") % {"code": survey.code},
        tree=tree, groups=groups, all_nodes=all_nodes, waves=list(selectors.waves(survey))))


@login_required
def indicator_create(request, pk):
    survey = _designable(request, pk)
    parent = None
    if request.GET.get("parent") or request.POST.get("parent"):
        parent = _indicator(survey, request.GET.get("parent") or request.POST.get("parent"))
    form = IndicatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ind = svc.indicator_create(actor=request.user, survey=survey, parent=parent,
                                       code=form.cleaned_data["code"], name=form.text("name"))
        except ValidationError as exc:
            add_service_errors(form, exc, {"name": "name_zh"})
        else:
            messages.success(request, _("Indicator %(name)s added.") % {"name": texts.pick(ind.name)})
            if parent is not None and parent.child_weight_method != WeightMethod.EQUAL:
                messages.warning(request, _("Review the weights of the indicators under %(name)s.") % {
                    "name": texts.pick(parent.name)})
            return redirect(reverse("survey_indicators", args=[survey.pk]) + f"#ind-{ind.pk}")
    title = (_("Add an indicator under %(name)s") % {"name": texts.pick(parent.name)} if parent
             else _("Add the index (the root indicator)"))
    return render(request, "surveys/design/indicator_form.html", _context(
        request, survey, "indicators", title=title, form=form, parent=parent))


@login_required
def indicator_edit(request, pk, ind):
    survey = _designable(request, pk)
    indicator = _indicator(survey, ind)
    form = IndicatorForm(request.POST or None, initial={"code": indicator.code},
                         initial_texts={"name": indicator.name})
    if request.method == "POST" and form.is_valid():
        try:
            svc.indicator_update(actor=request.user, indicator=indicator, code=form.cleaned_data["code"],
                                 name=form.text("name"))
        except ValidationError as exc:
            add_service_errors(form, exc, {"name": "name_zh"})
        else:
            messages.success(request, _("Indicator %(name)s saved.") % {"name": texts.pick(indicator.name)})
            return redirect(reverse("survey_indicators", args=[survey.pk]) + f"#ind-{indicator.pk}")
    return render(request, "surveys/design/indicator_form.html", _context(
        request, survey, "indicators", title=_("Edit the indicator %(name)s") % {"name": texts.pick(indicator.name)},
        form=form, indicator=indicator))


@login_required
def indicator_delete(request, pk, ind):
    survey = _designable(request, pk)
    indicator = _indicator(survey, ind)
    subtree = svc._subtree_ids(indicator)
    measured = list(Question.objects.filter(indicator_id__in=subtree).values_list("code", flat=True))
    if request.method == "POST":
        try:
            svc.indicator_delete(actor=request.user, indicator=indicator)
        except ValidationError as exc:
            _error_messages(request, exc)
        else:
            messages.success(request, _("Indicator %(name)s deleted.") % {"name": texts.pick(indicator.name)})
        return redirect("survey_indicators", pk=survey.pk)
    return render(request, "surveys/design/indicator_delete.html", _context(
        request, survey, "indicators", title=_("Delete the indicator %(name)s") % {"name": texts.pick(indicator.name)},
        indicator=indicator, below=len(subtree) - 1, measured=measured))


@login_required
@require_POST
def indicator_move(request, pk, ind):
    survey = _designable(request, pk)
    indicator = _indicator(survey, ind)
    return _move(request, svc.indicator_move, indicator=indicator,
                 to=reverse("survey_indicators", args=[survey.pk]) + f"#ind-{indicator.pk}")


def _move(request, service, *, to: str, **target):
    """Move one row up (``up`` posted) or down with ``service``, then back to ``to``."""
    try:
        service(actor=request.user, offset=-1 if request.POST.get("up") else 1, **target)
    except ValidationError as exc:
        _error_messages(request, exc)
    return redirect(to)


@login_required
@require_POST
def indicator_weights(request, pk, ind):
    """Weights of a group's children: by hand, equal, or entropy from a wave."""
    survey = _designable(request, pk)
    parent = _indicator(survey, ind)
    method = request.POST.get("method", WeightMethod.MANUAL)
    try:
        if method == WeightMethod.EQUAL:
            svc.weights_set_equal(actor=request.user, parent=parent)
            messages.success(request, _("The indicators under %(name)s now weigh the same.") % {
                "name": texts.pick(parent.name)})
        elif method == WeightMethod.ENTROPY:
            wave = selectors.waves(survey).filter(pk=request.POST.get("wave") or 0).first()
            if wave is None:
                raise ValidationError(_("Choose the wave whose answers give the weights."))
            result = svc.weights_set_entropy(actor=request.user, parent=parent, wave=wave)
            messages.success(request, _("Entropy weights computed from %(count)d responses of %(wave)s.") % {
                "count": result["respondents"], "wave": wave.name})
        else:
            weights = {k.pk: request.POST.get(f"w-{k.pk}", "").strip() for k in parent.children.all()}
            missing = [k for k, v in weights.items() if v == ""]
            if missing:
                raise ValidationError(_("Give a weight for every indicator under %(name)s.") % {
                    "name": texts.pick(parent.name)})
            result = svc.weights_set_manual(actor=request.user, parent=parent, weights=weights)
            if result["normalised_from"] is not None:
                messages.info(request, _("The weights you entered summed to %(total)s; they were scaled to sum 1.")
                              % {"total": f"{result['normalised_from']:g}"})
            messages.success(request, _("Weights under %(name)s saved.") % {"name": texts.pick(parent.name)})
    except ValidationError as exc:
        _error_messages(request, exc)
    return redirect(reverse("survey_indicators", args=[survey.pk]) + f"#ind-{parent.pk}")


def _posted_matrix(request, n: int) -> list[list]:
    """The AHP matrix from the form's upper triangle ``a-i-j`` (i < j)."""
    matrix: list[list] = [[1.0] * n for _i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            raw = request.POST.get(f"a-{i}-{j}", "1").strip() or "1"
            value = defs._judgement(raw)
            if value is None or value <= 0:
                raise ValidationError({"matrix": [_("Choose a judgement from the 1–9 scale for every pair.")]})
            matrix[i][j] = value
            matrix[j][i] = 1.0 / value
    return matrix


@login_required
def indicator_ahp(request, pk, ind):
    """The pairwise comparison of a group's children, with CR as you go."""
    survey = _survey(request, pk)
    parent = _indicator(survey, ind)
    kids = list(parent.children.order_by("position", "id"))
    if len(kids) < 2:
        messages.info(request, _("AHP compares at least two indicators; %(name)s has fewer.") % {
            "name": texts.pick(parent.name)})
        return redirect("survey_indicators", pk=survey.pk)
    n = len(kids)
    matrix = selectors.stored_ahp_matrix(parent, kids) or [[1.0] * n for _i in range(n)]
    result = None
    error = ""
    if request.method == "POST":
        if not selectors.may_design_surveys(request.user):
            raise PermissionDenied
        try:
            matrix = _posted_matrix(request, n)
            result = svc.weights_set_ahp(actor=request.user, parent=parent, matrix=matrix)
        except ValidationError as exc:
            error = " ".join(m for ms in exc.message_dict.values() for m in ms) if hasattr(exc, "error_dict") \
                else " ".join(exc.messages)
            try:
                result = svc.ahp_check(parent=parent, matrix=matrix)
            except ValidationError:
                result = None
        else:
            messages.success(request, _("AHP weights under %(name)s saved (CR = %(cr).3f).") % {
                "name": texts.pick(parent.name), "cr": result["cr"]})
            return redirect(reverse("survey_indicators", args=[survey.pk]) + f"#ind-{parent.pk}")
    else:
        result = svc.ahp_check(parent=parent, matrix=matrix)
    return render(request, "surveys/design/ahp.html", _context(
        request, survey, "indicators", title=_("Pairwise comparison under %(name)s") % {
            "name": texts.pick(parent.name)},
        parent=parent, rows=_matrix_rows(kids, matrix), kids=kids, result=_with_pairs(result, kids), error=error,
        scale=defs.SAATY_CHOICES, check_url=reverse("survey_ahp_check", args=[survey.pk, parent.pk])))


SCALE_LABELS = {label for label, _value in defs.SAATY_CHOICES}


def _with_pairs(result, kids):
    if result is not None:
        result["pairs"] = list(zip(kids, result["weights"]))
    return result


def _matrix_rows(kids, matrix):
    rows = []
    for i, kid in enumerate(kids):
        cells = []
        for j in range(len(kids)):
            value = matrix[i][j]
            label = defs.judgement_label(value)
            cells.append({"i": i, "j": j, "value": value, "label": label, "editable": j > i, "diagonal": i == j,
                          "on_scale": label in SCALE_LABELS,
                          "col_name": texts.pick(kids[j].name) or kids[j].code})
        rows.append({"kid": kid, "cells": cells})
    return rows


@login_required
@require_POST
def indicator_ahp_check(request, pk, ind):
    """htmx: λmax, CI, CR and the weights of the matrix as it stands, unsaved."""
    survey = _survey(request, pk)
    parent = _indicator(survey, ind)
    kids = list(parent.children.order_by("position", "id"))
    try:
        result = svc.ahp_check(parent=parent, matrix=_posted_matrix(request, len(kids)))
        error = ""
    except ValidationError as exc:
        result, error = None, " ".join(m for ms in exc.message_dict.values() for m in ms)
    return render(request, "surveys/design/_ahp_result.html", {"result": _with_pairs(result, kids), "error": error,
                                                               "kids": kids})


# --------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------

def _question(survey: Survey, q_pk) -> Question:
    return get_object_or_404(Question, pk=q_pk, survey=survey)


@login_required
def question_list(request, pk):
    survey = _survey(request, pk)
    rows = list(selectors.questions_with_answer_flags(survey))
    by_code = {q.code: q for q in rows}
    items = [{"q": q, "condition": defs.describe_condition(q.condition, by_code)} for q in rows]
    return render(request, "surveys/design/questions.html", _context(
        request, survey, "questions", title=_("Questionnaire of %(code)s") % {"code": survey.code}, items=items,
        has_responses=selectors.survey_has_responses(survey)))


def _question_form(request, survey: Survey, question: Question | None):
    rows = list(selectors.questions(survey))
    if question is not None:
        earlier = [q for q in rows if q.position < question.position and q.pk != question.pk]
    else:
        earlier = rows
    earlier_choices = [(q.code, f"{q.code} · {texts.pick(q.text)[:60]}") for q in earlier]
    initial = {}
    initial_texts = {}
    if question is not None:
        initial = {"code": question.code, "kind": question.kind, "required": question.required,
                   "reverse": question.reverse, "options": options_as_text(question.options),
                   "indicator": question.indicator_id or "", "construct": question.construct_id or "",
                   **condition_initial(question.condition)}
        initial_texts = {"text": question.text, "help": question.help}
    else:
        initial = {"code": _next_code(rows), "kind": request.GET.get("kind", "likert5"), "required": True}
    form = QuestionForm(request.POST or None, initial=initial, initial_texts=initial_texts,
                        indicators=selectors.leaf_choices(survey), constructs=selectors.construct_choices(survey),
                        earlier=earlier_choices)
    if request.method == "POST" and form.is_valid():
        data = form.service_data(survey)
        try:
            if question is None:
                question = svc.question_create(actor=request.user, survey=survey, data=data)
            else:
                svc.question_update(actor=request.user, question=question, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc, {"text": "text_zh", "help": "help_zh", "condition": "condition_question"})
        else:
            messages.success(request, _("Question %(code)s saved.") % {"code": question.code})
            return redirect(reverse("survey_questions", args=[survey.pk]) + f"#q-{question.pk}")
    title = _("New question") if question is None else _("Edit question %(code)s") % {"code": question.code}
    return render(request, "surveys/design/question_form.html", _context(
        request, survey, "questions", title=title, form=form, question=question,
        likert=_likert_labels(), scored=list(defs.SCALES), choice=list(defs.CHOICE_KINDS)))


def _next_code(rows) -> str:
    numbers = [int(q.code[1:]) for q in rows if q.code[:1] == "Q" and q.code[1:].isdigit()]
    return f"Q{max(numbers, default=0) + 1}"


@login_required
def question_create(request, pk):
    survey = _designable(request, pk)
    return _question_form(request, survey, None)


@login_required
def question_edit(request, pk, q):
    survey = _designable(request, pk)
    return _question_form(request, survey, _question(survey, q))


@login_required
def question_delete(request, pk, q):
    survey = _designable(request, pk)
    question = _question(survey, q)
    check = svc.question_delete_check(question)
    if request.method == "POST" and check["allowed"]:
        try:
            svc.question_delete(actor=request.user, question=question, confirm=request.POST.get("confirm") == "1")
        except ValidationError as exc:
            _error_messages(request, exc)
            return redirect("survey_question_delete", pk=survey.pk, q=question.pk)
        messages.success(request, _("Question %(code)s deleted.") % {"code": question.code})
        return redirect("survey_questions", pk=survey.pk)
    return render(request, "surveys/design/question_delete.html", _context(
        request, survey, "questions", title=_("Delete question %(code)s") % {"code": question.code},
        question=question, check=check))


@login_required
@require_POST
def question_move(request, pk, q):
    survey = _designable(request, pk)
    question = _question(survey, q)
    return _move(request, svc.question_move, question=question,
                 to=reverse("survey_questions", args=[survey.pk]) + f"#q-{question.pk}")


# --------------------------------------------------------------------------
# Constructs and paths
# --------------------------------------------------------------------------

@login_required
def model_page(request, pk):
    survey = _survey(request, pk)
    constructs = list(selectors.constructs(survey))
    choices = [(c.pk, f"{c.code} · {texts.pick(c.name)}") for c in constructs]
    return render(request, "surveys/design/model.html", _context(
        request, survey, "model", title=_("Structural model of %(code)s") % {"code": survey.code},
        constructs=constructs, paths=list(selectors.paths(survey)), path_form=PathForm(choices=choices),
        items={c.pk: [q.code for q in survey.questions.filter(construct=c).order_by("position")]
               for c in constructs}))


@login_required
def construct_form(request, pk, c=None):
    survey = _designable(request, pk)
    construct = get_object_or_404(Construct, pk=c, survey=survey) if c else None
    form = ConstructForm(request.POST or None,
                         initial={"code": construct.code, "mode": construct.mode} if construct else {"mode": "A"},
                         initial_texts={"name": construct.name} if construct else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if construct is None:
                construct = svc.construct_create(actor=request.user, survey=survey, code=d["code"],
                                                  name=form.text("name"), mode=d["mode"])
            else:
                svc.construct_update(actor=request.user, construct=construct, code=d["code"],
                                     name=form.text("name"), mode=d["mode"])
        except ValidationError as exc:
            add_service_errors(form, exc, {"name": "name_zh"})
        else:
            messages.success(request, _("Construct %(code)s saved.") % {"code": construct.code})
            return redirect("survey_model", pk=survey.pk)
    title = _("New construct") if construct is None else _("Edit construct %(code)s") % {"code": construct.code}
    return render(request, "surveys/design/construct_form.html", _context(
        request, survey, "model", title=title, form=form, construct=construct))


@login_required
def construct_delete(request, pk, c):
    survey = _designable(request, pk)
    construct = get_object_or_404(Construct, pk=c, survey=survey)
    if request.method == "POST":
        try:
            svc.construct_delete(actor=request.user, construct=construct)
        except ValidationError as exc:
            _error_messages(request, exc)
        else:
            messages.success(request, _("Construct %(code)s deleted.") % {"code": construct.code})
        return redirect("survey_model", pk=survey.pk)
    return render(request, "surveys/design/construct_delete.html", _context(
        request, survey, "model", title=_("Delete construct %(code)s") % {"code": construct.code},
        construct=construct, items=list(construct.questions.values_list("code", flat=True)),
        path_count=ConstructPath.objects.filter(survey=survey).filter(source=construct).count()
        + ConstructPath.objects.filter(survey=survey, target=construct).count()))


@login_required
@require_POST
def path_create(request, pk):
    survey = _designable(request, pk)
    constructs = {str(c.pk): c for c in survey.constructs.all()}
    source, target = constructs.get(request.POST.get("source", "")), constructs.get(request.POST.get("target", ""))
    if source is None or target is None:
        messages.error(request, _("Choose the two constructs of the path."))
    else:
        try:
            svc.path_create(actor=request.user, survey=survey, source=source, target=target)
        except ValidationError as exc:
            _error_messages(request, exc)
        else:
            messages.success(request, _("Path %(source)s → %(target)s added.") % {"source": source.code,
                                                                                  "target": target.code})
    return redirect("survey_model", pk=survey.pk)


@login_required
@require_POST
def path_delete(request, pk, p):
    survey = _designable(request, pk)
    path = get_object_or_404(ConstructPath.objects.select_related("source", "target"), pk=p, survey=survey)
    try:
        svc.path_delete(actor=request.user, path=path)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("Path %(source)s → %(target)s removed.") % {"source": path.source.code,
                                                                                "target": path.target.code})
    return redirect("survey_model", pk=survey.pk)


# --------------------------------------------------------------------------
# Preview
# --------------------------------------------------------------------------

def _likert_labels():
    """The five levels, best first, in the active language."""
    return [(5, _("Very satisfied")), (4, _("Satisfied")), (3, _("Neutral")), (2, _("Dissatisfied")),
            (1, _("Very dissatisfied"))]


def questionnaire_context(survey: Survey, language: str) -> dict:
    """What ``surveys/_questionnaire.html`` needs to show ``survey`` in
    ``language`` (call inside ``translation.override(language)``): the
    texts picked, the scales spelled out and each question's condition as
    data for the page script. The answer page can reuse it."""
    rows = list(selectors.questions(survey))
    by_code = {q.code: q for q in rows}
    items = []
    for q in rows:
        scale = []
        if q.kind == "likert5":
            scale = _likert_labels()
        elif q.kind in defs.SCALES:
            lo, hi = defs.SCALES[q.kind]
            scale = [(v, str(v)) for v in range(lo, hi + 1)]
        items.append({
            "q": q, "text": texts.pick(q.text, language), "help": texts.pick(q.help, language),
            "options": [(o["value"], texts.pick(o["label"], language)) for o in q.options or []],
            "scale": scale, "condition": q.condition or {},
            "condition_text": defs.describe_condition(q.condition, by_code, language),
        })
    return {"survey": survey, "language": language, "items": items,
            "title": texts.pick(survey.title, language), "intro": texts.pick(survey.intro, language),
            "thanks": texts.pick(survey.thanks, language)}


@login_required
def survey_preview(request, pk):
    survey = _survey(request, pk)
    language = request.GET.get("lang") or texts.language_of(None)
    if language not in texts.LANGUAGES:
        raise Http404
    with translation.override(language):
        questionnaire = questionnaire_context(survey, language)
        from django.template.loader import render_to_string

        body = render_to_string("surveys/_questionnaire.html", {**questionnaire, "preview": True}, request=request)
    return render(request, "surveys/design/preview.html", _context(
        request, survey, "preview", title=_("Preview of %(code)s") % {"code": survey.code}, body=body,
        language=language, languages=[(code, texts.language_name(code)) for code in texts.LANGUAGES]))
