"""Forms of the sign-in pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CodeForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("one-time code", "Code"), max_length=20, strip=True,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"), max_length=6, min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TotpDisableForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))


class UnlockForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150, required=False)
    address = forms.GenericIPAddressField(label=pgettext_lazy("network", "Address"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("username") and not data.get("address"):
            raise forms.ValidationError(_("Give a username or an address to unlock."))
        return data


class KehuPasswordResetForm(PasswordResetForm):
    """Django's reset form; the e-mail is written in the user's own language when they saved one."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        language = getattr(context.get("user"), "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)
