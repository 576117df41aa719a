"""An import that fails while it writes leaves nothing behind (both imports,
both databases): the failure is raised at the very end of the write, after
every customer, order, line and audit row went in, so only one transaction
round the whole write can take them out again."""

import pytest

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from kehu.imports import services
from kehu.imports.models import ImportRun
from kehu.sales.models import Order, OrderLine

from .conftest import write_csv


class WriteFailed(Exception):
    pass


@pytest.fixture
def fail_at_the_end(monkeypatch):
    real = services._finish_run

    def finish(run, report, status):
        if status == services.ImportStatus.DONE:
            raise WriteFailed("the disk filled up")
        return real(run, report, status)

    monkeypatch.setattr(services, "_finish_run", finish)


def _counts():
    return (Customer.objects.count(), Order.objects.count(), OrderLine.objects.count(), AuditEvent.objects.count(),
            ImportRun.objects.count())


def test_a_failed_order_import_writes_nothing(org, customers, tmp_path, fail_at_the_end, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 2)  # several flushes before the failure
    rows = [["order_ref", "customer_ref", "customer_name", "order_date", "amount"]]
    rows += [[f"SO-{k}", customers.n1.ref if k % 2 else f"NEW-{k}", "新客户", "2024-03-01", "100"] for k in range(9)]
    before = _counts()
    with pytest.raises(WriteFailed):
        services.import_orders(actor=org.users.admin, source=write_csv(tmp_path / "o.csv", rows))
    assert _counts() == before


def test_a_failed_customer_import_writes_nothing(org, customers, tmp_path, fail_at_the_end):
    rows = [["ref", "name", "type", "phone"], [customers.n1.ref, "北方钢铁贸易有限公司（改名）", "organization", "13800138001"]]
    rows += [[f"NEW-{k}", f"新客户{k}", "organization", f"1390000{k:04d}"] for k in range(5)]
    before = _counts()
    with pytest.raises(WriteFailed):
        services.import_customers(actor=org.users.admin, source=write_csv(tmp_path / "c.csv", rows))
    assert _counts() == before
    assert Customer.objects.get(pk=customers.n1.pk).name == "北方钢铁贸易有限公司"
