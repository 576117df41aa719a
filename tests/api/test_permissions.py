"""The permission matrix: every endpoint × method × role.

Outside the caller's visibility → 404 (the same answer as a record that does
not exist); visible but not changeable → 403; otherwise the operation works.

Visibility in the ``org`` fixture: ``n1`` belongs to sales_n1 (North sales 1,
under North region), ``e1`` to sales_e1 (East sales 1, under East region).
"""

import copy
import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from kehu.customers.models import Anniversary
from kehu.engagement.services import task_create
from kehu.service.services import case_attachment_upload, case_create
from kehu.sales.models import LostReason, Stage
from kehu.sales.opportunities import opportunity_create, opportunity_lose
from kehu.engagement.visits import visit_create
from kehu.sales.key_accounts import plan_create
from kehu.sales.services import order_create
from tests.api.conftest import assert_error
from tests.conftest import make_customers, make_org
from tests.factories import (
    PDF_BYTES, AttachmentFactory, ContactFactory, CustomerFactory, InteractionFactory, OrderFactory, ProductFactory,
)

pytestmark = pytest.mark.django_db

VISIBLE = {
    "admin": {"n1", "e1"},
    "hq_manager": {"n1", "e1"},
    "analyst": {"n1", "e1"},
    "north_manager": {"n1"},
    "north_service": {"n1"},
    "north_marketing": {"n1"},
    "east_manager": {"e1"},
    "sales_n1": {"n1"},
    "sales_n1b": set(),
    "sales_e1": {"e1"},
}
READ_ONLY = {"analyst", "north_marketing"}
CATALOGUE_MANAGERS = {"admin", "hq_manager", "north_manager", "east_manager"}
ROLES = sorted(VISIBLE)


@pytest.fixture(scope="module")
def _shared(module_db, tmp_path_factory):
    """The organisation, its customers and their records, built once for the module
    (tests/conftest.py ``module_db``: each test's writes are rolled back)."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        org = make_org()
        customers = make_customers(org)
        yield SimpleNamespace(org=org, customers=customers, world=_build_world(customers))


@pytest.fixture
def _fresh(_shared):
    """This test's own copies of the shared instances (the rows are shared)."""
    return copy.deepcopy(_shared)


@pytest.fixture
def org(_fresh):
    return _fresh.org


@pytest.fixture
def customers(_fresh):
    return _fresh.customers


@pytest.fixture
def world(_fresh):
    return _fresh.world


def _build_world(customers):
    def records(customer):
        case = case_create(actor=customer.owner, data={"customer": customer, "kind": "complaint",
                                                       "subject": "Bill too high"})
        return SimpleNamespace(
            case_attachment=case_attachment_upload(actor=customer.owner, case=case,
                                                   upload=SimpleUploadedFile("meter.pdf", PDF_BYTES)),
            attachment=AttachmentFactory(customer=customer),
            customer=customer,
            bare=CustomerFactory(name=f"{customer.name} (no orders)", owner=customer.owner),
            contact=ContactFactory(customer=customer),
            interaction=InteractionFactory(customer=customer),
            order=OrderFactory(customer=customer),
            anniversary=Anniversary.objects.create(customer=customer, label="Founded", date=dt.date(2001, 5, 1)),
            task=task_create(actor=customer.owner, customer=customer, data={"title": "Call back"}),
            case=case,
            opportunity=opportunity_create(actor=customer.owner, data={"customer": customer, "name": "Coil"}),
            lost_opportunity=opportunity_lose(
                actor=customer.owner, lost_reason=LostReason.objects.get(code="price"),
                opportunity=opportunity_create(actor=customer.owner, data={"customer": customer, "name": "Pipe"})),
            visit=visit_create(actor=customer.owner, customer=customer,
                               data={"planned_on": dt.date(2026, 12, 8), "purpose": "Yearly review"}),
            key_plan=plan_create(actor=customer.owner, customer=customer,
                                 data={"start_year": 2026, "status": "active", "terms": {"credit_limit": 0}}),
            **_quotes(customer),
        )

    world = SimpleNamespace(n1=records(customers.n1), e1=records(customers.e1), product=ProductFactory())
    for t in (world.n1, world.e1):   # over the plan's credit limit of 0: waits for approval
        t.pending_order = order_create(actor=t.customer.owner, customer=t.customer, data={
            "order_date": dt.date(2026, 12, 1)}, lines=[{"quantity": 1, "unit_price": "50"}])
    return world


def _quotes(customer):
    from kehu.sales.quotes import quote_create, quote_submit

    product = ProductFactory()
    quote = quote_create(actor=customer.owner, customer=customer, data={},
                         lines=[{"product": product, "quantity": "2", "discount": "3"}])
    approved = quote_create(actor=customer.owner, customer=customer, data={},
                            lines=[{"product": product, "quantity": "1"}])
    quote_submit(actor=customer.owner, quote=approved)   # no value run: no ceiling, approved at once
    return {"quote": quote, "approved_quote": approved, "quote_product": product}


def _upload(api, path):
    """A multipart upload (the JSON helpers of ApiClient do not send files)."""
    return api.client.post(api._url(path), {"file": SimpleUploadedFile("offer.pdf", PDF_BYTES)}, **api.headers)


# (name, call, status on success). ``t`` is the target's records.
CUSTOMER_OPS = [
    ("GET customer", lambda api, t: api.get(f"/customers/{t.customer.pk}"), 200),
    ("PATCH customer", lambda api, t: api.patch(f"/customers/{t.customer.pk}", {"city": "成都"}), 200),
    ("DELETE customer", lambda api, t: api.delete(f"/customers/{t.bare.pk}"), 204),
    ("GET anniversaries", lambda api, t: api.get(f"/customers/{t.customer.pk}/anniversaries"), 200),
    ("POST anniversary", lambda api, t: api.post(f"/customers/{t.customer.pk}/anniversaries",
                                                 {"label": "First order", "date": "2010-03-01"}), 201),
    ("GET anniversary", lambda api, t: api.get(f"/customers/{t.customer.pk}/anniversaries/{t.anniversary.pk}"), 200),
    ("PATCH anniversary", lambda api, t: api.patch(f"/customers/{t.customer.pk}/anniversaries/{t.anniversary.pk}",
                                                   {"label": "Founding day"}), 200),
    ("DELETE anniversary", lambda api, t: api.delete(f"/customers/{t.customer.pk}/anniversaries/{t.anniversary.pk}"),
     204),
    ("POST contact", lambda api, t: api.post("/contacts", {"customer_id": t.customer.pk, "name": "新联系人"}), 201),
    ("GET contact", lambda api, t: api.get(f"/contacts/{t.contact.pk}"), 200),
    ("PATCH contact", lambda api, t: api.patch(f"/contacts/{t.contact.pk}", {"title": "CFO"}), 200),
    ("DELETE contact", lambda api, t: api.delete(f"/contacts/{t.contact.pk}"), 204),
    ("POST interaction", lambda api, t: api.post("/interactions", {"customer_id": t.customer.pk, "channel": "phone",
                                                                   "summary": "Called"}), 201),
    ("GET interaction", lambda api, t: api.get(f"/interactions/{t.interaction.pk}"), 200),
    ("PATCH interaction", lambda api, t: api.patch(f"/interactions/{t.interaction.pk}", {"subject": "S"}), 200),
    ("DELETE interaction", lambda api, t: api.delete(f"/interactions/{t.interaction.pk}"), 204),
    ("POST order", lambda api, t: api.post("/orders", {"customer_id": t.customer.pk, "order_date": "2025-06-01",
                                                       "lines": [{"quantity": 1, "unit_price": "9.90"}]}), 201),
    ("GET order", lambda api, t: api.get(f"/orders/{t.order.pk}"), 200),
    ("PATCH order", lambda api, t: api.patch(f"/orders/{t.order.pk}", {"status": "delivered"}), 200),
    ("DELETE order", lambda api, t: api.delete(f"/orders/{t.order.pk}"), 204),
    ("GET payments", lambda api, t: api.get(f"/orders/{t.order.pk}/payments"), 200),
    ("POST task", lambda api, t: api.post("/tasks", {"customer_id": t.customer.pk, "title": "Visit"}), 201),
    ("GET task", lambda api, t: api.get(f"/tasks/{t.task.pk}"), 200),
    ("PATCH task", lambda api, t: api.patch(f"/tasks/{t.task.pk}", {"due_on": "2026-12-01"}), 200),
    ("complete task", lambda api, t: api.post(f"/tasks/{t.task.pk}/complete", {"outcome": "Called"}), 200),
    ("cancel task", lambda api, t: api.post(f"/tasks/{t.task.pk}/cancel", {}), 200),
    ("POST case", lambda api, t: api.post("/cases", {"customer_id": t.customer.pk, "subject": "Leak"}), 201),
    ("GET case", lambda api, t: api.get(f"/cases/{t.case.pk}"), 200),
    ("PATCH case", lambda api, t: api.patch(f"/cases/{t.case.pk}", {"version": 1, "severity": 1}), 200),
    ("transition case", lambda api, t: api.post(f"/cases/{t.case.pk}/transitions", {"to": "accepted"}), 200),
    ("judge case", lambda api, t: api.post(f"/cases/{t.case.pk}/validity", {"valid": True}), 200),
    ("assign case", lambda api, t: api.post(f"/cases/{t.case.pk}/assign", {"assignee_id": None}), 200),
    ("GET case steps", lambda api, t: api.get(f"/cases/{t.case.pk}/steps"), 200),
    ("PUT case step", lambda api, t: api.put(f"/cases/{t.case.pk}/steps/listen", {"note": "Heard"}), 200),
    ("GET case events", lambda api, t: api.get(f"/cases/{t.case.pk}/events"), 200),
    ("comment case", lambda api, t: api.post(f"/cases/{t.case.pk}/comments", {"note": "Called"}), 201),
    ("case from interaction", lambda api, t: api.post("/cases/from-interaction",
                                                      {"interaction_id": t.interaction.pk}), 201),
    ("POST opportunity", lambda api, t: api.post("/opportunities", {"customer_id": t.customer.pk,
                                                                     "name": "Valves"}), 201),
    ("GET opportunity", lambda api, t: api.get(f"/opportunities/{t.opportunity.pk}"), 200),
    ("PATCH opportunity", lambda api, t: api.patch(f"/opportunities/{t.opportunity.pk}",
                                                   {"version": 1, "competitor": "宝钢"}), 200),
    ("move opportunity", lambda api, t: api.post(f"/opportunities/{t.opportunity.pk}/move", {
        "stage_id": Stage.objects.get(pipeline=t.opportunity.pipeline, code="potential").pk}), 200),
    ("win opportunity", lambda api, t: api.post(f"/opportunities/{t.opportunity.pk}/win", {}), 200),
    ("lose opportunity", lambda api, t: api.post(f"/opportunities/{t.opportunity.pk}/lose", {
        "lost_reason_id": LostReason.objects.get(code="timing").pk}), 200),
    ("reopen opportunity", lambda api, t: api.post(f"/opportunities/{t.lost_opportunity.pk}/reopen", {}), 200),
    ("POST quote", lambda api, t: api.post("/quotes", {"customer_id": t.customer.pk, "lines": [
        {"product_id": t.quote_product.pk, "quantity": "1"}]}), 201),
    ("GET quote", lambda api, t: api.get(f"/quotes/{t.quote.pk}"), 200),
    ("PATCH quote", lambda api, t: api.patch(f"/quotes/{t.quote.pk}", {"version": 1, "title": "Coil"}), 200),
    ("DELETE quote", lambda api, t: api.delete(f"/quotes/{t.quote.pk}"), 204),
    ("submit quote", lambda api, t: api.post(f"/quotes/{t.quote.pk}/submit", {}), 200),
    ("send quote", lambda api, t: api.post(f"/quotes/{t.approved_quote.pk}/send", {}), 200),
    ("accept quote", lambda api, t: api.post(f"/quotes/{t.approved_quote.pk}/accept", {}), 200),
    ("reject quote", lambda api, t: api.post(f"/quotes/{t.approved_quote.pk}/reject", {"note": "No"}), 200),
    ("new version of quote", lambda api, t: api.post(f"/quotes/{t.approved_quote.pk}/new-version", {}), 201),
    ("POST visit", lambda api, t: api.post("/visits", {"customer_id": t.customer.pk, "planned_on": "2026-12-09"}),
     201),
    ("GET visit", lambda api, t: api.get(f"/visits/{t.visit.pk}"), 200),
    ("GET customer suggestions", lambda api, t: api.get(f"/customers/{t.customer.pk}/suggestions"), 200),
    ("move visit", lambda api, t: api.patch(f"/visits/{t.visit.pk}", {"planned_on": "2026-12-10"}), 200),
    ("check in visit", lambda api, t: api.post(f"/visits/{t.visit.pk}/check-in", {"latitude": 39.9,
                                                                                  "longitude": 116.4}), 200),
    ("done visit", lambda api, t: api.post(f"/visits/{t.visit.pk}/done", {"result": "Agreed"}), 200),
    ("skip visit", lambda api, t: api.post(f"/visits/{t.visit.pk}/skip", {"reason": "Closed"}), 200),
    ("POST key-account plan", lambda api, t: api.post("/key-account-plans", {
        "customer_id": t.customer.pk, "start_year": 2027}), 201),
    ("GET key-account plan", lambda api, t: api.get(f"/key-account-plans/{t.key_plan.pk}"), 200),
    ("PATCH key-account plan", lambda api, t: api.patch(f"/key-account-plans/{t.key_plan.pk}",
                                                        {"threats": "进口材料"}), 200),
    ("DELETE key-account plan", lambda api, t: api.delete(f"/key-account-plans/{t.key_plan.pk}"), 204),
    ("GET key-account targets", lambda api, t: api.get(f"/key-account-plans/{t.key_plan.pk}/targets"), 200),
    ("PUT key-account targets", lambda api, t: api.put(f"/key-account-plans/{t.key_plan.pk}/targets", {
        "targets": [{"year": 2026, "revenue": "100"}]}), 200),
    ("POST payment", lambda api, t: api.post(f"/orders/{t.order.pk}/payments",
                                             {"amount": "10", "received_on": str(dt.date.today())}), 201),
    ("GET customer attachments", lambda api, t: api.get(f"/customers/{t.customer.pk}/attachments"), 200),
    ("GET interaction attachments", lambda api, t: api.get(f"/interactions/{t.interaction.pk}/attachments"), 200),
    ("GET order attachments", lambda api, t: api.get(f"/orders/{t.order.pk}/attachments"), 200),
    ("POST customer attachment", lambda api, t: _upload(api, f"/customers/{t.customer.pk}/attachments"), 201),
    ("POST interaction attachment", lambda api, t: _upload(api, f"/interactions/{t.interaction.pk}/attachments"),
     201),
    ("POST order attachment", lambda api, t: _upload(api, f"/orders/{t.order.pk}/attachments"), 201),
    ("GET attachment", lambda api, t: api.get(f"/attachments/{t.attachment.pk}"), 200),
    ("download attachment", lambda api, t: api.get(f"/attachments/{t.attachment.pk}/download"), 200),
    ("DELETE attachment", lambda api, t: api.delete(f"/attachments/{t.attachment.pk}"), 204),
    ("GET case attachments", lambda api, t: api.get(f"/cases/{t.case.pk}/attachments"), 200),
    ("GET case articles", lambda api, t: api.get(f"/cases/{t.case.pk}/articles"), 200),
    ("POST case attachment", lambda api, t: _upload(api, f"/cases/{t.case.pk}/attachments"), 201),
    ("download case attachment", lambda api, t: api.get(f"/cases/{t.case.pk}/attachments/{t.case_attachment.pk}"),
     200),
    ("DELETE case attachment", lambda api, t: api.delete(f"/cases/{t.case.pk}/attachments/{t.case_attachment.pk}"),
     204),
]
READS = {"GET customer", "GET contact", "GET interaction", "GET order", "GET payments", "GET anniversaries",
         "GET anniversary", "GET task", "GET customer attachments", "GET interaction attachments",
         "GET order attachments", "GET attachment", "download attachment", "GET case", "GET case steps",
         "GET case events", "GET case attachments", "download case attachment", "GET opportunity", "GET visit",
         "GET case articles", "GET customer suggestions", "GET key-account plan", "GET key-account targets",
         "GET quote"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["n1", "e1"])
