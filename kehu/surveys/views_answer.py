"""The public answer page: ``/s/<token>/``, no login.

The token (256 random bits) is the only key. An unknown token, a token of a
survey that was deleted and a malformed one all get the same plain 404 page,
which names nothing. A known token shows only its own questionnaire and its
own saved answers. Requests are limited per client address and per token
(``KEHU_ANSWER_RATE_PER_IP``, ``KEHU_ANSWER_RATE_PER_TOKEN`` a minute, counted
by :mod:`kehu.runtime.ratelimit` for all the server's processes together: in the database,
or in Redis with ``KEHU_CACHE=redis://``);
over the limit the page answers 429. The token check and the limit decision
are in :mod:`kehu.surveys.answer_access`. POSTs need the CSRF token of the page.

Partial answers are saved by "Save and continue later" and, with JavaScript,
automatically as the respondent answers (htmx posts to ``autosave/``); the
same link resumes them. "Submit" checks the required questions shown and
records the response (:func:`kehu.surveys.services.distribution.response_record`).
"""

from __future__ import annotations

import logging
import time

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from html import escape as _html_escape
from django.utils.safestring import mark_safe
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kehu.surveys import answer_access as access
from kehu.surveys import answers as answers_mod
from kehu.surveys import texts
from kehu.surveys.models import Invitation, InvitationStatus, Response, ResponseStatus
from kehu.surveys.services import distribution as svc
from kehu.surveys.views_design import _likert_labels

def escape(value) -> str:
    return _html_escape(str(value), quote=True)


logger = logging.getLogger(__name__)

def _language(request, invitation: Invitation, response: Response | None) -> str:
    wanted = request.GET.get("lang") or request.POST.get("lang")
    if wanted in texts.LANGUAGES:
        return wanted
    if response is not None and response.language in texts.LANGUAGES:
        return response.language
    return invitation.language if invitation.language in texts.LANGUAGES else texts.LANGUAGES[0]


def _page(request, template: str, language: str, status: int = 200, **ctx) -> HttpResponse:
    with translation.override(language):
        ctx.setdefault("language", language)
        ctx["switch_languages"] = True
        ctx["languages"] = [(code, texts.language_name(code)) for code in texts.LANGUAGES]
        resp = render(request, template, ctx, status=status)
    resp["Cache-Control"] = "no-store"
    resp["Referrer-Policy"] = "same-origin"  # the token never leaves in a Referer; "no-referrer" would send Origin: null, which CSRF refuses
    resp["X-Robots-Tag"] = "noindex"
    return resp


def _not_found(request) -> HttpResponse:
    language = request.GET.get("lang") if request.GET.get("lang") in texts.LANGUAGES else translation.get_language()
    return _page(request, "surveys/answer/not_found.html", language if language in texts.LANGUAGES else "zh-hans",
                 status=404)


def _too_many(request) -> HttpResponse:
    language = translation.get_language() if translation.get_language() in texts.LANGUAGES else "zh-hans"
    resp = _page(request, "surveys/answer/limited.html", language, status=429)
    resp["Retry-After"] = "60"
    return resp


