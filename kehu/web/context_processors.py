"""Navigation for every page: the sections a user may open."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        ("home", _("Dashboard"), reverse("home")),
        ("customers", _("Customers"), reverse("customer_list")),
        ("interactions", _("Interactions"), reverse("interaction_list")),
        ("orders", _("Orders"), reverse("order_list")),
        ("products", _("Products"), reverse("product_list")),
        ("import", _("Import"), reverse("import_start")),
    ]
    return {"nav_items": [{"key": k, "label": label, "url": url} for k, label, url in items]}