@pytest.mark.parametrize("op", CUSTOMER_OPS, ids=[o[0] for o in CUSTOMER_OPS])
def test_customer_records(org, world, api_as, role, target, op):
    name, call, ok = op
    r = call(api_as(getattr(org.users, role)), getattr(world, target))
    if target not in VISIBLE[role]:
        assert_error(r, 404, "not_found")
    elif name not in READS and role in READ_ONLY:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


LISTS = [
    ("/customers", lambda t: t.customer.pk),
    ("/contacts", lambda t: t.contact.pk),
    ("/interactions", lambda t: t.interaction.pk),
    ("/orders", lambda t: t.order.pk),
    ("/tasks?scope=all", lambda t: t.task.pk),
    ("/cases", lambda t: t.case.pk),
    ("/opportunities", lambda t: t.opportunity.pk),
    ("/visits", lambda t: t.visit.pk),
    ("/key-account-plans", lambda t: t.key_plan.pk),
    ("/quotes", lambda t: t.quote.pk),
]


# who decides an order waiting for approval: administrators and the sales managers who may
# change the customer — never a salesperson, service agent or a read-only role
APPROVERS = {"admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "north_manager": {"n1"}, "east_manager": {"e1"}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["n1", "e1"])
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_order_approval(org, world, api_as, role, target, decision):
    order = getattr(world, target).pending_order
    assert order.approval == "pending"
    r = api_as(getattr(org.users, role)).post(f"/orders/{order.pk}/{decision}", {"note": "checked"})
    if target not in VISIBLE[role]:
        assert_error(r, 404, "not_found")
    elif target not in APPROVERS.get(role, set()):
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == 200 and r.json()["approval"] == {"approve": "approved", "reject": "rejected"}[decision], r.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path,key", LISTS, ids=[p for p, _k in LISTS])
def test_lists_show_exactly_what_is_visible(org, world, api_as, role, path, key):
    path, _sep, query = path.partition("?")
    params = dict(p.split("=") for p in query.split("&") if p)
    r = api_as(getattr(org.users, role)).get(path, {"limit": 200, **params})
    assert r.status_code == 200
    got = {x["id"] for x in r.json()["items"]}
    for target in ("n1", "e1"):
        assert (key(getattr(world, target)) in got) == (target in VISIBLE[role]), (role, target)


@pytest.mark.parametrize("role", ROLES)
def test_create_customer(org, api_as, role):
    r = api_as(getattr(org.users, role)).post("/customers", {"name": f"{role}'s new customer"})
    if role in READ_ONLY:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == 201 and r.json()["owner"]["username"] == role


CATALOGUE_OPS = [
    ("GET products", lambda api, w: api.get("/products"), 200, False),
    ("GET product", lambda api, w: api.get(f"/products/{w.product.pk}"), 200, False),
    ("POST product", lambda api, w: api.post("/products", {"ref": "NEW-1", "name": "New"}), 201, True),
    ("PATCH product", lambda api, w: api.patch(f"/products/{w.product.pk}", {"unit": "kg"}), 200, True),
    ("DELETE product", lambda api, w: api.delete(f"/products/{w.product.pk}"), 204, True),
    ("GET product lines", lambda api, w: api.get("/product-lines"), 200, False),
    ("GET product line", lambda api, w: api.get(f"/product-lines/{w.product.line_id}"), 200, False),
    ("POST product line", lambda api, w: api.post("/product-lines", {"code": "NEW", "name": "New"}), 201, True),
    ("PATCH product line", lambda api, w: api.patch(f"/product-lines/{w.product.line_id}", {"name": "Renamed"}),
     200, True),
    ("GET me", lambda api, w: api.get("/me"), 200, False),
]


CUSTOM_FIELD_OPS = [
    ("GET custom fields", lambda api, w: api.get("/custom-fields"), 200, False),
    ("GET custom field", lambda api, w: api.get(f"/custom-fields/{w.custom_field.pk}"), 200, False),
    ("POST custom field", lambda api, w: api.post("/custom-fields", {
        "record_type": "order", "key": "site", "label_zh": "交货地点", "label_en": "Delivery site"}), 201, True),
    ("PATCH custom field", lambda api, w: api.patch(f"/custom-fields/{w.custom_field.pk}", {"label_en": "Segment"}),
     200, True),
    ("DELETE custom field", lambda api, w: api.delete(f"/custom-fields/{w.custom_field.pk}"), 204, True),
]


@pytest.fixture
def custom_field(org):
    from kehu.customfields.services import definition_create

    return definition_create(actor=org.users.admin, data={
        "record_type": "customer", "key": "segment", "label_zh": "细分", "label_en": "Segment"})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", CUSTOM_FIELD_OPS, ids=[o[0] for o in CUSTOM_FIELD_OPS])
def test_custom_field_definitions(org, world, custom_field, api_as, role, op):
    """Everyone reads the definitions (forms, lists, imports); only administrators change them."""
    _name, call, ok, write = op
    world.custom_field = custom_field
    r = call(api_as(getattr(org.users, role)), world)
    if write and role != "admin":
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", CATALOGUE_OPS, ids=[o[0] for o in CATALOGUE_OPS])
def test_catalogue(org, world, api_as, role, op):
    _name, call, ok, write = op
    r = call(api_as(getattr(org.users, role)), world)
    if write and role not in CATALOGUE_MANAGERS:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


def test_share_makes_visible_and_can_edit_makes_changeable(org, world, api_as):
    from kehu.customers.services import customer_share

    api = api_as(org.users.sales_n1b)
    path = f"/customers/{world.n1.customer.pk}"
    assert_error(api.get(path), 404)
    customer_share(actor=org.users.admin, customer=world.n1.customer, user=org.users.sales_n1b)
    assert api.get(path).status_code == 200
    assert_error(api.patch(path, {"city": "X"}), 403, "forbidden")
    customer_share(actor=org.users.admin, customer=world.n1.customer, user=org.users.sales_n1b, can_edit=True)
    assert api.patch(path, {"city": "X"}).status_code == 200


@pytest.mark.parametrize("path", ["/customers/999999", "/customers/999999/anniversaries", "/contacts/999999",
                                  "/interactions/999999", "/orders/999999", "/orders/999999/payments",
                                  "/products/999999", "/product-lines/999999", "/cases/999999",
                                  "/cases/999999/events", "/cases/999999/steps", "/opportunities/999999",
                                  "/pipelines/999999", "/visits/999999", "/key-account-plans/999999",
                                  "/key-account-plans/999999/targets", "/quotes/999999"])
def test_missing_records_are_404(org, api_as, path):
    assert_error(api_as(org.users.admin).get(path), 404, "not_found")
    assert_error(api_as(org.users.sales_n1).get(path), 404, "not_found")


def test_invisible_and_missing_give_identical_answers(org, world, api_as):
    api = api_as(org.users.sales_n1)
    hidden = api.get(f"/customers/{world.e1.customer.pk}")
    missing = api.get("/customers/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


# Survey definitions: every active user reads; administrators, marketing and
# head-office managers (hq_manager) design (kehu/surveys/selectors.py).
SURVEY_DESIGNERS = {"admin", "hq_manager", "north_marketing"}


@pytest.fixture
def survey_world(org):
    from kehu.surveys.services.definitions import survey_create_from_template

    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    acsi = survey_create_from_template(actor=org.users.admin, template="acsi", code="acsi")
    return SimpleNamespace(
        gas=gas, acsi=acsi, supply=gas.indicators.get(code="supply"), q10=gas.questions.get(code="Q10"),
        q11=gas.questions.get(code="Q11"), construct=acsi.constructs.get(code="CC"),
        path=acsi.paths.get(source__code="CC", target__code="CL"),
    )


SURVEY_OPS = [
    ("GET surveys", lambda api, w: api.get("/surveys"), 200, False),
    ("GET survey", lambda api, w: api.get(f"/surveys/{w.gas.pk}"), 200, False),
    ("GET definition", lambda api, w: api.get(f"/surveys/{w.gas.pk}/definition"), 200, False),
    ("GET indicators", lambda api, w: api.get(f"/surveys/{w.gas.pk}/indicators"), 200, False),
    ("GET questions", lambda api, w: api.get(f"/surveys/{w.gas.pk}/questions"), 200, False),
    ("GET question", lambda api, w: api.get(f"/surveys/{w.gas.pk}/questions/{w.q10.pk}"), 200, False),
    ("GET constructs", lambda api, w: api.get(f"/surveys/{w.acsi.pk}/constructs"), 200, False),
    ("GET paths", lambda api, w: api.get(f"/surveys/{w.acsi.pk}/paths"), 200, False),
    ("GET templates", lambda api, w: api.get("/survey-templates"), 200, False),
    ("POST ahp-check", lambda api, w: api.post(f"/surveys/{w.gas.pk}/indicators/{w.supply.pk}/ahp-check",
                                              {"matrix": [[1, 2], ["1/2", 1]]}), 200, False),
    ("POST survey", lambda api, w: api.post("/surveys", {"code": "new", "template": "nps"}), 201, True),
    ("POST import", lambda api, w: api.post("/surveys/import", {"definition": {"code": "imp", "title": {"en": "I"}}}),
     201, True),
    ("PATCH survey", lambda api, w: api.patch(f"/surveys/{w.gas.pk}", {"resurvey_days": 30}), 200, True),
    ("DELETE survey", lambda api, w: api.delete(f"/surveys/{w.acsi.pk}"), 204, True),
    ("POST copy", lambda api, w: api.post(f"/surveys/{w.gas.pk}/copy", {"code": "gas-copy"}), 201, True),
    ("PUT definition", lambda api, w: api.put(f"/surveys/{w.acsi.pk}/definition",
                                              {"definition": {"code": "acsi", "title": {"en": "A"}}}), 200, True),
    ("POST indicator", lambda api, w: api.post(f"/surveys/{w.gas.pk}/indicators",
                                               {"parent_id": w.supply.pk, "code": "odour", "name": {"en": "Odour"}}),
     201, True),
    ("PATCH indicator", lambda api, w: api.patch(f"/surveys/{w.gas.pk}/indicators/{w.supply.pk}",
                                                 {"name": {"en": "Supply"}}), 200, True),
    ("DELETE indicator", lambda api, w: api.delete(f"/surveys/{w.gas.pk}/indicators/{w.supply.pk}"), 204, True),
    ("PUT weights", lambda api, w: api.put(f"/surveys/{w.gas.pk}/indicators/{w.supply.pk}/weights",
                                           {"method": "equal"}), 200, True),
    ("POST question", lambda api, w: api.post(f"/surveys/{w.gas.pk}/questions",
                                              {"code": "Q99", "kind": "text", "text": {"en": "Else?"}}), 201, True),
    ("PATCH question", lambda api, w: api.patch(f"/surveys/{w.gas.pk}/questions/{w.q10.pk}",
                                                {"required": False}), 200, True),
    ("DELETE question", lambda api, w: api.delete(f"/surveys/{w.gas.pk}/questions/{w.q11.pk}"), 204, True),
    ("POST move", lambda api, w: api.post(f"/surveys/{w.gas.pk}/questions/{w.q11.pk}/move", {"offset": -1}), 200,
     True),
    ("POST construct", lambda api, w: api.post(f"/surveys/{w.acsi.pk}/constructs",
                                               {"code": "IMG", "name": {"en": "Image"}}), 201, True),
    ("PATCH construct", lambda api, w: api.patch(f"/surveys/{w.acsi.pk}/constructs/{w.construct.pk}",
                                                 {"mode": "B"}), 200, True),
    ("DELETE construct", lambda api, w: api.delete(f"/surveys/{w.acsi.pk}/constructs/{w.construct.pk}"), 204, True),
    ("POST path", lambda api, w: api.post(f"/surveys/{w.acsi.pk}/paths", {"source": "CE", "target": "CL"}), 201,
     True),
    ("DELETE path", lambda api, w: api.delete(f"/surveys/{w.acsi.pk}/paths/{w.path.pk}"), 204, True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", SURVEY_OPS, ids=[o[0] for o in SURVEY_OPS])
def test_survey_definitions(org, survey_world, api_as, role, op):
    _name, call, ok, write = op
    r = call(api_as(getattr(org.users, role)), survey_world)
    if write and role not in SURVEY_DESIGNERS:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


@pytest.mark.parametrize("path", ["/surveys/999999", "/surveys/999999/questions", "/surveys/999999/definition"])
def test_missing_surveys_are_404(org, api_as, path):
    assert_error(api_as(org.users.admin).get(path), 404, "not_found")
# -- Customer value (/value) -------------------------------------------------------------

START_RUNS = {"admin", "hq_manager", "analyst"}
SAVE_SEGMENTS = set(ROLES) - {"analyst"}


@pytest.fixture
def scored(org, customers):
    from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory, SegmentFactory

    run = AnalysisRunFactory(results={"model": {"name": "bgnbd", "params": {"r": 0.2}}})
    for c in (customers.n1, customers.e1):
        CustomerScoreFactory(run=run, customer=c, tier="gold")
    segment = SegmentFactory(name="Gold", kind="run_group", rule={"field": "tier", "value": "gold"},
                             created_by=org.users.admin)
    return SimpleNamespace(run=run, segment=segment, customers=customers)


@pytest.mark.parametrize("role", ROLES)
def test_value_scores_show_exactly_what_is_visible(org, scored, api_as, role):
    api = api_as(getattr(org.users, role))
    ids = {s["customer"]["id"] for s in api.get("/value/scores", {"limit": 200}).json()["items"]}
    members = {m["id"] for m in api.get(f"/value/segments/{scored.segment.pk}/members", {"limit": 200}).json()["items"]}
    for target in ("n1", "e1"):
        customer = getattr(scored.customers, target)
        visible = target in VISIBLE[role]
        assert (customer.pk in ids) == visible, (role, target)
        assert (customer.pk in members) == visible, (role, target)
        r = api.get(f"/value/scores/customers/{customer.pk}")
        if visible:
            assert r.status_code == 200 and len(r.json()) == 1
        else:
            assert_error(r, 404, "not_found")
    run = api.get(f"/value/runs/{scored.run.pk}").json()
    assert (run["results"] is not None) == (VISIBLE[role] == {"n1", "e1"}), role


@pytest.mark.parametrize("role", ROLES)
def test_value_writes_per_role(org, scored, api_as, role):
    api = api_as(getattr(org.users, role))
    r = api.post("/value/runs", {})
    if role in START_RUNS:
        assert r.status_code == 202, r.content
    else:
        assert_error(r, 403, "forbidden")
    from tests.insights.score_factories import AnalysisRunFactory

    failed = AnalysisRunFactory(status="failed", error="interrupted: the process stopped")
    r = api.post(f"/value/runs/{failed.pk}/retry", {})
    if role in START_RUNS:
        assert r.status_code == 202 and r.json()["id"] == failed.pk, r.content
        assert_error(api.post(f"/value/runs/{scored.run.pk}/retry", {}), 422, "validation_error")
    else:
        assert_error(r, 403, "forbidden")
    r = api.post("/value/segments", {"name": f"{role}'s segment", "rule": {"customer": {"region": "north"}}})
    if role not in SAVE_SEGMENTS:
        assert_error(r, 403, "forbidden")
        assert_error(api.patch(f"/value/segments/{scored.segment.pk}", {"description": "x"}), 403, "forbidden")
        return
    assert r.status_code == 201, r.content
    own = r.json()["id"]
    assert api.patch(f"/value/segments/{own}", {"description": "mine"}).status_code == 200
    # someone else's segment: its author, administrators and head office only
    r = api.patch(f"/value/segments/{scored.segment.pk}", {"description": "changed"})
    if role in ("admin", "hq_manager"):
        assert r.status_code == 200
    else:
        assert_error(r, 403, "forbidden")
    assert api.delete(f"/value/segments/{own}").status_code == 204


# Survey results: every active user reads them, scoped to the customers they
# see (a salesperson's results count only their own customers' answers);
# benchmarks are read by all and changed by the survey designers.
@pytest.fixture
def results_world(org, customers):
    from kehu.surveys.models import Benchmark, Wave
    from kehu.surveys.services.definitions import survey_create_from_template
    from tests.surveys.factories import respond
    from tests.surveys.test_csi_natural_gas import ANSWERS

    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    wave = Wave.objects.create(survey=gas, name="2026 H1")
    respond(wave, ANSWERS[0], customer=customers.n1, nps=10)
    respond(wave, ANSWERS[1], customer=customers.e1, nps=3)
    bench = Benchmark.objects.create(survey=gas, name="Industry best", value=85)
    return SimpleNamespace(gas=gas, wave=wave, bench=bench)


RESULT_OPS = [
    ("GET results", lambda api, w: api.get(f"/surveys/{w.gas.pk}/results"), 200, False),
    ("GET benchmarks", lambda api, w: api.get(f"/surveys/{w.gas.pk}/benchmarks"), 200, False),
    ("GET benchmark", lambda api, w: api.get(f"/surveys/{w.gas.pk}/benchmarks/{w.bench.pk}"), 200, False),
    ("POST benchmark", lambda api, w: api.post(f"/surveys/{w.gas.pk}/benchmarks", {"name": "B", "value": 70}), 201,
     True),
    ("PATCH benchmark", lambda api, w: api.patch(f"/surveys/{w.gas.pk}/benchmarks/{w.bench.pk}", {"value": 90}), 200,
     True),
    ("DELETE benchmark", lambda api, w: api.delete(f"/surveys/{w.gas.pk}/benchmarks/{w.bench.pk}"), 204, True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", RESULT_OPS, ids=[o[0] for o in RESULT_OPS])
def test_survey_results_and_benchmarks(org, results_world, api_as, role, op):
    _name, call, ok, write = op
    r = call(api_as(getattr(org.users, role)), results_world)
    if write and role not in SURVEY_DESIGNERS:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


@pytest.mark.parametrize("role", ROLES)
def test_survey_results_count_only_visible_customers(org, results_world, api_as, role):
    data = api_as(getattr(org.users, role)).get(f"/surveys/{results_world.gas.pk}/results").json()
    assert data["n"] == len(VISIBLE[role])


# -- Survey waves, invitations and responses ----------------------------------------------
# Waves are read by everyone active and run by the designers; invitations and responses
# follow customer visibility; recording a response is for service agents, sales managers
# and administrators (kehu/surveys/services/distribution.py).
PHONERS = {"admin", "hq_manager", "north_manager", "north_service", "east_manager"}


@pytest.fixture
def wave_world(org, customers):
    from kehu.surveys.services import distribution as dist
    from kehu.surveys.services.definitions import survey_create_from_template, survey_set_status

    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    wave = dist.wave_create(actor=org.users.admin, survey=gas, name="W")
    dist.wave_open(actor=org.users.admin, wave=wave)
    answers = {"Q1": 5, "Q2": 4, "Q3": "no", "Q7": 3, "Q8": 5, "Q9": 4, "Q10": 4}

    def records(customer):
        inv = dist.phone_invitation(actor=org.users.admin, wave=wave, customer=customer)
        response = dist.phone_response(actor=org.users.admin, invitation=inv, answers=answers)
        return SimpleNamespace(customer=customer, invitation=inv, response=response,
                               fresh=CustomerFactory(name=f"{customer.name} (not asked)", owner=customer.owner))

    return SimpleNamespace(survey=gas, wave=wave, n1=records(customers.n1), e1=records(customers.e1),
                           answers=answers)


WAVE_CUSTOMER_OPS = [
    ("GET invitation", lambda api, w, t: api.get(f"/invitations/{t.invitation.pk}"), 200),
    ("GET response", lambda api, w, t: api.get(f"/responses/{t.response.pk}"), 200),
    ("POST response", lambda api, w, t: api.post(f"/waves/{w.wave.pk}/responses",
                                                 {"customer_id": t.fresh.pk, "answers": w.answers}), 201),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["n1", "e1"])
@pytest.mark.parametrize("op", WAVE_CUSTOMER_OPS, ids=[o[0] for o in WAVE_CUSTOMER_OPS])
def test_wave_customer_records(org, wave_world, api_as, role, target, op):
    name, call, ok = op
    r = call(api_as(getattr(org.users, role)), wave_world, getattr(wave_world, target))
    if target not in VISIBLE[role]:
        assert_error(r, 404, "not_found")
    elif name.startswith("POST") and role not in PHONERS:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["invitations", "responses"])
def test_wave_lists_show_exactly_what_is_visible(org, wave_world, api_as, role, kind):
    r = api_as(getattr(org.users, role)).get(f"/waves/{wave_world.wave.pk}/{kind}", {"limit": 200})
    assert r.status_code == 200
    got = {x["customer_id"] for x in r.json()["items"]}
    for target in ("n1", "e1"):
        assert (getattr(wave_world, target).customer.pk in got) == (target in VISIBLE[role]), (role, target)


WAVE_OPS = [
    ("GET waves", lambda api, w: api.get(f"/surveys/{w.survey.pk}/waves"), 200, False),
    ("GET wave", lambda api, w: api.get(f"/waves/{w.wave.pk}"), 200, False),
    ("POST wave", lambda api, w: api.post(f"/surveys/{w.survey.pk}/waves", {"name": "New"}), 201, True),
    ("PATCH wave", lambda api, w: api.patch(f"/waves/{w.wave.pk}", {"max_reminders": 1}), 200, True),
    ("POST close", lambda api, w: api.post(f"/waves/{w.wave.pk}/close"), 200, True),
    ("POST open", lambda api, w: api.post(f"/waves/{w.wave.pk}/open"), 200, True),
    ("POST sample", lambda api, w: api.post(f"/waves/{w.wave.pk}/sample", {"size": 1, "seed": 1}), 200, True),
    ("POST invitations", lambda api, w: api.post(f"/waves/{w.wave.pk}/invitations", {"size": 1, "seed": 1}), 201,
     True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", WAVE_OPS, ids=[o[0] for o in WAVE_OPS])
def test_waves(org, wave_world, api_as, role, op):
    _name, call, ok, write = op
    r = call(api_as(getattr(org.users, role)), wave_world)
    if write and role not in SURVEY_DESIGNERS:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


@pytest.mark.parametrize("path", ["/waves/999999", "/invitations/999999", "/responses/999999",
                                  "/waves/999999/invitations"])
def test_missing_wave_records_are_404(org, api_as, path):
    assert_error(api_as(org.users.admin).get(path), 404, "not_found")


# -- Partner satisfaction (kehu/surveys/services/partners.py) -------------------------------
# The designers invite the partner users; the partner survey's invitations are seen by the
# designers and by those who read partner satisfaction, its results by the latter only:
# administrators, analysts and sales managers (CustomerPolicy.may_read_partner_satisfaction).
PARTNER_SATISFACTION_READERS = {"admin", "analyst", "hq_manager", "north_manager", "east_manager"}


@pytest.fixture
def partner_wave_world(org):
    from kehu.surveys.services import distribution as dist
    from kehu.surveys.services.definitions import survey_create_from_template, survey_set_status
    from kehu.surveys.services.partners import invitations_create_partners
    from kehu.surveys.simulate import simulate_answers
    from tests.factories import PartnerFactory, UserFactory

    survey = survey_create_from_template(actor=org.users.admin, template="partner", code="dealers")
    survey_set_status(actor=org.users.admin, survey=survey, status="active")
    wave = dist.wave_create(actor=org.users.admin, survey=survey, name="P")
    agent = PartnerFactory(code="PW1", name="Matrix agent")
    for k in range(5):
        UserFactory(username=f"pw{k}", role="partner", partner=agent, team=None, email=f"pw{k}@agent.example")
    invitations_create_partners(actor=org.users.admin, wave=wave)
    invitations = list(wave.invitations.order_by("id"))
    for inv, answers in zip(invitations, simulate_answers(survey, len(invitations), seed=2)):
        dist.response_record(invitation=inv, answers=answers, submit=True, check_open=False)
    return SimpleNamespace(survey=survey, wave=wave, invitation=invitations[0], agent=agent)


@pytest.mark.parametrize("role", ROLES)
def test_partner_survey_invitations_results_and_inviting(org, partner_wave_world, api_as, role):
    w = partner_wave_world
    api = api_as(getattr(org.users, role))
    sees_invitations = role in PARTNER_SATISFACTION_READERS | SURVEY_DESIGNERS
    listed = api.get(f"/waves/{w.wave.pk}/invitations", {"limit": 200})
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == (5 if sees_invitations else 0)
    one = api.get(f"/invitations/{w.invitation.pk}")
    if sees_invitations:
        assert one.status_code == 200 and one.json()["partner_id"] == w.agent.pk
    else:
        assert_error(one, 404, "not_found")
    results = api.get(f"/surveys/{w.survey.pk}/results", {"wave": w.wave.pk}).json()
    if role in PARTNER_SATISFACTION_READERS:
        assert results["n"] == 5 and [g["n"] for g in results["breakdowns"]["partner"]] == [5]
    else:
        assert results["n"] == 0 and results["breakdowns"] == {}
    invite = api.post(f"/waves/{w.wave.pk}/partner-invitations", {"type": "agent_l1"})
    if role in SURVEY_DESIGNERS:
        assert invite.status_code == 201 and invite.json()["already"] == 5
    else:
        assert_error(invite, 403, "forbidden")


def test_a_partner_user_sees_no_partner_survey_results(org, partner_wave_world, api_as):
    from kehu.org.models import User

    api = api_as(User.objects.get(username="pw0"))
    r = api.get(f"/surveys/{partner_wave_world.survey.pk}/results", {"wave": partner_wave_world.wave.pk})
    assert r.status_code in (200, 403, 404)
    if r.status_code == 200:
        assert r.json()["n"] == 0


# Personal information (kehu/org/policies.py, "Personal information"): the reveal
# and the export for whoever sees the customer outside the read-only roles (they
# all may change their customers here); erasure for administrators and
# head-office managers only. Not visible → 404, like everywhere.
PRIVACY_ERASERS = {"admin", "hq_manager"}
PRIVACY_OPS = [
    ("reveal", lambda api, t: api.post(f"/customers/{t.customer.pk}/personal-data/reveal", {"field": "phone"}),
     200, lambda role: role not in READ_ONLY),
    ("export", lambda api, t: api.get(f"/customers/{t.customer.pk}/personal-data"), 200,
     lambda role: role not in READ_ONLY),
    ("erase", lambda api, t: api.post(f"/customers/{t.customer.pk}/personal-data/erase",
                                      {"reason": "request", "confirm": t.customer.ref}), 200,
     lambda role: role in PRIVACY_ERASERS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["n1", "e1"])
@pytest.mark.parametrize("op", PRIVACY_OPS, ids=[o[0] for o in PRIVACY_OPS])
def test_personal_data(org, world, api_as, role, target, op):
    _name, call, ok, allowed = op
    r = call(api_as(getattr(org.users, role)), getattr(world, target))
    if target not in VISIBLE[role]:
        assert_error(r, 404, "not_found")
    elif not allowed(role):
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


@pytest.mark.parametrize("role", ROLES)
def test_personal_data_masked_exactly_for_those_who_may_not_change(org, world, api_as, role):
    """The phone of every visible customer in the list: in full where the
    caller may change the customer, masked otherwise."""
    items = {c["id"]: c for c in api_as(getattr(org.users, role)).get("/customers", {"limit": 200}).json()["items"]}
    for target in VISIBLE[role]:
        customer = getattr(world, target).customer
        expected = customer.phone if role not in READ_ONLY else customer.phone[:3] + "****" + customer.phone[-4:]
        assert items[customer.pk]["phone"] == expected, (role, target)


# -- the list tools (kehu/web/lists.py): bulk actions row by row, saved views ----------

@pytest.mark.parametrize("role", ROLES)
def test_bulk_actions_change_exactly_what_the_caller_may_change(org, world, api_as, role):
    from kehu.customers.models import Customer

    ids = {t: getattr(world, t).customer.pk for t in ("n1", "e1")}
    r = api_as(getattr(org.users, role)).post("/lists/customers/bulk",
                                              {"action": "tag", "ids": list(ids.values()), "value": "bulk-matrix"})
    if role in READ_ONLY:
        assert_error(r, 422, "validation_error")
        ok = set()
    else:
        assert r.status_code == 200, r.content
        rows = {row["id"]: row for row in r.json()["rows"]}
        ok = {t for t, pk in ids.items() if rows[pk]["ok"]}
        for t, pk in ids.items():
            if t not in VISIBLE[role]:
                assert rows[pk]["error"] == "Not found."  # the same as a row that does not exist
    assert ok == (set() if role in READ_ONLY else VISIBLE[role])
    tagged = {t for t, pk in ids.items() if Customer.objects.get(pk=pk).tags.filter(name="bulk-matrix").exists()}
    assert tagged == ok


@pytest.mark.parametrize("role", ROLES)
def test_bulk_status_on_orders_and_tasks_changes_exactly_what_the_caller_may_change(org, world, api_as, role):
    """The actions the other lists gained (orders: status; tasks: status) go
    through the same policy row by row: a row of another team is "Not
    found", read-only roles are refused the action."""
    from kehu.engagement.models import Task
    from kehu.sales.models import Order

    api = api_as(getattr(org.users, role))
    for list_name, model, attr, value in (("orders", Order, "order", "delivered"), ("tasks", Task, "task", "done")):
        ids = {t: getattr(getattr(world, t), attr).pk for t in ("n1", "e1")}
        r = api.post(f"/lists/{list_name}/bulk", {"action": "status", "ids": list(ids.values()), "value": value})
        if role in READ_ONLY:
            assert_error(r, 422, "validation_error")
            ok = set()
        else:
            assert r.status_code == 200, r.content
            rows = {row["id"]: row for row in r.json()["rows"]}
            ok = {t for t, pk in ids.items() if rows[pk]["ok"]}
            for t, pk in ids.items():
                if t not in VISIBLE[role]:
                    assert rows[pk]["error"] == "Not found."
        changed = {t for t, pk in ids.items() if model.objects.get(pk=pk).status == value}
        assert changed == ok, list_name
        assert ok == (set() if role in READ_ONLY else VISIBLE[role]), list_name


@pytest.mark.parametrize("role", ROLES)
def test_saved_views_are_only_their_owners(org, api_as, role):
    from kehu.web.models import SavedView

    view = SavedView.objects.create(user=org.users.sales_n1, list_name="customers", name="mine", query="stage=lost")
    r = api_as(getattr(org.users, role)).get(f"/saved-views/{view.pk}")
    if role == "sales_n1":
        assert r.status_code == 200
    else:
        assert_error(r, 404, "not_found")


# -- Security (kehu/accounts): lockouts, unlock and the sign-in record are for administrators only ------

SECURITY_OPS = [
    ("GET lockouts", lambda api: api.get("/security/lockouts"), 200),
    ("GET sign-ins", lambda api: api.get("/security/sign-ins"), 200),
    ("POST unlock", lambda api: api.post("/security/unlock", {"username": "sales_n1"}), 200),
]
SECURITY_ADMINS = {"admin"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", SECURITY_OPS, ids=[o[0] for o in SECURITY_OPS])
def test_security(org, api_as, role, op):
    _name, call, ok = op
    r = call(api_as(getattr(org.users, role)))
    if role in SECURITY_ADMINS:
        assert r.status_code == ok, r.content
    else:
        assert_error(r, 403, "forbidden")


def test_security_needs_authentication(org, anon):
    for _name, call, _ok in SECURITY_OPS:
        assert_error(call(anon), 401, "unauthorized")

# The company-wide audit log (exports and changes): administrators only, 403 for everyone else.
@pytest.mark.parametrize("role", ROLES)
def test_audit_log(org, api_as, role):
    from kehu.exports.audit import export_audit_start

    export_audit_start(actor=org.users.sales_n1, export="customers", fmt="csv", via="web")
    response = api_as(getattr(org.users, role)).get("/audit-events", {"action": "export"})
    if role == "admin":
        assert response.status_code == 200
        assert [e["entity"] for e in response.json()["items"]] == ["customers"]
    else:
        assert_error(response, 403, "forbidden")


# -- duplicate warnings: named only within the caller's scope (issue 13, item 1) --------------

@pytest.fixture
def _no_notice_counts(db):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("role", sorted(set(ROLES) - READ_ONLY))
def test_import_preview_names_only_visible_duplicates(org, customers, client_for, role, settings, tmp_path,
                                                      _no_notice_counts):
    """A customer file with the phones and e-mail of n1's and e1's customers: the preview names
    the ones the importer may see and marks the others anonymously (no code, no name)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from kehu.imports.models import ImportRun

    settings.MEDIA_ROOT = tmp_path
    content = ("ref,name,type,phone,email\r\nZ1,甲,企业,138 0013 8001,\r\nZ2,乙,企业,139 0013 9003,\r\n"
               "Z3,丙,企业,,buyer@huadong.example\r\n").encode()
    client = client_for(getattr(org.users, role))
    response = client.post(reverse("import_start"), {"kind": "customers", "file": SimpleUploadedFile("c.csv", content)})
    assert response.status_code == 302
    run = ImportRun.objects.get(user=getattr(org.users, role))
    page = client.get(response["Location"]).content.decode()
    stored = str(run.report)
    for key, line_numbers in (("n1", [2]), ("e1", [3, 4])):
        customer = getattr(customers, key)
        warnings = [w for w in run.report["warnings"] if w[0] in line_numbers]
        assert len(warnings) == len(line_numbers)
        if key in VISIBLE[role]:
            assert all(customer.ref in w[2] and customer.name in w[2] for w in warnings)
            assert customer.name in page
        else:
            assert all("a customer you may not see" in w[2] for w in warnings)
            assert customer.ref not in stored and customer.name not in stored
            assert customer.ref not in page and customer.name not in page
    assert run.warning_count == 3


@pytest.mark.parametrize("role", sorted(set(ROLES) - READ_ONLY))
def test_create_form_duplicates_within_the_allowance(org, customers, client_for, role, settings, _no_notice_counts):
    """The create form names every matching customer (the documented exception), a customer
    outside the caller's scope costing one notice of the hourly allowance; once it is used up
    the form says so instead."""
    from django.urls import reverse

    settings.KEHU_DUPLICATE_NOTICES_PER_HOUR = 1
    client = client_for(getattr(org.users, role))

    def check():
        return client.post(reverse("customer_create"), {
            "kind": "organization", "name": "查重测试", "ref": "", "owner": "", "phone": "139 0013 9003",
            "email": "", "city": "", "lifecycle_stage": "reserve", "tags": ""})

    for attempt in range(2):
        html = check().content.decode()
        if "e1" in VISIBLE[role] or attempt == 0:
            assert 'data-testid="duplicates"' in html and customers.e1.ref in html
        else:
            assert 'data-testid="duplicates"' not in html and customers.e1.ref not in html
            assert "at most 1 an hour" in html


# -- Backups (/backups): administrators only ------------------------------------------------

BACKUP_OPS = [
    ("GET backups", lambda api, b: api.get("/backups"), 200),
    ("GET backup", lambda api, b: api.get(f"/backups/{b.pk}"), 200),
    ("GET download", lambda api, b: api.get(f"/backups/{b.pk}/download"), 200),
    ("DELETE backup", lambda api, b: api.delete(f"/backups/{b.pk}"), 204),
    ("POST backup", lambda api, b: api.post("/backups", {}), 202),
    ("POST retry", lambda api, b: (type(b).objects.filter(pk=b.pk).update(status="failed"),
                                   api.post(f"/backups/{b.pk}/retry", {}))[1], 202),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", BACKUP_OPS, ids=[o[0] for o in BACKUP_OPS])
def test_backups_are_for_administrators_only(org, api_as, role, op, settings, tmp_path, monkeypatch):
    from kehu.backup import services
    from kehu.backup.models import Backup

    settings.KEHU_BACKUP_DIR = tmp_path
    monkeypatch.setattr(services, "backup_enqueue", lambda backup: None)  # the archive itself: tests/backup
    backup = Backup.objects.create(filename="kehu-backup-test.tar.gz", status="succeeded", size=3)
    (tmp_path / backup.filename).write_bytes(b"abc")
    _name, call, ok = op
    r = call(api_as(getattr(org.users, role)), backup)
    if role == "admin":
        assert r.status_code == ok, r.content
    else:
        assert_error(r, 403, "forbidden")
        assert Backup.objects.count() == 1 and (tmp_path / backup.filename).exists()


# -- Knowledge base (/kb): writers see and change every article; others read published ones ----------

KB_WRITERS = {"admin", "hq_manager", "north_manager", "east_manager", "north_service"}
KB_OPS = [
    # (name, call, status for a writer, is a write)
    ("GET list", lambda api, a: api.get("/kb/articles"), 200, False),
    ("GET search", lambda api, a: api.get("/kb/search", {"q": "燃气"}), 200, False),
    ("GET article", lambda api, a: api.get(f"/kb/articles/{a.pk}"), 200, False),
    ("PATCH article", lambda api, a: api.patch(f"/kb/articles/{a.pk}", {"title_en": "Changed"}), 200, True),
    ("POST publish", lambda api, a: api.post(f"/kb/articles/{a.pk}/publish"), 200, True),
    ("POST archive", lambda api, a: api.post(f"/kb/articles/{a.pk}/archive"), 200, True),
    ("POST create", lambda api, a: api.post("/kb/articles", {"title_zh": "新文章", "body_zh": "内容"}), 201, True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", ["published", "draft"])
@pytest.mark.parametrize("op", KB_OPS, ids=[o[0] for o in KB_OPS])
def test_kb_articles_per_role(org, api_as, role, status, op):
    from kehu.kb.models import Article
    from kehu.kb.services import article_create

    article = article_create(actor=None, data={"title_zh": "燃气安全", "body_zh": "燃气表"}, status=status)
    name, call, ok, write = op
    r = call(api_as(getattr(org.users, role)), article)
    if role in KB_WRITERS:
        assert r.status_code == ok, r.content
    elif status == "draft" and name in ("GET article", "PATCH article", "POST publish", "POST archive"):
        assert_error(r, 404, "not_found")
    elif write:
        assert_error(r, 403, "forbidden")
        assert Article.objects.count() == 1 and Article.objects.get().status == status
    else:
        assert r.status_code == 200
        if name == "GET list":
            assert ({x["id"] for x in r.json()["items"]} == {article.pk}) == (status == "published")


# -- Service-level policies (/sla-policies): administrators only ------------------------------

SLA_OPS = [
    ("GET sla policies", lambda api, p: api.get("/sla-policies"), 200),
    ("GET sla policy", lambda api, p: api.get(f"/sla-policies/{p.pk}"), 200),
    ("POST sla policy", lambda api, p: api.post("/sla-policies", {"kind": "complaint", "severity": 1,
                                                                  "resolution_minutes": 240}), 201),
    ("PATCH sla policy", lambda api, p: api.patch(f"/sla-policies/{p.pk}", {"resolution_minutes": 300}), 200),
    ("DELETE sla policy", lambda api, p: api.delete(f"/sla-policies/{p.pk}"), 204),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", SLA_OPS, ids=[o[0] for o in SLA_OPS])
def test_sla_policies_are_for_administrators_only(org, api_as, role, op):
    from kehu.service.models import SlaPolicy

    policy = SlaPolicy.objects.create(kind="complaint", tier="gold", resolution_minutes=480)
    _name, call, ok = op
    r = call(api_as(getattr(org.users, role)), policy)
    if role == "admin":
        assert r.status_code == ok, r.content
    else:
        assert_error(r, 403, "forbidden")
        assert list(SlaPolicy.objects.values_list("resolution_minutes", flat=True)) == [480]


# -- Knowledge-base categories (/kb/categories): everyone reads, administrators write ------------

KB_CATEGORY_OPS = [
    ("GET categories", lambda api, c: api.get("/kb/categories"), 200, False),
    ("POST category", lambda api, c: api.post("/kb/categories", {"code": "safety", "name_zh": "安全"}), 201, True),
    ("PATCH category", lambda api, c: api.patch(f"/kb/categories/{c.pk}", {"name_en": "Bills"}), 200, True),
    ("DELETE category", lambda api, c: api.delete(f"/kb/categories/{c.pk}"), 204, True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", KB_CATEGORY_OPS, ids=[o[0] for o in KB_CATEGORY_OPS])
def test_kb_categories_per_role(org, api_as, role, op):
    from kehu.kb.models import KbCategory

    category = KbCategory.objects.create(code="billing", name_zh="账务")
    _name, call, ok, admin_only = op
    r = call(api_as(getattr(org.users, role)), category)
    if role == "admin" or not admin_only:
        assert r.status_code == ok, r.content
    else:
        assert_error(r, 403, "forbidden")
        assert list(KbCategory.objects.values_list("code", "name_en")) == [("billing", "")]


# -- A resolved case into a draft knowledge-base article (/cases/{id}/kb-draft) ----------------
# The case must be visible (else 404) and the caller a knowledge-base writer (else 403).

CASE_SEEN_BY = {"admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "sales_n1"}
KB_DRAFT_WRITERS = {"admin", "hq_manager", "north_manager", "east_manager", "north_service"}


@pytest.mark.parametrize("role", ROLES)
def test_case_kb_draft_per_role(org, api_as, customers, role):
    from kehu.kb.models import Article
    from kehu.service.models import Case
    from kehu.service.services import case_create

    case = case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "repair",
                                                        "subject": "Meter leaks"})
    Case.objects.filter(pk=case.pk).update(status="resolved", resolution="Seal replaced.")
    r = api_as(getattr(org.users, role)).post(f"/cases/{case.pk}/kb-draft")
    if role not in CASE_SEEN_BY:
        assert_error(r, 404, "not_found")
    elif role not in KB_DRAFT_WRITERS:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == 201, r.content
    assert Article.objects.count() == (1 if r.status_code == 201 else 0)


# -- Public-form links (/intake-links): administrators only -------------------------------------

INTAKE_OPS = [
    ("GET intake links", lambda api, link: api.get("/intake-links"), 200),
    ("GET intake link", lambda api, link: api.get(f"/intake-links/{link.pk}"), 200),
    ("POST intake link", lambda api, link: api.post("/intake-links", {"name": "Shop poster"}), 201),
    ("deactivate intake link", lambda api, link: api.post(f"/intake-links/{link.pk}/deactivate"), 200),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", INTAKE_OPS, ids=[o[0] for o in INTAKE_OPS])
def test_intake_links_are_for_administrators_only(org, api_as, role, op):
    from kehu.service.intake import intake_link_create
    from kehu.service.models import IntakeLink

    link = intake_link_create(actor=org.users.admin, data={"name": "Hotline poster"})
    _name, call, ok = op
    r = call(api_as(getattr(org.users, role)), link)
    if role == "admin":
        assert r.status_code == ok, r.content
    else:
        assert_error(r, 403, "forbidden")
        assert list(IntakeLink.objects.values_list("name", "active")) == [("Hotline poster", True)]


# -- Return visits of a resolved case (/cases/{id}/return-visit) ----------------------------------

@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["n1", "e1"])
def test_case_return_visit_per_role(org, world, api_as, role, target):
    from kehu.service.models import Case, ReturnVisit

    case = getattr(world, target).case
    Case.objects.filter(pk=case.pk).update(status="resolved", resolution="Fixed")
    api = api_as(getattr(org.users, role))
    got = api.get(f"/cases/{case.pk}/return-visit")
    start = api.post(f"/cases/{case.pk}/return-visit", {"channel": "phone"})
    result = api.post(f"/cases/{case.pk}/return-visit/result", {"satisfied": True, "note": "ok"})
    if target not in VISIBLE[role]:
        for r in (got, start, result):
            assert_error(r, 404, "not_found")
    elif role in READ_ONLY:
        assert got.status_code == 200
        assert_error(start, 403, "forbidden")
        assert_error(result, 403, "forbidden")
        assert not ReturnVisit.objects.exists()
    else:
        assert (got.status_code, start.status_code, result.status_code) == (200, 201, 200), result.content
        assert Case.objects.get(pk=case.pk).status == "closed"


# -- Repair records on a case (/cases/{id}/repairs): those who see the case read them; those
# who may change the case write them; read-only roles 403; the others 404 ----------------------

CASE_READ_ONLY_ROLES = {"analyst", "north_marketing"}
REPAIR_OPS = [
    ("GET repairs", lambda api, c, r: api.get(f"/cases/{c.pk}/repairs"), 200, False),
    ("POST repair", lambda api, c, r: api.post(f"/cases/{c.pk}/repairs", {"fault": "Leaks"}), 201, True),
    ("PATCH repair", lambda api, c, r: api.patch(f"/cases/{c.pk}/repairs/{r.pk}", {"result": "fixed"}), 200, True),
    ("DELETE repair", lambda api, c, r: api.delete(f"/cases/{c.pk}/repairs/{r.pk}"), 204, True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", REPAIR_OPS, ids=[o[0] for o in REPAIR_OPS])
def test_case_repairs_per_role(org, api_as, customers, role, op):
    from kehu.service.models import RepairRecord
    from kehu.service.services import case_create, repair_create

    case = case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "repair",
                                                        "subject": "Meter leaks"})
    repair = repair_create(actor=org.users.sales_n1, case=case, data={"fault": "Seal worn"})
    _name, call, ok, write = op
    r = call(api_as(getattr(org.users, role)), case, repair)
    if role not in CASE_SEEN_BY:
        assert_error(r, 404, "not_found")
    elif write and role in CASE_READ_ONLY_ROLES:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content
    if role not in CASE_SEEN_BY or (write and role in CASE_READ_ONLY_ROLES):
        assert list(RepairRecord.objects.values_list("fault", "result")) == [("Seal worn", "")]


# -- Warranty terms of a product line (/product-lines/{id}/warranty): everyone reads; administrators
# and sales managers change them -----------------------------------------------------------------

CATALOGUE_KEEPERS = {"admin", "hq_manager", "north_manager", "east_manager"}
WARRANTY_OPS = [
    ("GET warranty", lambda api, ln: api.get(f"/product-lines/{ln.pk}/warranty"), 200, False),
    ("PATCH warranty", lambda api, ln: api.patch(f"/product-lines/{ln.pk}/warranty", {"warranty_months": 24}),
     200, True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", WARRANTY_OPS, ids=[o[0] for o in WARRANTY_OPS])
def test_product_line_warranty_per_role(org, api_as, role, op):
    from kehu.sales.models import ProductLine

    line = ProductLine.objects.create(code="meters", name="Meters", warranty_months=12)
    _name, call, ok, write = op
    r = call(api_as(getattr(org.users, role)), line)
    if write and role not in CATALOGUE_KEEPERS:
        assert_error(r, 403, "forbidden")
        assert ProductLine.objects.get(pk=line.pk).warranty_months == 12
    else:
        assert r.status_code == ok, r.content


# -- Service analytics (/cases/analytics): every role may ask; the figures count only what it may see ----------

@pytest.mark.parametrize("role", ROLES)
def test_case_analytics_counts_only_what_is_visible(org, world, api_as, role):
    import json

    r = api_as(getattr(org.users, role)).get("/cases/analytics")
    assert r.status_code == 200, r.content
    data = json.loads(r.content)
    assert data["complaints"] == data["total"] == len(VISIBLE[role])  # one complaint per visible customer
    # and two orders: the world's order, and the one waiting for approval over the plan's credit limit
    assert data["per_1000_orders"]["orders"] == 2 * len(VISIBLE[role])
    assert data["backlog"]["total"] == len(VISIBLE[role])


# -- Service settings (/service-settings): administrators only ------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_service_settings_are_for_administrators_only(org, api_as, role):
    from kehu.service.models import ServiceSettings

    api = api_as(getattr(org.users, role))
    got = api.get("/service-settings")
    put = api.put("/service-settings", {"return_visits": {"repair": "survey"}})
    if role == "admin":
        assert got.status_code == 200 and got.json()["return_visits"]["repair"] == "phone"
        assert put.status_code == 200, put.content
        body = put.json()
        assert body["return_visits"]["repair"] == "survey" and body["return_visits"]["complaint"] == "survey"
        assert ServiceSettings.objects.get().mode_for("repair") == "survey"
        bad = api.put("/service-settings", {"return_visits": {"repair": "fax"}})
        assert bad.status_code == 422
        assert api.put("/service-settings", {"return_visit_survey_id": 999999}).status_code == 422
    else:
        assert_error(got, 403, "forbidden")
        assert_error(put, 403, "forbidden")
        assert not ServiceSettings.objects.exists()


# -- The calendar feed of one's visits (/visits/feed): every role has its own -----------------------

@pytest.mark.parametrize("role", ROLES)
def test_visit_feed_is_personal(org, api_as, client, role):
    from kehu.engagement.models import VisitFeed

    api = api_as(getattr(org.users, role))
    first = api.get("/visits/feed")
    assert first.status_code == 200, first.content
    assert VisitFeed.objects.get().user == getattr(org.users, role)      # only the caller's own feed exists
    renewed = api.post("/visits/feed/renew")
    assert renewed.status_code == 200 and renewed.json()["url"] != first.json()["url"]
    assert api.get("/visits/feed").json()["url"] == renewed.json()["url"]
    old_path = first.json()["url"].split("//", 1)[1].split("/", 1)[1]
    assert client.get("/" + old_path).status_code == 404                 # the old address stops working


# The association rules are company-wide counts over all orders (no customer named):
# administrators, analysts and sales managers read them (kehu/org/policies.py).
ASSOCIATION_READERS = {"admin", "hq_manager", "analyst", "north_manager", "east_manager"}


@pytest.mark.parametrize("role", ROLES)
def test_association_rules(org, api_as, role):
    r = api_as(getattr(org.users, role)).get("/associations")
    if role in ASSOCIATION_READERS:
        assert r.status_code == 200 and r.json()["items"] == []
    else:
        assert_error(r, 403, "forbidden")


# -- The funnel (/opportunities/funnel) counts only the visible opportunities; the pipelines' and
# reasons' writes are for administrators (403 for every other role, nothing changed) -------------

@pytest.mark.parametrize("role", ROLES)
def test_funnel_counts_only_what_is_visible(org, world, api_as, role):
    r = api_as(getattr(org.users, role)).get("/opportunities/funnel", {"by": "owner"})
    assert r.status_code == 200, r.content
    assert r.json()["total"] == 2 * len(VISIBLE[role])     # an open and a lost opportunity per customer


PIPELINE_OPS = [
    ("POST pipeline", lambda api, p: api.post("/pipelines", {"name_zh": "项目", "name_en": "Projects"}), 201),
    ("PATCH pipeline", lambda api, p: api.patch(f"/pipelines/{p.pk}", {"name_en": "Sales"}), 200),
    ("POST stage", lambda api, p: api.post(f"/pipelines/{p.pk}/stages", {"name_zh": "方案", "name_en": "Proposal"}),
     201),
    ("PATCH stage", lambda api, p: api.patch(f"/pipelines/{p.pk}/stages/{p.stages.get(code='target').pk}",
                                             {"probability": 15}), 200),
    ("DELETE stage", lambda api, p: api.delete(f"/pipelines/{p.pk}/stages/{p.stages.get(code='target').pk}"), 204),
    ("POST lost reason", lambda api, p: api.post("/lost-reasons", {"name_zh": "交期", "name_en": "Lead time"}), 201),
    ("PATCH lost reason", lambda api, p: api.patch(f"/lost-reasons/{LostReason.objects.get(code='price').pk}",
                                                   {"active": False}), 200),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", PIPELINE_OPS, ids=[o[0] for o in PIPELINE_OPS])
def test_pipeline_settings_per_role(org, api_as, role, op):
    from kehu.sales.models import Pipeline
    from tests.sales.conftest import seed_default_pipeline

    pipeline = seed_default_pipeline()
    before = (Pipeline.objects.count(), Stage.objects.count(), LostReason.objects.filter(active=True).count())
    _name, call, ok = op
    r = call(api_as(getattr(org.users, role)), pipeline)
    if role == "admin":
        assert r.status_code == ok, r.content
    else:
        assert_error(r, 403, "forbidden")
        after = (Pipeline.objects.count(), Stage.objects.count(), LostReason.objects.filter(active=True).count())
        assert after == before


# -- Quotas and the forecast (/quotas, /forecast): the quota's person or team decides ------------

QUOTA_SEES = {"n1": {"admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing",
                     "sales_n1"},
              "e1": {"admin", "hq_manager", "analyst", "east_manager", "sales_e1"}}
QUOTA_SETS = {"n1": {"admin", "hq_manager", "north_manager"}, "e1": {"admin", "hq_manager", "east_manager"}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["n1", "e1"])
def test_quotas(org, api_as, role, target):
    from kehu.sales.quotas import quota_create

    who = {"user": org.users.sales_n1} if target == "n1" else {"team": org.teams.e1}
    quota = quota_create(actor=org.users.admin, period="2027-Q1", amount=1000, **who)
    api = api_as(getattr(org.users, role))
    got = api.get(f"/quotas/{quota.pk}")
    listed = {q["id"] for q in api.get("/quotas", {"limit": 200}).json()["items"]}
    patched = api.patch(f"/quotas/{quota.pk}", {"amount": "2000.00"})
    if role not in QUOTA_SEES[target]:
        assert_error(got, 404, "not_found") and assert_error(patched, 404, "not_found")
        assert quota.pk not in listed
        return
    assert got.status_code == 200 and quota.pk in listed
    if role in QUOTA_SETS[target]:
        assert patched.status_code == 200, patched.content
    else:
        assert_error(patched, 403, "forbidden")
    assert api.get("/forecast", {"period": "2027-Q1"}).status_code == 200


# -- Teams (/teams): everyone signed in reads the tree; administrators change it. ---------------
# -- Users (/users): administrators only. --------------------------------------------------------

TEAM_WRITES = [
    ("POST team", lambda api, o: api.post("/teams", {"name": "North sales 2", "parent_id": o.teams.north.pk}), 201),
    ("PATCH team", lambda api, o: api.patch(f"/teams/{o.teams.n1.pk}", {"name": "N1", "parent_id": o.teams.east.pk}),
     200),
]
USER_OPS = [
    ("GET users", lambda api, o: api.get("/users", {"team_id": o.teams.north.pk}), 200),
    ("GET user", lambda api, o: api.get(f"/users/{o.users.sales_n1.pk}"), 200),
    ("POST user", lambda api, o: api.post("/users", {"username": "li", "role": "salesperson",
                                                     "team_id": o.teams.e1.pk}), 201),
    ("PATCH user", lambda api, o: api.patch(f"/users/{o.users.sales_n1.pk}", {"role": "sales_manager",
                                                                               "language": "en"}), 200),
    ("POST deactivate", lambda api, o: api.post(f"/users/{o.users.north_marketing.pk}/deactivate", {}), 200),
    ("POST password reset", lambda api, o: api.post(f"/users/{o.users.sales_e1.pk}/password-reset"), 202),
]


@pytest.mark.parametrize("role", ROLES)
def test_teams_are_read_by_everyone(org, api_as, role):
    api = api_as(getattr(org.users, role))
    items = api.get("/teams", {"limit": 100}).json()["items"]
    assert [t["name"] for t in items][:2] == ["Head office", "North region"] and len(items) == 5
    assert api.get(f"/teams/{org.teams.e1.pk}").json()["parent_id"] == org.teams.east.pk


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", TEAM_WRITES + USER_OPS, ids=[o[0] for o in TEAM_WRITES + USER_OPS])
def test_teams_change_and_users_are_for_administrators_only(org, api_as, role, op):
    from django.core import mail

    from kehu.org.models import Team, User

    User.objects.filter(pk=org.users.sales_e1.pk).update(email="e1@example.com")
    before = (list(Team.objects.values_list("id", "name", "path")),
              list(User.objects.values_list("id", "role", "is_active", "language")))
    _name, call, ok = op
    r = call(api_as(getattr(org.users, role)), org)
    if role == "admin":
        assert r.status_code == ok, r.content
    else:
        assert_error(r, 403, "forbidden")
        after = (list(Team.objects.values_list("id", "name", "path")),
                 list(User.objects.values_list("id", "role", "is_active", "language")))
        assert after == before and mail.outbox == []


def test_users_api_filters_moves_and_refuses(org, customers, api_as):
    from django.core import mail

    from kehu.customers.models import Customer

    api = api_as(org.users.admin)
    names = {u["username"] for u in api.get("/users", {"team_id": org.teams.north.pk, "limit": 100}).json()["items"]}
    assert names == {"north_manager", "north_service", "north_marketing", "sales_n1", "sales_n1b"}
    assert {u["username"] for u in api.get("/users", {"q": "east", "limit": 100}).json()["items"]} == {"east_manager"}
    # a user who owns customers: a successor is needed
    assert_error(api.post(f"/users/{org.users.sales_n1.pk}/deactivate", {}), 422, "validation_error")
    assert_error(api.patch(f"/users/{org.users.sales_n1.pk}", {"active": False}), 422, "validation_error")
    r = api.post(f"/users/{org.users.sales_n1.pk}/deactivate", {"reassign_to_id": org.users.sales_n1b.pk})
    assert r.status_code == 200 and r.json()["customers_moved"] >= 1 and r.json()["user"]["active"] is False
    assert Customer.objects.get(pk=customers.n1.pk).owner_id == org.users.sales_n1b.pk
    assert_error(api.patch(f"/teams/{org.teams.north.pk}", {"parent_id": org.teams.n1.pk}), 422, "validation_error")
    assert_error(api.post(f"/users/{org.users.sales_e1.pk}/password-reset"), 422, "validation_error")  # no e-mail
    assert mail.outbox == []
    assert_error(api.get("/users/999999"), 404, "not_found")


def test_teams_and_users_need_authentication(org, anon):
    for call in [lambda api: api.get("/teams"), lambda api: api.get("/users"),
                 lambda api: api.patch("/me", {"language": "en"}),
                 lambda api: api.post("/me/password", {"current_password": "x", "new_password": "y"})]:
        assert_error(call(anon), 401, "unauthorized")


@pytest.mark.parametrize("role", ROLES)
def test_everyone_changes_their_own_language_and_no_one_elses(org, api_as, role):
    from kehu.org.models import User

    me = getattr(org.users, role)
    before = dict(User.objects.exclude(pk=me.pk).values_list("id", "language"))
    r = api_as(me).patch("/me", {"language": "zh-hans"})
    assert r.status_code == 200 and r.json()["id"] == me.pk
    assert User.objects.get(pk=me.pk).language == "zh-hans"
    assert dict(User.objects.exclude(pk=me.pk).values_list("id", "language")) == before


# -- Partners (/partners): read by administrators, analysts, sales managers and service agents;
# -- written by administrators and sales managers; customers, orders and figures in the caller's scope.

PARTNER_READERS = {"admin", "hq_manager", "analyst", "north_manager", "north_service", "east_manager"}
PARTNER_MANAGERS = {"admin", "hq_manager", "north_manager", "east_manager"}


@pytest.fixture
def partner_world(org, customers):
    from kehu.sales.models import Order
    from kehu.customers.models import Customer
    from tests.factories import PartnerFactory

    top = PartnerFactory(code="PM-L1", name="华北一级代理", manager=org.users.north_manager)
    sub = PartnerFactory(code="PM-L2", name="天津二级代理", kind="agent_l2", parent=top)
    Customer.objects.filter(pk__in=[customers.n1.pk, customers.e1.pk]).update(partner=top)
    orders = [OrderFactory(customer=customers.n1), OrderFactory(customer=customers.e1)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(partner=top)
    return SimpleNamespace(top=top, sub=sub, orders=orders)


PARTNER_OPS = [
    ("GET partner", lambda api, w, o: api.get(f"/partners/{w.top.pk}"), 200, False),
    ("GET targets", lambda api, w, o: api.get(f"/partners/{w.top.pk}/targets"), 200, False),
    ("GET customers", lambda api, w, o: api.get(f"/partners/{w.top.pk}/customers"), 200, False),
    ("GET orders", lambda api, w, o: api.get(f"/partners/{w.top.pk}/orders"), 200, False),
    ("GET scorecard", lambda api, w, o: api.get(f"/partners/{w.top.pk}/scorecard", {"include_sub": True}), 200,
     False),
    ("POST partner", lambda api, w, o: api.post("/partners", {"code": "PM-NEW", "name": "新代理",
                                                              "parent_id": w.top.pk}), 201, True),
    ("PATCH partner", lambda api, w, o: api.patch(f"/partners/{w.sub.pk}", {"name": "改名", "margin_pct": "12.5",
                                                                             "manager_id": o.users.east_manager.pk}),
     200, True),
    ("PUT target", lambda api, w, o: api.put(f"/partners/{w.top.pk}/targets", {
        "period_start": "2027-01-01", "period_end": "2027-03-31", "revenue": "100000", "new_customers": 3}),
     200, True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", PARTNER_OPS, ids=[o[0] for o in PARTNER_OPS])
def test_partners_per_role(org, partner_world, api_as, role, op):
    from kehu.org.models import Partner, PartnerTarget

    before = (list(Partner.objects.values_list("id", "code", "name", "path", "margin_pct")),
              PartnerTarget.objects.count())
    name, call, ok, write = op
    r = call(api_as(getattr(org.users, role)), partner_world, org)
    if role not in PARTNER_READERS and not (write and name == "POST partner"):
        assert_error(r, 404 if name != "POST partner" else 403, "not_found" if name != "POST partner" else "forbidden")
    elif write and role not in PARTNER_MANAGERS:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content
    if not (write and role in PARTNER_MANAGERS):
        assert (list(Partner.objects.values_list("id", "code", "name", "path", "margin_pct")),
                PartnerTarget.objects.count()) == before


@pytest.mark.parametrize("role", ROLES)
def test_partner_lists_show_exactly_what_the_caller_may_see(org, customers, partner_world, api_as, role):
    api = api_as(getattr(org.users, role))
    codes = {p["code"] for p in api.get("/partners", {"limit": 100}).json()["items"]}
    ranked = {p["partner_code"] for p in api.get("/partners/ranking", {"start": "2020-01-01",
                                                                       "end": "2029-12-31"}).json()}
    if role not in PARTNER_READERS:
        assert codes == set() and ranked == set()
        return
    assert codes == {"PM-L1", "PM-L2"} and ranked == {"PM-L1", "PM-L2"}
    seen = {c["id"] for c in api.get(f"/partners/{partner_world.top.pk}/customers").json()["items"]}
    assert seen == {getattr(customers, k).pk for k in VISIBLE[role]}
    orders = {o["customer_id"] for o in api.get(f"/partners/{partner_world.top.pk}/orders").json()["items"]}
    assert orders == {getattr(customers, k).pk for k in VISIBLE[role]}
    card = api.get(f"/partners/{partner_world.top.pk}/scorecard", {"start": "2020-01-01",
                                                                   "end": "2029-12-31"}).json()
    assert card["customers"] == len(VISIBLE[role]) and card["orders"] == len(VISIBLE[role])


def test_a_partner_user_reads_only_its_own_partner_and_those_below(org, partner_world, api_as):
    from kehu.org.services import user_create
    from tests.factories import PartnerFactory

    other = PartnerFactory(code="PM-X", name="华东代理")
    agent = user_create(username="agent_l2", password=None, role="partner", partner=partner_world.sub)
    boss = user_create(username="agent_l1", password=None, role="partner", partner=partner_world.top)
    api = api_as(agent)
    assert {p["code"] for p in api.get("/partners").json()["items"]} == {"PM-L2"}
    assert_error(api.get(f"/partners/{partner_world.top.pk}"), 404, "not_found")
    assert_error(api.patch(f"/partners/{partner_world.sub.pk}", {"name": "x"}), 403, "forbidden")
    api = api_as(boss)
    assert {p["code"] for p in api.get("/partners").json()["items"]} == {"PM-L1", "PM-L2"}
    assert_error(api.get(f"/partners/{other.pk}/scorecard"), 404, "not_found")
# -- the all-or-nothing table imports (kehu/imports/tables.py): who sets quotas, who manages
# partners, administrators for staff; a 403 for the others (partner users: 404, below) --------
TABLE_IMPORTERS = {"quotas": QUOTA_SETS["n1"] | QUOTA_SETS["e1"], "partners": PARTNER_MANAGERS,
                   "employees": {"admin"}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(TABLE_IMPORTERS))
def test_table_imports_per_role(org, api_as, role, kind):
    from kehu.org.models import Employee, Partner
    from kehu.sales.models import Quota

    api = api_as(getattr(org.users, role))
    before = (Quota.objects.count(), Partner.objects.count(), Employee.objects.count())
    text = {"quotas": "period,team,amount\n2026-01,North sales 1,100\n", "partners": "code,name\nTI1,甲\n",
            "employees": "name\n王师傅\n"}[kind]
    r = api.client.post(api._url(f"/imports/{kind}"), {"file": SimpleUploadedFile("t.csv", text.encode()),
                                                       "dry_run": "true"}, **api.headers)
    if role in TABLE_IMPORTERS[kind]:
        assert r.status_code == 200, r.content
        assert r.json()["dry_run"] and r.json()["rows"] == 1
        # a manager outside the North subtree may not set its quota: a bad row, not a 403
        assert r.json()["refused"] == (kind == "quotas" and role == "east_manager")
    else:
        assert_error(r, 403, "forbidden")
    assert (Quota.objects.count(), Partner.objects.count(), Employee.objects.count()) == before


# -- partner users (issue 18): their partner's customers and its sub-partners', nothing else ------
#
# A level-1 agent (l1) with a level-2 agent (l2) below it, and another level-1 agent (other);
# a user of each. ``p1`` is served by l1, ``p2`` by l2; the company's own customers n1 and e1
# have no partner. Built the first time a partner test asks (the module's last tests), in the
# same module-wide transaction.
PARTNER_VISIBLE = {"partner_l1": {"p1", "p2"}, "partner_l2": {"p2"}, "partner_other": set()}
PARTNER_ROLES = sorted(PARTNER_VISIBLE)
# what a partner user may do to the records of a customer they see (the rest: 404, outside the portal)
PARTNER_OK = {
    "GET customer": 200, "PATCH customer": 200, "DELETE customer": 403,
    "POST contact": 201, "GET contact": 200, "PATCH contact": 200, "DELETE contact": 204,
    "POST interaction": 201, "GET interaction": 200, "PATCH interaction": 200, "DELETE interaction": 204,
    "POST order": 201, "GET order": 200, "PATCH order": 200, "DELETE order": 403,
    "POST case": 201, "GET case": 200, "PATCH case": 200, "transition case": 200, "GET case steps": 200,
    "PUT case step": 200, "GET case events": 200, "comment case": 201, "case from interaction": 201,
    "GET customer attachments": 200, "GET interaction attachments": 200, "GET order attachments": 200,
    "POST customer attachment": 201, "POST interaction attachment": 201, "POST order attachment": 201,
    "GET attachment": 200, "download attachment": 200, "DELETE attachment": 204,
    "GET case attachments": 200, "POST case attachment": 201, "download case attachment": 200,
    "DELETE case attachment": 204,
}
# the operations that need only these records (a partner's customer has no task, visit, plan…)
PARTNER_TARGET_OPS = [o for o in CUSTOMER_OPS if o[0] in PARTNER_OK or o[0] in {
    "GET anniversaries", "POST anniversary", "GET payments", "POST payment", "POST task", "GET case articles",
    "judge case", "assign case", "GET customer suggestions", "POST opportunity", "POST visit",
    "POST key-account plan"}]


@pytest.fixture(scope="module")
def _partner_shared(_shared, tmp_path_factory):
    from kehu.org.partners import partner_create
    from tests.factories import UserFactory

    u = _shared.org.users
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("partner-media")):
        l1 = partner_create(data={"code": "PL1", "name": "华北一级代理", "manager": u.north_manager, "margin_pct": 10})
        l2 = partner_create(data={"code": "PL2", "name": "天津二级代理", "kind": "agent_l2"}, parent=l1)
        other = partner_create(data={"code": "PO1", "name": "华东一级代理", "manager": u.east_manager})
        users = SimpleNamespace(
            partner_l1=UserFactory(username="partner_l1", role="partner", partner=l1),
            partner_l2=UserFactory(username="partner_l2", role="partner", partner=l2),
            partner_other=UserFactory(username="partner_other", role="partner", partner=other),
        )

        def records(name, partner, logger):
            customer = CustomerFactory(name=name, owner=None, partner=partner, city="天津", phone="")
            case = case_create(actor=u.admin, data={"customer": customer, "kind": "complaint", "subject": "迟发货"})
            return SimpleNamespace(
                customer=customer, case=case,
                bare=CustomerFactory(name=f"{name} (no orders)", owner=None, partner=partner),
                contact=ContactFactory(customer=customer),
                # logged by the partner's people: a partner user sees no other (CustomerPolicy.timeline_q)
                interaction=InteractionFactory(customer=customer, user=logger),
                order=OrderFactory(customer=customer), attachment=AttachmentFactory(customer=customer),
                case_attachment=case_attachment_upload(actor=u.admin, case=case,
                                                       upload=SimpleUploadedFile("m.pdf", PDF_BYTES)),
                anniversary=Anniversary.objects.create(customer=customer, label="Founded", date=dt.date(2001, 5, 1)),
                quote_product=ProductFactory(),
            )

        world = SimpleNamespace(p1=records("渠道客户甲", l1, users.partner_l1),
                                p2=records("渠道客户乙", l2, users.partner_l2))
        # a case about the company's own customer n1, routed to the level-2 agent
        world.routed = case_create(actor=u.admin, data={"customer": _shared.customers.n1, "kind": "complaint",
                                                        "subject": "代理安装不当", "partner": l2})
        yield SimpleNamespace(partners=SimpleNamespace(l1=l1, l2=l2, other=other), users=users, world=world)


@pytest.fixture
def channel(_partner_shared):
    return copy.deepcopy(_partner_shared)


@pytest.mark.parametrize("role", PARTNER_ROLES)
@pytest.mark.parametrize("target", ["n1", "e1"])
@pytest.mark.parametrize("op", CUSTOMER_OPS, ids=[o[0] for o in CUSTOMER_OPS])
def test_partner_users_get_404_on_every_record_of_the_company_s_customers(channel, world, api_as, role, target, op):
    _name, call, _ok = op
    r = call(api_as(getattr(channel.users, role)), getattr(world, target))
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize("role", PARTNER_ROLES)
@pytest.mark.parametrize("target", ["p1", "p2"])
@pytest.mark.parametrize("op", PARTNER_TARGET_OPS, ids=[o[0] for o in PARTNER_TARGET_OPS])
def test_partner_users_on_their_partners_customers(channel, api_as, role, target, op):
    name, call, _ok = op
    r = call(api_as(getattr(channel.users, role)), getattr(channel.world, target))
    if target not in PARTNER_VISIBLE[role] or name not in PARTNER_OK:
        assert_error(r, 404, "not_found")
    elif PARTNER_OK[name] == 403:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == PARTNER_OK[name], (name, r.content)


PARTNER_LISTS = [
    ("/customers", lambda t: t.customer.pk),
    ("/contacts", lambda t: t.contact.pk),
    ("/interactions", lambda t: t.interaction.pk),
    ("/orders", lambda t: t.order.pk),
    ("/cases", lambda t: t.case.pk),
]


@pytest.mark.parametrize("role", PARTNER_ROLES)
@pytest.mark.parametrize("path,key", PARTNER_LISTS, ids=[p for p, _k in PARTNER_LISTS])
def test_partner_lists_show_exactly_their_partners_records(channel, world, api_as, role, path, key):
    r = api_as(getattr(channel.users, role)).get(path, {"limit": 200})
    assert r.status_code == 200
    got = {x["id"] for x in r.json()["items"]}
    for target in ("p1", "p2"):
        assert (key(getattr(channel.world, target)) in got) == (target in PARTNER_VISIBLE[role]), (role, target)
    for target in ("n1", "e1"):
        assert key(getattr(world, target)) not in got
    if path == "/cases":   # routed to l2: its users and l1's see it, though not its customer
        assert (channel.world.routed.pk in got) == (role != "partner_other")
        assert api_as(getattr(channel.users, role)).get(f"/cases/{channel.world.routed.pk}").status_code == (
            404 if role == "partner_other" else 200)


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partner_search_finds_only_their_partners_customers(channel, world, api_as, role):
    api = api_as(getattr(channel.users, role))
    names = {"p1": channel.world.p1.customer.name, "p2": channel.world.p2.customer.name,
             "n1": world.n1.customer.name, "e1": world.e1.customer.name}
    for target, name in names.items():
        r = api.get("/search", {"q": name[:4]})
        assert r.status_code == 200
        labels = {h["label"] for g in r.json()["groups"] for h in g["hits"]}
        assert (name in labels) == (target in PARTNER_VISIBLE[role]), (role, target, labels)


def _api_routes():
    """Every API path with made-up ids, named as it resolves (the first pattern of a path
    answers every method of it)."""
    import re

    from django.urls import get_resolver

    out = {}
    for top in get_resolver().url_patterns:
        if str(getattr(top, "pattern", "")) != "api/v1/":
            continue
        for p in top.url_patterns:
            route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if "id" in m[1] or m[1] == "pk" else "x", str(p.pattern))
            out.setdefault("/" + route, f"api-v1:{p.name}")
    return [(name, path) for path, name in out.items()]


API_ROUTES = _api_routes()


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_every_endpoint_outside_the_partner_portal_is_404(channel, world, api_as, role):
    from kehu.org.policies import PARTNER_VIEWS

    api = api_as(getattr(channel.users, role))
    closed = [(name, path) for name, path in API_ROUTES if name not in PARTNER_VIEWS]
    assert len(closed) > 100
    for name, path in closed:
        path = path.rstrip("/") or "/"
        for method in ("get", "post", "patch", "put", "delete"):
            call = getattr(api, method)
            r = call(path) if method in ("get", "delete") else call(path, {})
            assert r.status_code in (404, 405), (name, method, path, r.status_code, r.content[:200])
            if r.status_code == 404:
                assert r.json()["error"]["code"] == "not_found"


def test_a_partner_user_registers_a_customer_through_the_api(channel, org, api_as):
    r = api_as(channel.users.partner_l2).post("/customers", {"name": "二级代理新客户"})
    assert r.status_code == 201, r.content
    from kehu.customers.models import Customer

    c = Customer.objects.get(pk=r.json()["id"])
    assert c.partner_id == channel.partners.l2.pk and c.owner_id == org.users.north_manager.pk
    r = api_as(channel.users.partner_l2).post("/customers", {"name": "指定负责人", "owner_id": org.users.sales_n1.pk})
    assert_error(r, 422, "validation_error")


# -- Employee satisfaction (kehu/surveys/staff) ---------------------------------------------
# Results by team and role, and staff beside customers: those who see everything and the
# sales managers (their own subtree's team rows); nobody else, not even a 403 to tell the
# survey has results (404). Inviting is for the survey designers; staff without a login are
# written by administrators and read by administrators and designers (kehu/org/policies.py).
EMPLOYEE_READERS = {"admin", "hq_manager", "analyst", "north_manager", "east_manager"}
EMPLOYEE_TEAMS = {"north_manager": {"North region", "North sales 1"}, "east_manager": {"East region", "East sales 1"}}


@pytest.fixture
def staff_world(org):
    from kehu.org.models import Employee
    from kehu.surveys.models import Invitation
    from kehu.surveys.services import distribution as dist
    from kehu.surveys.services.definitions import survey_create_from_template
    from kehu.surveys.simulate import simulate_answers
    from kehu.surveys.staff.services import employees_invite

    for k in range(6):
        Employee.objects.create(name=f"n{k}", team=org.teams.n1)
        Employee.objects.create(name=f"e{k}", team=org.teams.e1)
    survey = survey_create_from_template(actor=org.users.admin, template="employee", code="staff")
    survey.status = "active"
    survey.save(update_fields=["status"])
    wave = dist.wave_open(actor=org.users.admin, wave=dist.wave_create(actor=org.users.admin, survey=survey,
                                                                       name="2026"))
    employees_invite(actor=org.users.admin, wave=wave, send=False)
    invitations = list(Invitation.objects.filter(wave=wave).order_by("id"))
    for inv, answers in zip(invitations, simulate_answers(survey, len(invitations), seed=3)):
        dist.response_record(invitation=inv, answers=answers, submit=True)
    staff = Employee.objects.first()
    return SimpleNamespace(survey=survey, wave=wave, staff=staff, response=wave.responses.first())


STAFF_OPS = [
    ("GET staff-results", lambda api, w: api.get(f"/surveys/{w.survey.pk}/staff-results"), "read"),
    ("GET staff-customers", lambda api, w: api.get(f"/surveys/{w.survey.pk}/staff-customers"), "read"),
    ("POST invite-employees", lambda api, w: api.post(f"/waves/{w.wave.pk}/invite-employees", {"send": False}),
     "run"),
    ("GET employees", lambda api, w: api.get("/employees"), "list"),
    ("GET employee", lambda api, w: api.get(f"/employees/{w.staff.pk}"), "staff"),
    ("POST employee", lambda api, w: api.post("/employees", {"name": "新员工"}), "admin"),
    ("PATCH employee", lambda api, w: api.patch(f"/employees/{w.staff.pk}", {"position": "driver"}), "admin"),
    ("GET wave responses", lambda api, w: api.get(f"/waves/{w.wave.pk}/responses"), "none"),
    ("GET response", lambda api, w: api.get(f"/responses/{w.response.pk}"), "404"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", STAFF_OPS, ids=[o[0] for o in STAFF_OPS])
def test_employee_satisfaction(org, staff_world, api_as, role, op):
    _name, call, rule = op
    r = call(api_as(getattr(org.users, role)), staff_world)
    staff_readers = {"admin"} | SURVEY_DESIGNERS
    if rule == "read":
        assert r.status_code == (200 if role in EMPLOYEE_READERS else 404), r.content
    elif rule == "run":
        assert r.status_code == (200 if role in SURVEY_DESIGNERS else 403), r.content
    elif rule == "list":
        assert r.status_code == 200 and bool(r.json()["items"]) == (role in staff_readers)
    elif rule == "staff":
        assert r.status_code == (200 if role in staff_readers else 404)
    elif rule == "admin":
        # a member of staff the caller may not read is a 404, as everywhere
        expected = (201 if "POST" in _name else 200) if role == "admin" else \
            403 if "POST" in _name or role in staff_readers else 404
        assert r.status_code == expected, r.content
    elif rule == "none":
        assert r.status_code == 200 and r.json()["items"] == []   # anonymous answers are never listed
    else:
        assert r.status_code == 404


@pytest.mark.parametrize("role", sorted(EMPLOYEE_READERS))
def test_employee_results_show_the_readers_teams(org, staff_world, api_as, role):
    data = api_as(getattr(org.users, role)).get(f"/surveys/{staff_world.survey.pk}/staff-results").json()
    labels = {t["label"] for t in data["teams"]}
    if role in EMPLOYEE_TEAMS:
        assert labels == EMPLOYEE_TEAMS[role] and data["total"] is None and data["roles"] == []
    else:
        assert {"Head office", "North sales 1", "East sales 1"} <= labels and data["total"]["n"] >= 18
