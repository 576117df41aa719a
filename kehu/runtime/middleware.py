"""The client's address behind a reverse proxy."""

from __future__ import annotations

from django.conf import settings


class ProxyClientAddressMiddleware:
    """With ``KEHU_TRUSTED_PROXIES``, put the client's address into
    ``REMOTE_ADDR`` for everything after it (the answer page's rate limit,
    the log, the login throttling): the right-most address of
    ``X-Forwarded-For`` that is not a trusted proxy, as
    :func:`kehu.accounts.throttle.client_address` decides — one rule. The
    proxy's own address is kept in ``KEHU_PROXY_ADDR``. A request that does
    not come from a trusted proxy keeps its ``REMOTE_ADDR``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "KEHU_TRUSTED_PROXIES", None):
            from kehu.accounts.throttle import client_address

            meta = request.META
            client = client_address(request)
            if client and client != meta.get("REMOTE_ADDR"):
                meta["KEHU_PROXY_ADDR"] = meta.get("REMOTE_ADDR", "")
                meta["REMOTE_ADDR"] = client
        return self.get_response(request)