def _inputs_html(q, scale, options, selected: set, text_value: str, label: str) -> str:
    """The answer controls of one question as HTML, built here rather than in
    the template: the answer page renders them on every request, and a
    template loop over a hundred radio buttons costs most of the page's time.
    Every value and label is escaped."""
    code = escape(q.code)
    if q.kind in ("likert5", "nps", "scale10"):
        kind = "likert" if q.kind == "likert5" else "numeric"
        parts = [f'<div class="q-scale {kind}">']
        for value, text in scale:
            v = escape(str(value))
            checked = " checked" if str(value) in selected else ""
            parts.append(f'<label><input type="radio" name="{code}" value="{v}"{checked}><span>{escape(text)}</span>'
                         f'</label>')
        parts.append("</div>")
        if q.kind == "nps":
            ends = (_("Not at all likely"), _("Extremely likely"))
        elif q.kind == "scale10":
            ends = (_("Lowest"), _("Highest"))
        else:
            ends = None
        if ends:
            parts.append(f'<div class="q-ends small"><span>{escape(ends[0])}</span><span>{escape(ends[1])}</span></div>')
        return mark_safe("".join(parts))
    if q.kind in ("single", "multiple"):
        kind = "radio" if q.kind == "single" else "checkbox"
        parts = ['<div class="q-options">']
        for value, text in options:
            checked = " checked" if str(value) in selected else ""
            parts.append(f'<label><input type="{kind}" name="{code}" value="{escape(str(value))}"{checked}> '
                         f'{escape(text)}</label>')
        parts.append("</div>")
        return mark_safe("".join(parts))
    return mark_safe(f'<textarea name="{code}" rows="3" maxlength="4000" aria-label="{escape(label)}">'
                     f'{escape(text_value)}</textarea>')


def questionnaire_items(spec, language: str, answers: dict, errors: dict) -> list[dict]:
    """The questionnaire's items for ``surveys/_questionnaire.html`` with the
    saved ``answers`` filled in and ``errors`` beside their questions."""
    from kehu.surveys import definitions as defs

    items = []
    likert = _likert_labels()
    for q in spec.questions:
        if q.kind == "likert5":
            scale = likert
        elif q.kind in defs.SCALES:
            lo, hi = defs.SCALES[q.kind]
            scale = [(v, str(v)) for v in range(lo, hi + 1)]
        else:
            scale = []
        value = answers.get(q.code)
        selected = {str(v) for v in value} if isinstance(value, list) else ({str(value)} if value is not None else set())
        text = texts.pick(q.text, language)
        options = [(o["value"], texts.pick(o["label"], language)) for o in q.options or []]
        text_value = value if q.kind == "text" and isinstance(value, str) else ""
        items.append({
            "q": q, "text": text, "help": texts.pick(q.help, language), "condition": q.condition or {},
            "inputs": _inputs_html(q, scale, options, selected, text_value, text),
            "error": errors.get(q.code, ""),
        })
    return items


CSRF_PLACEHOLDER = "@@kehu-csrf@@"
_BODIES: dict = {}


def _questionnaire_body(survey, spec, language: str, answers: dict, errors: dict, form_error: str) -> str:
    """The questionnaire's HTML with a placeholder for the CSRF token. A blank
    questionnaire (the first visit, by far the most frequent page) is the
    same for every respondent of the survey, so it is rendered once per
    language and kept for ``answers.SPEC_SECONDS``. Links in it are relative
    to the personal link, so no token is in it."""
    blank = not answers and not errors and not form_error
    key = (survey.pk, survey.created_at, survey.updated_at, language)
    now = time.monotonic()
    if blank:
        hit = _BODIES.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    from django.template.loader import render_to_string

    ctx = {"survey": survey, "items": questionnaire_items(spec, language, answers, errors),
           "title": texts.pick(survey.title, language) or survey.code, "intro": texts.pick(survey.intro, language),
           "action": "", "autosave_url": "autosave/", "can_save": True, "form_error": form_error,
           "preview": False, "language": language, "csrf_token": CSRF_PLACEHOLDER}
    body = render_to_string("surveys/_questionnaire.html", ctx)
    if blank:
        if len(_BODIES) > 200:
            _BODIES.clear()
        _BODIES[key] = (now + answers_mod.SPEC_SECONDS, body)
    return body


