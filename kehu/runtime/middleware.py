"""The client's address behind a reverse proxy."""

from __future__ import annotations

from django.conf import settings


def forwarded_client(remote_addr: str, forwarded_for: str, hops: int) -> str:
    """The client's address given ``hops`` trusted proxies in front of Kehu.

    Each proxy appends the address it received the request from to
    ``X-Forwarded-For``, so the address the outermost trusted proxy saw is the
    ``hops``-th from the right; anything left of it was written by the client
    and proves nothing. With fewer entries than proxies, the leftmost is taken."""
    if hops <= 0:
        return remote_addr
    chain = [a.strip() for a in forwarded_for.split(",") if a.strip()]
    if not chain:
        return remote_addr
    return chain[-min(hops, len(chain))]


class ProxyClientAddressMiddleware:
    """With ``KEHU_BEHIND_PROXY``, put the client's address (from the proxy's
    ``X-Forwarded-For``) into ``REMOTE_ADDR``, which the answer page's rate
    limit and the log read; the proxy's own address is kept in
    ``KEHU_PROXY_ADDR``. Without the setting, the header is ignored."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        hops = getattr(settings, "KEHU_PROXY_HOPS", 0)
        if hops:
            meta = request.META
            client = forwarded_client(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), hops)
            if client != meta.get("REMOTE_ADDR"):
                meta["KEHU_PROXY_ADDR"] = meta.get("REMOTE_ADDR", "")
                meta["REMOTE_ADDR"] = client
        return self.get_response(request)
