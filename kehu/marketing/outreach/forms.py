from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import (
    Channel, GateSettings, HoldReason, Language, MessageTemplate, SourceKind, Status, SuppressionReason,
)


def _blank(choices):
    return [("", _("All"))] + list(choices)


class MessageFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(Channel.choices), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=_blank(Status.choices), required=False)
    reason = forms.ChoiceField(label=_("Hold reason"), choices=_blank(HoldReason.choices), required=False)
    source = forms.ChoiceField(label=_("Source"), choices=_blank(SourceKind.choices), required=False)
    customer = forms.IntegerField(required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput)


class TemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["code", "name", "channel", "purpose", "subject_zh", "body_zh", "subject_en", "body_en"]
        widgets = {"body_zh": forms.Textarea(attrs={"rows": 6}), "body_en": forms.Textarea(attrs={"rows": 6})}


class SuppressionForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    address = forms.CharField(label=_("Address"), max_length=254,
                              help_text=_("An e-mail address or a phone number."))
    reason = forms.ChoiceField(label=_("Reason"), choices=SuppressionReason.choices, initial=SuppressionReason.MANUAL)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class GateSettingsForm(forms.ModelForm):
    class Meta:
        model = GateSettings
        exclude = ["updated_at"]
        widgets = {"quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of messages"), choices=Language.choices)
