"""The marketing cards of the customer 360 page (win-back, coupons, membership, messages, care moments,
campaigns),
loaded after the page with htmx (``hx-trigger="load"``), so the page itself does not pay their queries.
Each card is its app's own inclusion tag; this view only checks that the viewer may see the customer (404
otherwise, the one policy) and renders the tag."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.template import engines
from django.urls import path

from kehu.org.policies import policy_for

# card → (template tag library, tag)
CARDS = {
    "winback": ("winback", "customer_winback"),
    "coupons": ("coupons", "customer_coupons"),
    "membership": ("membership", "membership_card"),
    "outreach": ("outreach", "outreach_card"),
    "care": ("care", "customer_care"),
    "campaigns": ("campaigns", "customer_campaigns"),
}


@login_required
def customer_card(request, pk: int, card: str):
    if card not in CARDS:
        raise Http404
    policy = policy_for(request.user)
    customer = policy.get_visible(pk)
    library, tag = CARDS[card]
    template = engines["django"].from_string("{% load " + library + " %}{% " + tag + " customer %}")
    return HttpResponse(template.render({"customer": customer, "can_change": policy.can_change(customer)}, request))


urlpatterns = [
    path("customers/<int:pk>/cards/<slug:card>/", customer_card, name="customer_marketing_card"),
]
