"""/api/v1/me: every user changes their own language and password through the API,
as on the profile page, and both are audited (issue 18, item 7)."""

from __future__ import annotations

import pytest

from kehu.audit.models import AuditEvent
from tests.api.conftest import assert_error
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_own_language_is_changed_and_audited(org, api_as):
    user = org.users.sales_n1
    api = api_as(user)
    r = api.patch("/me", {"language": "zh-hans"})
    assert r.status_code == 200, r.content
    assert r.json()["language"] == "zh-hans"
    user.refresh_from_db()
    assert user.language == "zh-hans"
    event = AuditEvent.objects.filter(action="update", entity_id=user.pk).latest("pk")
    assert event.changes["language"][1] == "zh-hans"
    assert_error(api.patch("/me", {"language": "fr"}), 422, "validation_error")


def test_own_password_needs_the_current_one_and_the_rules(org, api_as):
    user = org.users.sales_e1
    api = api_as(user)
    r = api.post("/me/password", {"current_password": "wrong", "new_password": "Ganggang-2026-long"})
    assert r.status_code == 422 and "current_password" in r.content.decode()
    r = api.post("/me/password", {"current_password": PASSWORD, "new_password": "123"})
    assert r.status_code == 422 and "new_password" in r.content.decode()
    r = api.post("/me/password", {"current_password": PASSWORD, "new_password": "Ganggang-2026-long"})
    assert r.status_code == 204, r.content
    user.refresh_from_db()
    assert user.check_password("Ganggang-2026-long")
    assert AuditEvent.objects.filter(action="password_change", entity_id=user.pk).exists()
    # the token still works: it is not the password
    assert api.get("/me").status_code == 200
