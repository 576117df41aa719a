"""The customer 360 page with its marketing cards, which arrive after the page (htmx, kehu/marketing/cards.py)."""

from django.urls import reverse

from kehu.marketing.cards import CARDS


def page_with_cards(client, customer_pk: int) -> str:
    """The page's HTML followed by each marketing card's, as the browser shows them once htmx has run."""
    html = client.get(reverse("customer_detail", args=[customer_pk])).content.decode()
    for card in CARDS:
        html += client.get(reverse("customer_marketing_card", args=[customer_pk, card]),
                           HTTP_HX_REQUEST="true").content.decode()
    return html
