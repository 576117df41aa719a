"""/api/v1/leads and /api/v1/pool-settings: the lead pool's endpoints, and their permission
matrix (every endpoint × every role of tests/api/test_permissions.py)."""

from types import SimpleNamespace

import pytest

from kehu.customers.models import Customer
from kehu.sales.models import PoolSettings
from tests.api.conftest import anon, api_as, assert_error  # noqa: F401
from tests.api.test_permissions import ROLES
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _lead(name, team=None, **kw):
    c = CustomerFactory(name=name, lifecycle_stage="reserve", owner=None, **kw)
    if team is not None:
        Customer.objects.filter(pk=c.pk).update(team=team)
    return Customer.objects.get(pk=c.pk)


@pytest.fixture
def pools(org, customers):
    t = org.teams
    return SimpleNamespace(company=_lead("宝钢线材采购"), n1=_lead("天津钢管采购", team=t.n1),
                           e1=_lead("上海螺纹钢采购", team=t.e1), customers=customers)


SEES = {  # which pools' leads each role lists
    "admin": {"company", "n1", "e1"}, "hq_manager": {"company", "n1", "e1"}, "analyst": {"company", "n1", "e1"},
    "north_manager": {"company", "n1"}, "north_service": {"company", "n1"}, "north_marketing": {"company", "n1"},
    "east_manager": {"company", "e1"}, "sales_n1": {"company", "n1"}, "sales_n1b": {"company", "n1"},
    "sales_e1": {"company", "e1"},
}
READ_ONLY = {"analyst", "north_marketing"}
ASSIGNERS = {"admin", "hq_manager", "north_manager"}          # may give the n1 lead to sales_n1
CHANGES_N1 = {"admin", "hq_manager", "north_manager", "north_service", "sales_n1"}   # may change customers.n1


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_exactly_the_pools_seen(org, pools, api_as, role):
    assert set(SEES) == set(ROLES)
    items = api_as(getattr(org.users, role)).get("/leads").json()["items"]
    want = {getattr(pools, k).pk for k in SEES[role]}
    assert {i["id"] for i in items} == want
    assert "phone" not in items[0]


def _expected_claim(role):
    if role in READ_ONLY:
        return 403
    return 200 if "n1" in SEES[role] else 404


OPS = [
    ("claim team lead", lambda api, w: api.post(f"/leads/{w.n1.pk}/claim", {}), _expected_claim),
    ("claim company lead", lambda api, w: api.post(f"/leads/{w.company.pk}/claim", {}),
     lambda role: 403 if role in READ_ONLY else 200),
    ("assign team lead", lambda api, w: api.post(f"/leads/{w.n1.pk}/assign", {"owner_id": w.owner}),
     lambda role: 200 if role in ASSIGNERS else 422 if role == "east_manager" else 403),
    ("release owned", lambda api, w: api.post(f"/leads/{w.customers.n1.pk}/release", {"reason": "不再采购"}),
     lambda role: 200 if role in CHANGES_N1 else 403 if role in READ_ONLY else 404),
    ("convert team lead", lambda api, w: api.post(f"/leads/{w.n1.pk}/convert", {"to_stage": "target"}),
     _expected_claim),
    ("create lead", lambda api, w: api.post("/leads", {"name": "唐山钢构线索"}),
     lambda role: 403 if role in READ_ONLY else 201),
    ("GET settings", lambda api, w: api.get("/pool-settings"), lambda role: 200 if role == "admin" else 403),
    ("PUT settings", lambda api, w: api.put("/pool-settings", {"claim_limit": 10}),
     lambda role: 200 if role == "admin" else 403),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPS, ids=[o[0] for o in OPS])
def test_matrix(org, pools, api_as, role, op):
    _name, call, expected = op
    pools.owner = org.users.sales_n1.pk
    r = call(api_as(getattr(org.users, role)), pools)
    want = expected(role)
    if want >= 400:
        assert_error(r, want)
    else:
        assert r.status_code == want, r.content


def test_needs_authentication(pools, anon):
    pools.owner = 1
    for _name, call, _expected in OPS:
        assert_error(call(anon, pools), 401, "unauthorized")


def test_claim_twice_409_and_limit_409(org, pools, api_as):
    a, b = api_as(org.users.sales_n1), api_as(org.users.sales_n1b)
    body = a.post(f"/leads/{pools.n1.pk}/claim", {"note": "电话联系过"}).json()
    assert body["owner_id"] == org.users.sales_n1.pk and body["team_id"] == org.teams.n1.pk
    assert_error(b.post(f"/leads/{pools.n1.pk}/claim", {}), 409, "already_claimed")
    PoolSettings.objects.create(claim_limit=1)
    assert_error(a.post(f"/leads/{pools.company.pk}/claim", {}), 409, "claim_limit")
    assert_error(a.post("/leads/999999/claim", {}), 404)


def test_release_needs_a_reason(org, pools, api_as):
    a = api_as(org.users.sales_n1)
    err = assert_error(a.post(f"/leads/{pools.customers.n1.pk}/release", {"reason": ""}), 422)
    assert "reason" in err["fields"]


def test_convert_duplicates_409_then_forced(org, pools, api_as):
    a = api_as(org.users.sales_n1)
    dup = _lead("北方钢铁贸易有限公司", city="北京")
    assert_error(a.post(f"/leads/{dup.pk}/convert", {}), 409, "duplicates")
    body = a.post(f"/leads/{dup.pk}/convert", {"force": True, "to_stage": "potential"}).json()
    assert body["lifecycle_stage"] == "potential" and body["owner_id"] == org.users.sales_n1.pk


def test_create_in_a_team_pool_and_filters(org, pools, api_as):
    a = api_as(org.users.sales_n1)
    r = a.post("/leads", {"name": "天津钢构", "team_id": org.teams.n1.pk, "city": "天津"})
    assert r.status_code == 201 and r.json()["team_id"] == org.teams.n1.pk
    assert_error(a.post("/leads", {"name": "x", "team_id": org.teams.e1.pk}), 422)
    assert {i["name"] for i in a.get("/leads", {"pool": "company"}).json()["items"]} == {"宝钢线材采购"}
    assert {i["name"] for i in a.get("/leads", {"q": "天津"}).json()["items"]} == {"天津钢管采购", "天津钢构"}


def test_settings_roundtrip(org, api_as):
    admin = api_as(org.users.admin)
    assert admin.get("/pool-settings").json()["recycle_days_none"] == 30
    body = admin.put("/pool-settings", {"recycle_days_gold": 365, "reminder_days": 3}).json()
    assert (body["recycle_days_gold"], body["reminder_days"], body["claim_limit"]) == (365, 3, 50)
    err = assert_error(admin.put("/pool-settings", {"reminder_days": -1}), 422)
    assert "reminder_days" in err["fields"]
