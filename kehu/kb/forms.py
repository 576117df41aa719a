from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.kb.models import BODY_MAX, TITLE_MAX, ArticleStatus, KbCategory


class ArticleForm(forms.Form):
    title_zh = forms.CharField(label=_("title (Chinese)"), max_length=TITLE_MAX, required=False)
    title_en = forms.CharField(label=_("title (English)"), max_length=TITLE_MAX, required=False)
    body_zh = forms.CharField(label=_("text (Chinese)"), max_length=BODY_MAX, required=False,
                              widget=forms.Textarea(attrs={"rows": 10}))
    body_en = forms.CharField(label=_("text (English)"), max_length=BODY_MAX, required=False,
                              widget=forms.Textarea(attrs={"rows": 10}))
    category = forms.ModelChoiceField(label=_("category"), queryset=KbCategory.objects.all(), required=False)
    tags = forms.CharField(label=_("tags"), required=False, max_length=1100,
                           help_text=_("Separate tags with commas."))
    case_category_code = forms.CharField(label=_("case category"), max_length=50, required=False)

    def service_data(self) -> tuple[dict, list[str]]:
        d = dict(self.cleaned_data)
        tags = [t for t in d.pop("tags", "").replace("，", ",").split(",") if t.strip()]
        return d, tags


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("Any status"))] + list(ArticleStatus.choices))
    category = forms.ChoiceField(label=_("category"), required=False)
    tag = forms.CharField(label=_("tag"), required=False, max_length=50)

    def __init__(self, *args, writer=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any category"))] + [
            (c.code, c.name) for c in KbCategory.objects.all()]
        if not writer:
            del self.fields["status"]


class CategoryForm(forms.Form):
    """A knowledge-base category (the administrators' settings page)."""

    code = forms.CharField(label=_("code"), max_length=50,
                           help_text=_("Use lower-case letters, digits, hyphens and underscores."))
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("name (English)"), max_length=100, required=False)
    position = forms.IntegerField(label=_("position"), min_value=0, max_value=32767, initial=0)
    case_category_code = forms.ChoiceField(label=_("case category"), required=False,
                                           help_text=_("Its articles are suggested first on cases of this category."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.apps import apps

        choices = [("", _("None"))]
        if apps.is_installed("kehu.service"):
            CaseCategory = apps.get_model("service", "CaseCategory")
            for c in CaseCategory.objects.select_related("parent").order_by("position", "code"):
                choices.append((c.code, f"— {c.name}" if c.parent_id else c.name))
        self.fields["case_category_code"].choices = choices
