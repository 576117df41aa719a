"""Forms of the survey designer. A text in both languages is two fields,
``<name>_zh`` and ``<name>_en``; :meth:`BilingualForm.text` puts them back
together for the services, which do the validation that matters."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.surveys import definitions as defs
from kehu.surveys import texts
from kehu.surveys.models import ConstructMode, FollowUpAs, QuestionKind, SurveyKind

SHORT = forms.TextInput(attrs={"maxlength": 200})
LONG = forms.Textarea(attrs={"rows": 3})


class BilingualForm(forms.Form):
    """A form with texts in Chinese and English side by side."""

    bilingual: tuple[tuple[str, str, bool, bool], ...] = ()  # (name, label, required, long)

    def __init__(self, *args, initial_texts: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for name, label, required, long in self.bilingual:
            value = (initial_texts or {}).get(name) or {}
            for code, suffix, template in ((texts.ZH, "zh", _("%(field)s in Chinese")),
                                           (texts.EN, "en", _("%(field)s in English"))):
                field = forms.CharField(
                    label=template % {"field": label},
                    required=False, widget=LONG if long else SHORT, initial=value.get(code, ""),
                    max_length=texts.MAX_LENGTH,
                )
                field.bilingual = name
                field.required_pair = required
                fields[f"{name}_{suffix}"] = field
        # The bilingual fields first, in pairs, then the form's own.
        own = dict(self.fields)
        self.fields = {**fields, **own}

    def clean(self):
        data = super().clean()
        for name, label, required, _long in self.bilingual:
            if required and not (data.get(f"{name}_zh", "").strip() or data.get(f"{name}_en", "").strip()):
                self.add_error(f"{name}_zh", _("Give the text in Chinese, in English, or in both."))
        return data

    def text(self, name: str) -> dict:
        return texts.make(self.cleaned_data.get(f"{name}_zh", ""), self.cleaned_data.get(f"{name}_en", ""))

    def pairs(self):
        """``[(zh bound field, en bound field)]`` for the template's two columns."""
        return [(self[f"{name}_zh"], self[f"{name}_en"]) for name, *_rest in self.bilingual]

    def others(self):
        return [self[n] for n, f in self.fields.items() if not getattr(f, "bilingual", None)]


class SurveyCreateForm(BilingualForm):
    bilingual = (("title", _("Title"), False, False),)
    start = forms.ChoiceField(label=_("Start from"), widget=forms.RadioSelect)
    code = forms.SlugField(label=_("Code"), max_length=50,
                           help_text=_("Short name used in links, files and the command line, e.g. csi-2026."))
    kind = forms.ChoiceField(label=_("Kind"), choices=SurveyKind.choices, initial=SurveyKind.CUSTOMER,
                             help_text=_("For a blank survey; a template brings its own."))

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].choices = [("", _("A blank survey"))] + [(t.name, texts.pick(t.title)) for t in templates]
        self.fields["start"].required = False

    def clean(self):
        data = super().clean()
        if not data.get("start") and not (data.get("title_zh", "").strip() or data.get("title_en", "").strip()):
            self.add_error("title_zh", _("A blank survey needs a title."))
        return data


class SurveyTextsForm(BilingualForm):
    bilingual = (
        ("title", _("Title"), True, False),
        ("description", _("Description for your colleagues"), False, True),
        ("intro", _("Introduction shown to respondents"), False, True),
        ("thanks", _("Thank-you text after the last question"), False, True),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=SurveyKind.choices)
    satisfied_from = forms.IntegerField(
        label=_("Satisfied from score"), min_value=0, max_value=100,
        help_text=_("A respondent whose index reaches this score (0–100) counts as satisfied in the satisfaction "
                    "rate; 80 counts 满意 and 较满意."))
    follow_up_below = forms.IntegerField(
        label=_("Follow up when the index is below"), min_value=0, max_value=100,
        help_text=_("A response scoring below this creates a follow-up task for the customer's owner."))
    follow_up_detractors = forms.BooleanField(label=_("Follow up detractors (NPS 0–6)"), required=False)
    follow_up_as = forms.ChoiceField(
        label=_("Follow up as"), choices=FollowUpAs.choices, required=False,
        help_text=_("A task for the customer's owner, or a complaint case (channel “survey follow-up”) that the "
                    "service desk handles like any other complaint."))
    resurvey_days = forms.IntegerField(
        label=_("Do not survey a customer again within (days)"), min_value=0, max_value=3650)


class CopyForm(BilingualForm):
    bilingual = (("title", _("New title"), False, False),)
    code = forms.SlugField(label=_("Code of the copy"), max_length=50)


class DefinitionFileForm(forms.Form):
    file = forms.FileField(label=_("Definition file"),
                           help_text=_("A YAML (.yaml, .yml) or JSON (.json) file, as Export writes it."))
    code = forms.SlugField(label=_("Code"), max_length=50, required=False,
                           help_text=_("Leave empty to use the code in the file."))

    def __init__(self, *args, with_code: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["code"]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".yaml", ".yml", ".json")):
            raise ValidationError(_("Choose a .yaml, .yml or .json file."))
        if f.size > defs.MAX_FILE_BYTES:
            raise ValidationError(_("The file is larger than 2 MB; a survey definition is far smaller."))
        return f


