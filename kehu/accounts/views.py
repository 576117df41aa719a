"""Sign in (with the second factor), password change and reset, two-step set-up,
and the administrators' page of sign-ins and lockouts."""

from __future__ import annotations

import time

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.accounts import selectors, services
from kehu.accounts.forms import CodeForm, KehuPasswordResetForm, TotpConfirmForm, TotpDisableForm, UnlockForm
from kehu.accounts.throttle import lockout_response
from kehu.org.policies import policy_for

PENDING_KEY = "kehu_login_pending"
PENDING_SECONDS = 300  # the code must follow the password within five minutes


# -- signing in ----------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """Django's login; an account with two-step sign-in on is asked for its code next."""

    template_name = "accounts/login.html"

    def form_valid(self, form):
        user = form.get_user()
        if services.totp_required(user):
            self.request.session[PENDING_KEY] = {
                "user": user.pk, "backend": user.backend, "next": self.get_success_url(), "at": time.time(),
            }
            return redirect("login_code")
        return super().form_valid(form)


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


def login_code(request):
    """The second step: the 6-digit code (or a recovery code). Wrong codes count as failed logins."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in with your password first."))
        return redirect("login")
    credentials = {"username": user.get_username()}
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(PENDING_KEY, None)
            return lockout_response(request, None, credentials)
        if form.is_valid():
            if services.totp_verify(user=user, code=form.cleaned_data["code"]):
                request.session.pop(PENDING_KEY, None)
                auth_login(request, user, backend=pending["backend"])
                return HttpResponseRedirect(pending["next"])
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            form.add_error("code", _("The code is not right. Try the code your app shows now."))
    return render(request, "accounts/login_code.html", {"form": form, "title": _("Two-step sign-in")})


# -- passwords -----------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")
    extra_context = {"title": gettext_lazy("Change password"), "nav_active": "profile"}

    def form_valid(self, form):
        services.password_set(user=self.request.user, password=form.cleaned_data["new_password1"],
                              actor=self.request.user)
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = KehuPasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")
    extra_context = {"title": gettext_lazy("Reset your password")}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"
    extra_context = {"title": gettext_lazy("Check your e-mail")}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")
    extra_context = {"title": gettext_lazy("Choose a new password")}

    def form_valid(self, form):
        user = form.user
        services.password_set(user=user, password=form.cleaned_data["new_password1"], actor=user,
                              action="password_reset")
        # Whoever reads the account's mailbox may sign in again at once.
        AxesProxyHandler.reset_attempts(username=user.get_username())
        self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
    extra_context = {"title": gettext_lazy("Password reset")}


# -- two-step sign-in (administrators) ----------------------------------------------


def security_context(user) -> dict:
    """What the profile page shows about signing in (kehu/web/views/account.py)."""
    device = services.totp_device(user)
    return {
        "may_use_totp": policy_for(user).is_admin,
        "totp_on": bool(device and device.confirmed),
        "recovery_codes_left": len(device.recovery_codes) if device and device.confirmed else 0,
        "totp_disable_form": TotpDisableForm(),
    }


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


@login_required
def totp_setup(request):
    """Set up the authenticator app: a new secret, its QR code, then a code to confirm."""
    if not policy_for(request.user).is_admin:
        raise PermissionDenied(_("Only administrators can turn on two-step sign-in."))
    device = services.totp_device(request.user)
    if device is not None and device.confirmed:
        return redirect("profile")
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            codes = services.totp_confirm(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("code" if hasattr(exc, "error_dict") else None, message)
        else:
            return render(request, "accounts/totp_codes.html", {"codes": codes, "title": _("Recovery codes"),
                                                                "nav_active": "profile"})
    if device is None or request.method == "GET":
        device = services.totp_begin(user=request.user)
    uri = services.totp_uri(device)
    return render(request, "accounts/totp_setup.html", {
        "form": form, "qr_svg": _qr_svg(uri), "secret": device.secret, "title": _("Two-step sign-in"),
        "nav_active": "profile",
    })


@login_required
@require_POST
def totp_disable(request):
    form = TotpDisableForm(request.POST)
    if form.is_valid() and request.user.check_password(form.cleaned_data["password"]):
        services.totp_disable(user=request.user, actor=request.user)
        messages.success(request, _("Two-step sign-in is off."))
    else:
        messages.error(request, _("The password is not right; two-step sign-in stays on."))
    return redirect(reverse("profile") + "#security")


# -- the administrators' page --------------------------------------------------------


@login_required
def security(request):
    """Lockouts (with unlock) and the latest sign-ins, for administrators."""
    username = request.GET.get("username", "").strip()[:150]
    lockouts = selectors.lockout_list(viewer=request.user)
    return render(request, "accounts/security.html", {
        "title": _("Sign-ins and lockouts"), "nav_active": "security",
        "lockouts": lockouts, "events": selectors.sign_in_list(viewer=request.user, username=username),
        "unlock_form": UnlockForm(), "username": username,
        "limits": {"account": settings.KEHU_LOGIN_FAILURES_PER_ACCOUNT,
                   "address": settings.KEHU_LOGIN_FAILURES_PER_ADDRESS,
                   "minutes": settings.KEHU_LOGIN_LOCKOUT_MINUTES},
    })


@login_required
@require_POST
def security_unlock(request):
    if not policy_for(request.user).is_admin:
        raise PermissionDenied(_("Only administrators may unlock accounts."))
    form = UnlockForm(request.POST)
    if form.is_valid():
        username, address = form.cleaned_data["username"], form.cleaned_data["address"] or ""
        services.login_unlock(actor=request.user, username=username, address=address)
        messages.success(request, _("Unlocked %(what)s.") % {"what": username or address})
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("security")
