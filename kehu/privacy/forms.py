from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.privacy.services import REASON_MAX


class EraseForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("For example: the person's request of 3 March, by letter."))
    confirm = forms.CharField(label=_("Type the customer code to confirm"), max_length=40)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value.upper() != self.customer.ref.upper():
            raise forms.ValidationError(_("Type the customer code %(ref)s exactly.") % {"ref": self.customer.ref})
        return value
