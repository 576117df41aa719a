"""Warranty and repairs (维修, 保修, 三包): the pure rule (a hand-checked table), the
installed base, the case page's warranty status, the serial-number lookup, repair
records (services, pages, API), the product-line terms (page, API, command)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.analytics.warranty import WarrantyTerms, add_months, effective_terms, warranty_state
from kehu.sales.models import OrderStatus
from kehu.service.models import Case, CaseEvent, RepairRecord
from tests.api.conftest import api_as, assert_error  # noqa: F401
from tests.factories import OrderFactory, ProductFactory, ProductLineFactory
from tests.service.conftest import make_case

D = dt.date


# -- the pure rule ------------------------------------------------------------------------

# Hand-checked: PRC Civil Code arts. 201-202 — the purchase day is not counted, a period of
# months ends on the same day of the month (else the month's last day), the last day counts.
ADD_MONTHS = [
    (D(2026, 1, 31), 1, D(2026, 2, 28)),     # no 31 February: the month's last day
    (D(2028, 1, 31), 1, D(2028, 2, 29)),     # leap year
    (D(2026, 1, 30), 1, D(2026, 2, 28)),
    (D(2026, 3, 31), 1, D(2026, 4, 30)),
    (D(2026, 8, 31), 6, D(2027, 2, 28)),
    (D(2028, 2, 29), 12, D(2029, 2, 28)),    # a leap day a year on
    (D(2026, 2, 28), 12, D(2027, 2, 28)),
    (D(2026, 12, 15), 1, D(2027, 1, 15)),    # over the year's end
    (D(2026, 5, 5), 0, D(2026, 5, 5)),
    (D(2026, 11, 30), 3, D(2027, 2, 28)),
    (D(2026, 10, 31), 24, D(2028, 10, 31)),
]


@pytest.mark.parametrize("start,months,end", ADD_MONTHS)
def test_add_months_table(start, months, end):
    assert add_months(start, months) == end


T = WarrantyTerms(warranty_months=12, return_days=7, exchange_days=15)
STEEL = WarrantyTerms(warranty_months=0, return_days=0, exchange_days=7)

# (bought, on, terms, remedy, warranty_until, return_until, exchange_until)
STATES = [
    (D(2026, 3, 1), D(2026, 3, 1), T, "return", D(2027, 3, 1), D(2026, 3, 8), D(2026, 3, 16)),
    (D(2026, 3, 1), D(2026, 3, 8), T, "return", D(2027, 3, 1), D(2026, 3, 8), D(2026, 3, 16)),   # last day counts
    (D(2026, 3, 1), D(2026, 3, 9), T, "exchange", D(2027, 3, 1), D(2026, 3, 8), D(2026, 3, 16)),
    (D(2026, 3, 1), D(2026, 3, 16), T, "exchange", D(2027, 3, 1), D(2026, 3, 8), D(2026, 3, 16)),
    (D(2026, 3, 1), D(2026, 3, 17), T, "repair", D(2027, 3, 1), D(2026, 3, 8), D(2026, 3, 16)),
    (D(2026, 3, 1), D(2027, 3, 1), T, "repair", D(2027, 3, 1), D(2026, 3, 8), D(2026, 3, 16)),
    (D(2026, 3, 1), D(2027, 3, 2), T, "expired", D(2027, 3, 1), D(2026, 3, 8), D(2026, 3, 16)),
    # 31 January + 1 month ends on 28 February; 1 March is out
    (D(2026, 1, 31), D(2026, 2, 28), WarrantyTerms(1), "repair", D(2026, 2, 28), None, None),
    (D(2026, 1, 31), D(2026, 3, 1), WarrantyTerms(1), "expired", D(2026, 2, 28), None, None),
    (D(2028, 1, 31), D(2028, 2, 29), WarrantyTerms(1), "repair", D(2028, 2, 29), None, None),
    # return over the month's end: 28 December + 7 days = 4 January
    (D(2026, 12, 28), D(2027, 1, 4), T, "return", D(2027, 12, 28), D(2027, 1, 4), D(2027, 1, 12)),
    # steel plate: no return, no warranty, exchange for 7 days
    (D(2026, 6, 10), D(2026, 6, 17), STEEL, "exchange", None, None, D(2026, 6, 17)),
    (D(2026, 6, 10), D(2026, 6, 18), STEEL, "expired", None, None, D(2026, 6, 17)),
    # no terms at all: not known, never a guess
    (D(2026, 6, 10), D(2026, 6, 11), WarrantyTerms(), "unknown", None, None, None),
    # asked before the purchase: as on the purchase day
    (D(2026, 6, 10), D(2026, 6, 1), T, "return", D(2027, 6, 10), D(2026, 6, 17), D(2026, 6, 25)),
]


@pytest.mark.parametrize("bought,on,terms,remedy,w_until,r_until,x_until", STATES)
def test_warranty_state_table(bought, on, terms, remedy, w_until, r_until, x_until):
    s = warranty_state(bought, on, terms)
    assert (s.remedy, s.warranty_until, s.return_until, s.exchange_until) == (remedy, w_until, r_until, x_until)
    assert s.in_warranty == (remedy in ("return", "exchange", "repair"))


def test_effective_terms_override_term_by_term():
    line = WarrantyTerms(warranty_months=12, return_days=7, exchange_days=15)
    assert effective_terms(line, WarrantyTerms(warranty_months=24)) == WarrantyTerms(24, 7, 15)
    assert effective_terms(line, WarrantyTerms(return_days=0)) == WarrantyTerms(12, 0, 15)
    assert effective_terms(None, None) == WarrantyTerms()
    with pytest.raises(ValueError):
        WarrantyTerms(warranty_months=-1)


# -- the database side -------------------------------------------------------------------------

@pytest.fixture
def cutter(db):
    line = ProductLineFactory(code="machines", name="Cutting machines", warranty_months=12, return_days=7,
                              exchange_days=15)
    return ProductFactory(ref="CUT-1", name="Plasma cutter", line=line)


def _delivered(customer, product, serial, days_ago, status=OrderStatus.DELIVERED):
    return OrderFactory(customer=customer, order_date=dt.date.today() - dt.timedelta(days=days_ago), status=status,
                        lines=[{"product": product, "quantity": 1, "unit_price": "9000", "serial_number": serial}])


@pytest.mark.django_db
def test_installed_base_on_the_customer_page(org, customers, client_for, cutter):
    _delivered(customers.n1, cutter, "SN-A1", days_ago=3)
    _delivered(customers.n1, cutter, "SN-OLD", days_ago=800)
    _delivered(customers.n1, cutter, "SN-OPEN", days_ago=1, status=OrderStatus.CONFIRMED)   # not delivered yet
    client = client_for(org.users.sales_n1)
    page = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert 'data-testid="installed-base"' in page
    assert "SN-A1" in page and "SN-OLD" in page and "SN-OPEN" not in page
    assert "Return possible" in page and "Out of warranty" in page
    r = client.get(reverse("installed_base", args=[customers.n1.pk]))
    assert r.status_code == 200 and "SN-A1" in r.content.decode()
    # another salesperson's customer: 404, as everywhere
    assert client_for(org.users.sales_e1).get(reverse("installed_base", args=[customers.n1.pk])).status_code == 404


@pytest.mark.django_db
def test_installed_base_card_links_to_all_items_when_many(org, customers, client_for, cutter):
    for i in range(12):
        _delivered(customers.n1, cutter, f"SN-{i:02d}", days_ago=i)
    client = client_for(org.users.sales_n1)
    page = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert 'data-testid="installed-all"' in page and "All 12 items" in page
    body = client.get(reverse("installed_base", args=[customers.n1.pk])).content.decode()
    assert all(f"SN-{i:02d}" in body for i in range(12))


@pytest.mark.django_db
def test_case_page_shows_the_real_rule(org, customers, client_for, cutter):
    order = _delivered(customers.n1, cutter, "SN-X", days_ago=10)
    case = make_case(org.users.sales_n1, customers.n1, kind="repair", order=order, serial_number="sn-x")
    client = client_for(org.users.sales_n1)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-remedy="exchange"' in page and "Exchange or free repair applies" in page
    # a product of its own terms overrides the line: no exchange, six months
    cutter.exchange_days = 0
    cutter.save()
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-remedy="repair"' in page
    # no order: not known
    other = make_case(org.users.sales_n1, customers.n1, kind="repair")
    page = client.get(reverse("case_detail", args=[other.pk])).content.decode()
    assert 'data-remedy="none"' in page and "Not known (no order)" in page


@pytest.mark.django_db
def test_case_out_of_warranty_after_the_months(org, customers, client_for, cutter):
    order = _delivered(customers.n1, cutter, "SN-Y", days_ago=400)
    case = make_case(org.users.sales_n1, customers.n1, kind="repair", order=order, product=cutter)
    page = client_for(org.users.sales_n1).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-remedy="expired"' in page and "Repairs are charged" in page


@pytest.mark.django_db
def test_serial_lookup_fills_the_case(org, customers, client_for, cutter):
    order = _delivered(customers.n1, cutter, "HN-2026-0042", days_ago=5)
    line = order.lines.get()
    client = client_for(org.users.sales_n1)
    r = client.get(reverse("case_serial_lookup"), {"serial_number": "hn-2026-0042"})
    body = r.content.decode()
    assert r.status_code == 200 and f'value="{line.pk}"' in body and customers.n1.name in body
    # someone who may not see the customer finds nothing
    r = client_for(org.users.sales_e1).get(reverse("case_serial_lookup"), {"serial_number": "HN-2026-0042"})
    assert 'data-testid="serial-none"' in r.content.decode()
    # with the line picked (htmx)
    client = client_for(org.users.sales_n1)
    client.post(reverse("case_create"), {"kind": "repair", "channel": "hotline", "severity": "3", "subject": "Arc fails",
                                         "serial_number": "HN-2026-0042", "order_line": line.pk})
    case = Case.objects.get(subject="Arc fails")
    assert (case.customer, case.order, case.product) == (customers.n1, order, cutter)
    # without JavaScript: the only line with the serial is used on save
    client.post(reverse("case_create"), {"kind": "repair", "channel": "hotline", "severity": "3",
                                         "subject": "Torch worn", "serial_number": "HN-2026-0042"})
    case = Case.objects.get(subject="Torch worn")
    assert (case.customer, case.order, case.product) == (customers.n1, order, cutter)
    # a line the user may not see is ignored
    other = _delivered(customers.e1, cutter, "E-1", days_ago=1).lines.get()
    client.post(reverse("case_create"), {"customer": customers.n1.pk, "kind": "repair", "channel": "hotline",
                                         "severity": "3", "subject": "Sneaky", "order_line": other.pk})
    assert Case.objects.get(subject="Sneaky").order is None


@pytest.mark.django_db
def test_repairs_on_the_case_page(org, customers, client_for, cutter):
    order = _delivered(customers.n1, cutter, "SN-R", days_ago=30)
    case = make_case(org.users.sales_n1, customers.n1, kind="repair", order=order, serial_number="SN-R")
    client = client_for(org.users.sales_n1)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="repair-add"' in page and "No repair recorded yet." in page
    # the form loads into the page (htmx) or as a page of its own, starting from the case's warranty
    form_url = reverse("case_repair_add", args=[case.pk])
    assert f'hx-get="{form_url}"' in page and 'name="fault"' not in page
    fragment = client.get(form_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="fault"' in fragment and "<html" not in fragment
    assert 'name="in_warranty"' in fragment and "checked" in fragment.split('name="in_warranty"')[1].split(">")[0]
    assert 'name="fault"' in client.get(form_url).content.decode()
    r = client.post(reverse("case_repair_add", args=[case.pk]), {
        "fault": "Spindle bearing noise", "parts": "Bearing 6204 ×2", "labour_hours": "1.5", "parts_cost": "80",
        "labour_cost": "150", "technician": org.users.north_service.pk, "visited_on": "2026-12-01",
        "result": "parts_replaced", "in_warranty": "on"})
    assert r.status_code == 302
    repair = RepairRecord.objects.get(case=case)
    assert repair.total == Decimal("230.00") and repair.in_warranty and not repair.charged
    assert CaseEvent.objects.filter(case=case, kind="repair").exists()
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Spindle bearing noise" in page and "Free (warranty)" in page
    # edit: out of warranty, charged
    r = client.post(reverse("case_repair_edit", args=[case.pk, repair.pk]), {
        "fault": "Spindle bearing noise", "parts_cost": "80", "labour_cost": "200", "charged": "on",
        "visited_on": "2026-12-01", "revisited_on": "2026-12-03"})
    assert r.status_code == 302
    repair.refresh_from_db()
    assert repair.total == Decimal("280.00") and repair.charged and repair.revisited_on == D(2026, 12, 3)
    # the last visit before the first: the form says so, nothing saved
    r = client.post(reverse("case_repair_edit", args=[case.pk, repair.pk]), {
        "fault": "x", "visited_on": "2026-12-05", "revisited_on": "2026-12-01"})
    assert r.status_code == 200 and "The last visit cannot be before the first." in r.content.decode()
    # in warranty and charged together: refused
    r = client.post(reverse("case_repair_edit", args=[case.pk, repair.pk]), {
        "fault": "x", "in_warranty": "on", "charged": "on"})
    assert r.status_code == 200 and "A repair under warranty is not charged." in r.content.decode()
    # read-only and outsiders
    assert client_for(org.users.analyst).post(reverse("case_repair_add", args=[case.pk]),
                                              {"fault": "x"}).status_code in (403, 404)
    assert client_for(org.users.sales_e1).get(reverse("case_repair_edit", args=[case.pk, repair.pk])).status_code == 404
    client = client_for(org.users.sales_n1)
    r = client.post(reverse("case_repair_delete", args=[case.pk, repair.pk]))
    assert r.status_code == 302 and not RepairRecord.objects.exists()
    assert CaseEvent.objects.filter(case=case, kind="repair", note__startswith="Repair deleted").exists()


@pytest.mark.django_db
def test_repairs_api(org, customers, api_as, cutter):
    order = _delivered(customers.n1, cutter, "SN-API", days_ago=2)
    case = make_case(org.users.sales_n1, customers.n1, kind="repair", order=order, serial_number="SN-API")
    api = api_as(org.users.sales_n1)
    detail = api.get(f"/cases/{case.pk}").json()
    assert detail["warranty"]["remedy"] == "return" and detail["warranty"]["in_warranty"] is True
    r = api.post(f"/cases/{case.pk}/repairs", {"fault": "Will not start", "parts_cost": "10.00",
                                               "labour_cost": "20.00", "technician_id": org.users.north_service.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["total"] == "30.00" and body["in_warranty"] is True and body["charged"] is False
    rid = body["id"]
    assert [x["id"] for x in api.get(f"/cases/{case.pk}/repairs").json()] == [rid]
    r = api.patch(f"/cases/{case.pk}/repairs/{rid}", {"result": "fixed", "labour_cost": "50.00"})
    assert r.status_code == 200 and r.json()["total"] == "60.00" and r.json()["result"] == "fixed"
    assert_error(api.patch(f"/cases/{case.pk}/repairs/{rid}", {"in_warranty": True, "charged": True}), 422,
                 "validation_error")
    r = api.post(f"/cases/{case.pk}/repairs", {"fault": "x", "technician_id": 999999})
    assert r.status_code == 422 and "technician_id" in r.json()["error"]["fields"]
    r = api.post(f"/cases/{case.pk}/repairs", {"fault": ""})
    assert r.status_code == 422 and "fault" in r.json()["error"]["fields"]
    r = api.post(f"/cases/{case.pk}/repairs", {"fault": "x", "parts_cost": "-1"})
    assert r.status_code == 422
    # outside the scope: 404; read-only: 403
    assert_error(api_as(org.users.sales_e1).get(f"/cases/{case.pk}/repairs"), 404, "not_found")
    assert_error(api_as(org.users.sales_e1).patch(f"/cases/{case.pk}/repairs/{rid}", {"fault": "y"}), 404,
                 "not_found")
    assert api_as(org.users.analyst).post(f"/cases/{case.pk}/repairs", {"fault": "x"}).status_code in (403, 404)
    assert_error(api.get(f"/cases/{case.pk}/repairs/{rid + 1000}") if False else api.delete(
        f"/cases/{case.pk}/repairs/{rid + 1000}"), 404, "not_found")
    assert api.delete(f"/cases/{case.pk}/repairs/{rid}").status_code == 204
    assert api.get(f"/cases/{case.pk}/repairs").json() == []


@pytest.mark.django_db
def test_order_api_and_lines_carry_the_serial(org, customers, api_as, cutter):
    api = api_as(org.users.sales_n1)
    r = api.post("/orders", {"customer_id": customers.n1.pk, "order_date": "2026-11-02", "status": "delivered",
                             "lines": [{"product_id": cutter.pk, "serial_number": "SN-777"}]})
    assert r.status_code == 201, r.content
    assert r.json()["lines"][0]["serial_number"] == "SN-777"
    r = api.post("/orders", {"customer_id": customers.n1.pk, "order_date": "2026-11-02",
                             "lines": [{"product_id": cutter.pk, "serial_number": "x" * 101}]})
    assert r.status_code == 422


@pytest.mark.django_db
def test_order_import_reads_the_serial(org, customers, cutter, tmp_path):
    from kehu.cli import main
    from kehu.sales.models import OrderLine
    from tests.imports.conftest import write_csv

    path = write_csv(tmp_path / "o.csv", [["订单号", "客户编号", "下单日期", "金额", "产品编号", "炉号", "订单状态"],
                                          ["SO-H1", customers.n1.ref, "2026-11-01", "5000", "CUT-1", "HN-88", "已发货"]])
    assert main(["import", "orders", str(path), "--as", "admin", "-q"]) == 0

    assert OrderLine.objects.get(order__ref="SO-H1").serial_number == "HN-88"


@pytest.mark.django_db
def test_product_line_terms_page_api_and_command(org, client_for, api_as, cutter, capsys):
    line = cutter.line
    # the page: everyone reads, managers change
    r = client_for(org.users.sales_n1).get(reverse("warranty_terms"))
    assert r.status_code == 200 and "Cutting machines" in r.content.decode()
    assert client_for(org.users.sales_n1).post(reverse("warranty_terms"), {"line": line.pk}).status_code == 403
    client = client_for(org.users.north_manager)
    r = client.post(reverse("warranty_terms"), {"line": line.pk, "warranty_months": "24", "return_days": "",
                                                "exchange_days": "30"})
    assert r.status_code == 302
    line.refresh_from_db()
    assert (line.warranty_months, line.return_days, line.exchange_days) == (24, None, 30)
    r = client.post(reverse("warranty_terms"), {"line": line.pk, "warranty_months": "-3"})
    assert r.status_code == 200 and "greater than or equal to 0" in r.content.decode()
    # the API
    api = api_as(org.users.north_manager)
    assert api.get(f"/product-lines/{line.pk}/warranty").json()["exchange_days"] == 30
    r = api.patch(f"/product-lines/{line.pk}/warranty", {"return_days": 7, "warranty_months": None})
    assert r.status_code == 200 and r.json()["return_days"] == 7 and r.json()["warranty_months"] is None
    assert api.get(f"/product-lines/{line.pk}").json()["return_days"] == 7
    assert api_as(org.users.sales_n1).patch(f"/product-lines/{line.pk}/warranty", {"return_days": 1}).status_code == 403
    r = api.patch(f"/product-lines/{line.pk}/warranty", {"return_days": -1})
    assert r.status_code == 422 and "return_days" in r.json()["error"]["fields"]
    assert_error(api.get("/product-lines/999999/warranty"), 404, "not_found")
    # the command
    from kehu.cli import main

    assert main(["warranty", "set", "MACHINES", "--months", "18", "--return-days", "none", "--as", "admin"]) == 0
    line.refresh_from_db()
    assert (line.warranty_months, line.return_days) == (18, None)
    capsys.readouterr()
    assert main(["warranty", "show", "machines"]) == 0
    out = capsys.readouterr().out
    assert "machines\tCutting machines\t18\t-\t30" in out
    assert main(["warranty", "set", "nope", "--months", "1"]) == 2
    assert main(["warranty", "set", "machines"]) == 2
    assert main(["warranty", "set", "machines", "--months", "1", "--as", "sales_n1"]) == 1


@pytest.mark.django_db
def test_a_product_overrides_its_line_on_the_form_and_the_api(org, customers, client_for, api_as, cutter):
    client = client_for(org.users.north_manager)
    r = client.post(reverse("product_edit", args=[cutter.pk]), {
        "ref": cutter.ref, "name": cutter.name, "line": cutter.line_id, "unit": "", "unit_price": "100",
        "unit_cost": "70", "active": "on", "warranty_months": "24", "return_days": "", "exchange_days": "0"})
    assert r.status_code == 302, r.content.decode()[:2000]
    cutter.refresh_from_db()
    assert (cutter.warranty_months, cutter.return_days, cutter.exchange_days) == (24, None, 0)
    from kehu.service.selectors import product_terms

    assert product_terms(cutter) == WarrantyTerms(warranty_months=24, return_days=7, exchange_days=0)
    api = api_as(org.users.north_manager)
    r = api.patch(f"/products/{cutter.pk}", {"return_days": 3})
    assert r.status_code == 200 and r.json()["return_days"] == 3 and r.json()["warranty_months"] == 24
