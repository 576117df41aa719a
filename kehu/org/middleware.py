"""Language per user: a logged-in user's saved language wins over cookie and browser."""

from __future__ import annotations

from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class UserLanguageMiddleware(LocaleMiddleware):
    """Django's locale middleware (cookie, Accept-Language) without URL prefixes."""


class ActivateUserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        lang = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if lang:
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        return self.get_response(request)


class PartnerPortalMiddleware:
    """Partner users reach only the partner portal: every page not listed in
    :data:`kehu.org.policies.PARTNER_VIEWS` answers 404, like a record they may not see
    (the decision is :meth:`kehu.org.policies.CustomerPolicy.may_use_view`). The API decides
    the same in its authentication (kehu/api/router.py), where a token's user is known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.http import Http404
        from django.shortcuts import redirect

        from kehu.org.policies import policy_for

        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None:
            return None
        name = match.view_name or ""
        if name.startswith("api-v1:"):
            return None   # the API's authentication asks the same question
        policy = policy_for(user)
        if policy.may_use_view(name):
            return None
        if name == "home":
            return redirect("customer_list")   # the portal's start page
        raise Http404
