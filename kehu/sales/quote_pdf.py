"""A quote as PDF, in Chinese or English, under the company's header (settings.KEHU_COMPANY:
``KEHU_COMPANY_NAME``, ``KEHU_COMPANY_NAME_EN``, ``KEHU_COMPANY_ADDRESS``, ``KEHU_COMPANY_PHONE``,
``KEHU_COMPANY_TAX_ID``). WeasyPrint with Noto Sans CJK, as the service analytics PDF."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from kehu.sales.quote_selectors import quote_lines

LANGUAGES = {"zh": "zh-hans", "zh-hans": "zh-hans", "en": "en"}


def company_header(language: str) -> dict:
    c = dict(getattr(settings, "KEHU_COMPANY", {}) or {})
    zh, en = c.get("name_zh") or "", c.get("name_en") or ""
    c["name"] = (zh or en) if language.startswith("zh") else (en or zh)
    c["other_name"] = en if language.startswith("zh") and zh else (zh if en else "")
    c["name"] = c["name"] or "Kehu"
    return c


def quote_html(quote, *, language: str) -> str:
    language = LANGUAGES.get(language, language)
    with translation.override(language):
        return render_to_string("sales/quote_pdf.html", {
            "quote": quote, "lines": list(quote_lines(quote)), "company": company_header(language)})


def quote_pdf(quote, *, language: str) -> bytes:
    import logging

    from weasyprint import HTML

    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return HTML(string=quote_html(quote, language=language)).write_pdf()


def quote_filename(quote, language: str) -> str:
    return f"{quote.ref}-V{quote.revision}-{'zh' if language.startswith('zh') else 'en'}.pdf"
