"""The permission matrix of the personal-information pages (kehu/privacy/views.py):
reveal (htmx POST), export (POST, a zip) and the erasure page, per role and
customer. Not visible → 404; visible but not allowed → 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

VISIBLE = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"},
    "north_manager": {"n1"}, "north_service": {"n1"}, "north_marketing": {"n1"},
    "east_manager": {"e1"}, "sales_n1": {"n1"}, "sales_n1b": set(), "sales_e1": {"e1"},
}
READ_ONLY = {"analyst", "north_marketing"}
ERASERS = {"admin", "hq_manager"}
PAGES = [
    ("reveal", lambda c, pk: c.post(reverse("privacy_reveal", args=[pk]), {"field": "phone"}), 200,
     lambda role: role not in READ_ONLY),
    ("export", lambda c, pk: c.post(reverse("privacy_export", args=[pk])), 200, lambda role: role not in READ_ONLY),
    ("erase page", lambda c, pk: c.get(reverse("privacy_erase", args=[pk])), 200, lambda role: role in ERASERS),
    ("erase", lambda c, pk: c.post(reverse("privacy_erase", args=[pk]), {"reason": "r", "confirm": "x"}), 200,
     lambda role: role in ERASERS),
]


@pytest.mark.parametrize("role", sorted(VISIBLE))
@pytest.mark.parametrize("target", ["n1", "e1"])
@pytest.mark.parametrize("page", PAGES, ids=[p[0] for p in PAGES])
def test_privacy_pages(client_for, org, customers, role, target, page):
    _name, call, ok, allowed = page
    r = call(client_for(getattr(org.users, role)), getattr(customers, target).pk)
    if target not in VISIBLE[role]:
        assert r.status_code == 404
    elif not allowed(role):
        assert r.status_code == 403
    else:
        assert r.status_code == ok


def test_privacy_pages_need_a_login(client, customers):
    r = client.post(reverse("privacy_export", args=[customers.n1.pk]))
    assert r.status_code == 302 and "/login/" in r["Location"]
