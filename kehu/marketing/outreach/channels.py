"""The channels' delivery: e-mail through Django's mail backends, SMS through an
:class:`SmsProvider`. WeChat and direct mail are exported lists and phone calls
are tasks for the owner (:mod:`kehu.marketing.outreach.services`), so nothing
here delivers them.

SMS providers (``KEHU_SMS_PROVIDER``):

- ``console`` (the default): prints each message to the server's standard
  output — for development;
- ``http``: a generic HTTP JSON gateway. ``POST KEHU_SMS_URL`` with the body
  ``{"to": "+8613800138000", "text": "…", "sender": KEHU_SMS_SENDER}`` and the
  header ``Authorization: Bearer KEHU_SMS_KEY``; any 2xx answer is success, its
  JSON ``id`` (or ``message_id``) is kept as the provider's reference; anything
  else, or no answer within ``KEHU_SMS_TIMEOUT`` seconds (default 10), is a
  failure whose text is kept on the message. Most Chinese SMS aggregators offer
  such an endpoint or sit behind a small relay that does.
"""

from __future__ import annotations

import html
import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    ref: str = ""
    error: str = ""


class SmsProvider:
    """Sends one text to one phone number."""

    name = "base"

    def send(self, phone: str, text: str) -> SmsResult:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsProvider(SmsProvider):
    name = "console"

    def __init__(self, stream=None):
        self.stream = stream

    def send(self, phone: str, text: str) -> SmsResult:
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {phone}: {text}\n")
        stream.flush()
        return SmsResult(ok=True, ref="console")


class HttpJsonSmsProvider(SmsProvider):
    name = "http"

    def __init__(self, *, url: str, key: str = "", sender: str = "", timeout: float = 10.0):
        if not url:
            raise ValueError("KEHU_SMS_URL is not set")
        self.url, self.key, self.sender, self.timeout = url, key, sender, timeout

    def send(self, phone: str, text: str) -> SmsResult:
        body = json.dumps({"to": phone, "text": text, "sender": self.sender}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
            **({"Authorization": f"Bearer {self.key}"} if self.key else {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                raw = response.read(65536)
        except urllib.error.HTTPError as exc:
            return SmsResult(ok=False, error=f"HTTP {exc.code}: {exc.read(300).decode('utf-8', 'replace')}"[:300])
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return SmsResult(ok=False, error=str(getattr(exc, "reason", exc))[:300])
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        ref = (data.get("id") or data.get("message_id") or "") if isinstance(data, dict) else ""
        return SmsResult(ok=True, ref=str(ref)[:100])


def sms_provider() -> SmsProvider:
    """The provider the settings name."""
    kind = getattr(settings, "KEHU_SMS_PROVIDER", "console") or "console"
    if kind == "http":
        return HttpJsonSmsProvider(url=getattr(settings, "KEHU_SMS_URL", ""), key=getattr(settings, "KEHU_SMS_KEY", ""),
                                   sender=getattr(settings, "KEHU_SMS_SENDER", ""),
                                   timeout=float(getattr(settings, "KEHU_SMS_TIMEOUT", 10)))
    return ConsoleSmsProvider()


def email_message(*, to: str, subject: str, body: str, unsubscribe_url: str, footer: str,
                  connection=None) -> EmailMultiAlternatives:
    """An e-mail with a text and an HTML part, the unsubscribe link in both and in the
    ``List-Unsubscribe`` header (with one-click, RFC 8058)."""
    text = f"{body}\n\n--\n{footer}\n{unsubscribe_url}\n"
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
    markup = (f"<!doctype html><html><body>{paragraphs}<hr><p style=\"font-size:small\">"
              f"<a href=\"{html.escape(unsubscribe_url)}\">{html.escape(footer)}</a></p></body></html>")
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], connection=connection, headers={
        "List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    message.attach_alternative(markup, "text/html")
    return message


def email_connection():
    return get_connection(fail_silently=False)
