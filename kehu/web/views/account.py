"""Log in, log out, language, the profile page and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts.views import security_context
from kehu.org.models import ApiToken
from kehu.org.services import token_create as token_create_service
from kehu.org.services import token_revoke as token_revoke_service
from kehu.org.services import user_set_language
from kehu.web.forms.account import LanguageForm, TokenForm
from kehu.web.views.common import add_service_errors

NEW_TOKEN_SESSION_KEY = "kehu_new_token"


@require_POST
def set_language(request):
    """Switch the language and remember it: on the user when logged in, in a cookie always."""
    lang = request.POST.get("language", "")
    nxt = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        nxt = "/"
    response = HttpResponseRedirect(nxt)
    if lang in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            user_set_language(user=request.user, language=lang)
        translation.activate(lang)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


# -- the profile page -----------------------------------------------------------


def _profile_context(request, language_form=None, token_form=None):
    user = request.user
    return {
        "nav_active": "profile",
        "title": _("My profile"),
        "language_form": language_form or LanguageForm(initial={"language": user.language or request.LANGUAGE_CODE}),
        "token_form": token_form or TokenForm(),
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at"),
        # The raw token exists only in this one response: it is popped from the session.
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
        # password and two-step sign-in (kehu/accounts)
        **security_context(user),
    }


@login_required
def profile(request):
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            lang = form.cleaned_data["language"]
            try:
                user_set_language(user=request.user, language=lang)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                translation.activate(lang)
                messages.success(request, _("Language saved."))
                response = redirect("profile")
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 24 * 3600, samesite="Lax")
                return response
        return render(request, "web/account/profile.html", _profile_context(request, language_form=form))
    return render(request, "web/account/profile.html", _profile_context(request))


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(request, "web/account/profile.html", _profile_context(request, token_form=form))
    token, raw = token_create_service(user=request.user, name=form.cleaned_data["name"])
    request.session[NEW_TOKEN_SESSION_KEY] = {"name": token.name, "raw": raw}
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        token_revoke_service(token=token, actor=request.user)
        messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("profile")