def _form_page(request, invitation, response, language, *, answers=None, errors=None, form_error="",
               status=200, saved=False):
    from django.middleware.csrf import get_token

    survey = invitation.wave.survey
    spec = answers_mod.survey_spec(survey)
    if answers is None:
        answers = answers_mod.answers_of(response) if response is not None else {}
    with translation.override(language):
        body = _questionnaire_body(survey, spec, language, answers, errors or {}, form_error)
        body = mark_safe(body.replace(CSRF_PLACEHOLDER, get_token(request)))
        title = texts.pick(survey.title, language) or survey.code
        return _page(request, "surveys/answer/form.html", language, status=status, body=body, title=title,
                     closes_on=invitation.wave.closes_on)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request, token: str):
    if access.limited(request, token):
        return _too_many(request)
    invitation = access.invitation_for(token)
    if invitation is None:
        return _not_found(request)
    # A POST needs no look-up of the response first: recording it finds a completed one.
    response = (next(iter(Response.objects.filter(invitation_id=invitation.pk).only("id", "status", "language")
                          .order_by()[:1]), None)
                if request.method == "GET" or invitation.status == InvitationStatus.COMPLETED else None)
    language = _language(request, invitation, response)
    survey = invitation.wave.survey
    title = texts.pick(survey.title, language) or survey.code
    if response is not None and response.status == ResponseStatus.COMPLETE:
        return _page(request, "surveys/answer/done.html", language, title=title, already=True,
                     thanks=texts.pick(survey.thanks, language))
    if not svc.wave_accepts_answers(invitation.wave):
        return _page(request, "surveys/answer/closed.html", language, title=title,
                     not_yet=invitation.wave.status == "planned", status=410 if request.method == "POST" else 200)
    if request.method == "GET":
        if invitation.status in (InvitationStatus.PENDING, InvitationStatus.SENT):
            svc.invitation_opened(invitation)
        return _form_page(request, invitation, response, language)

    spec = answers_mod.survey_spec(survey)
    answers, errors = answers_mod.read_answers(spec, request.POST)
    submit = request.POST.get("action", "submit") != "save"
    with translation.override(language):
        if errors:
            return _form_page(request, invitation, response, language, answers=answers, errors=errors,
                              form_error=_("Some answers need your attention."), status=422)
        try:
            svc.response_record(invitation=invitation, answers=answers, submit=submit, language=language)
        except ValidationError as exc:
            missing = {code: msgs[0] for code, msgs in exc.message_dict.items()}
            return _form_page(request, invitation, response, language, answers=answers, errors=missing,
                              form_error=_("Please answer the questions marked below."), status=422)
        except svc.AlreadyCompleted:
            return _page(request, "surveys/answer/done.html", language, title=title, already=True,
                         thanks=texts.pick(survey.thanks, language))
        except svc.WaveNotOpen:
            return _page(request, "surveys/answer/closed.html", language, title=title, status=410)
    if submit:
        return _page(request, "surveys/answer/done.html", language, title=title, already=False,
                     thanks=texts.pick(survey.thanks, language))
    return _page(request, "surveys/answer/saved.html", language, title=title, link=request.path,
                 closes_on=invitation.wave.closes_on)


@never_cache
@require_POST
def autosave(request, token: str):
    """htmx: save the answers so far (partial), answer a short status line."""
    if access.limited(request, token):
        return HttpResponse(status=429)
    invitation = access.invitation_for(token)
    if invitation is None:
        return HttpResponse(status=404)
    language = request.POST.get("lang") if request.POST.get("lang") in texts.LANGUAGES else invitation.language
    spec = answers_mod.survey_spec(invitation.wave.survey)
    answers, errors = answers_mod.read_answers(spec, request.POST)
    with translation.override(language):
        if errors:
            return HttpResponse(_("Not saved: some answers need your attention."))
        try:
            svc.response_record(invitation=invitation, answers=answers, submit=False, language=language)
        except svc.AlreadyCompleted:
            return HttpResponse(_("Your answers were already submitted."))
        except svc.WaveNotOpen:
            return HttpResponse(_("This survey is closed."))
        return HttpResponse(_("Saved at %(time)s. You can continue later with the same link.") % {
            "time": formats.time_format(timezone.localtime(), "H:i")})