class IndicatorForm(BilingualForm):
    bilingual = (("name", _("Name"), True, False),)
    code = forms.CharField(label=_("Code"), max_length=40,
                           help_text=_("A letter, then letters, digits, _ . or -, e.g. supply."))


class ConstructForm(BilingualForm):
    bilingual = (("name", _("Name"), True, False),)
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("e.g. SAT for satisfaction."))
    mode = forms.ChoiceField(label=_("Measurement"), choices=ConstructMode.choices,
                             help_text=_("Reflective when the items reflect the construct (the usual case for "
                                         "ACSI/ECSI); formative when they make it up."))


class PathForm(forms.Form):
    source = forms.ChoiceField(label=pgettext_lazy("path", "From"))
    target = forms.ChoiceField(label=pgettext_lazy("path", "To"))

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = choices
        self.fields["target"].choices = choices


CONDITION_OPS = [
    ("", _("Always shown")),
    ("=", _("is")), ("!=", _("is not")), ("<", _("is less than")), ("<=", _("is at most")),
    (">", _("is more than")), (">=", _("is at least")), ("in", _("is one of")), ("not in", _("is none of")),
    ("answered", _("is answered")), ("not answered", _("is not answered")),
]


class QuestionForm(BilingualForm):
    bilingual = (("text", _("Question"), True, True), ("help", _("Help text"), False, False))
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("e.g. Q1. Used in files, imports and "
                                                                       "conditions."))
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)
    reverse = forms.BooleanField(label=_("Reverse scored"), required=False,
                                 help_text=_("For items where a high answer is bad; scored lowest-best."))
    options = forms.CharField(
        label=_("Options"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Choice questions: one option a line, as value | 中文 | English, e.g. price | 价格 | Price."))
    indicator = forms.ChoiceField(label=_("Measures the indicator"), required=False)
    construct = forms.ChoiceField(label=_("Measures the construct"), required=False)
    condition_question = forms.ChoiceField(label=_("Show only when the answer to"), required=False)
    condition_op = forms.ChoiceField(label=_("Comparison"), choices=CONDITION_OPS, required=False)
    condition_value = forms.CharField(
        label=_("Value"), required=False, max_length=200,
        help_text=_("A number or an option value; for “is one of”, several separated by commas."))

    def __init__(self, *args, indicators=(), constructs=(), earlier=(), **kwargs):
        super().__init__(*args, **kwargs)
        none = [("", "—")]
        self.fields["indicator"].choices = none + list(indicators)
        self.fields["construct"].choices = none + list(constructs)
        self.fields["condition_question"].choices = none + list(earlier)

    def clean_options(self):
        raw = self.cleaned_data.get("options", "")
        options = []
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 2:
                parts.append("")
            if len(parts) != 3 or not parts[0]:
                raise ValidationError(_("Line %(line)d: write value | 中文 | English.") % {"line": n})
            options.append({"value": parts[0], "label": texts.make(parts[1], parts[2])})
        return options

    def condition(self) -> dict:
        ref = self.cleaned_data.get("condition_question")
        op = self.cleaned_data.get("condition_op")
        if not ref or not op:
            return {}
        raw = (self.cleaned_data.get("condition_value") or "").strip()
        out: dict = {"question": ref, "op": op}
        if op in defs.PRESENCE_OPS:
            return out
        values = [v.strip() for v in raw.split(",") if v.strip()] if op in defs.LIST_OPS else [raw]
        parsed = [_number_or_text(v) for v in values]
        out["value"] = parsed if op in defs.LIST_OPS else (parsed[0] if parsed else "")
        return out

    def service_data(self, survey) -> dict:
        d = self.cleaned_data
        indicator = survey.indicators.filter(pk=d["indicator"]).first() if d.get("indicator") else None
        construct = survey.constructs.filter(pk=d["construct"]).first() if d.get("construct") else None
        return {
            "code": d["code"].strip(), "kind": d["kind"], "text": self.text("text"), "help": self.text("help"),
            "required": d.get("required", False), "reverse": d.get("reverse", False), "options": d["options"],
            "indicator": indicator, "construct": construct, "condition": self.condition(),
        }


def _number_or_text(value: str):
    try:
        f = float(value)
    except ValueError:
        return value
    return int(f) if f.is_integer() else f


def options_as_text(options) -> str:
    return "\n".join(f"{o['value']} | {o['label'].get('zh-hans', '')} | {o['label'].get('en', '')}"
                     for o in options or [])


def condition_initial(condition: dict) -> dict:
    if not condition:
        return {}
    value = condition.get("value", "")
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return {"condition_question": condition.get("question", ""), "condition_op": condition.get("op", ""),
            "condition_value": "" if value is None else str(value)}
