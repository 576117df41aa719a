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


# --- the write step itself (kehu/imports/atomic.py), mutated by mutmut since it is a class ---------------------

def test_a_failure_in_the_middle_of_the_write_leaves_nothing_and_goes_on_to_the_caller(org, customers, tmp_path,
                                                                                       monkeypatch):
    """Raised by the caller's own writes (not by ``finish``): the second batch of orders fails."""
    monkeypatch.setattr(services, "BATCH", 2)
    real, calls = services._insert, []

    def insert(model, rows):
        calls.append(model)
        if model is Order and calls.count(Order) == 2:
            raise WriteFailed("the connection dropped")
        return real(model, rows)

    monkeypatch.setattr(services, "_insert", insert)
    rows = [["order_ref", "customer_ref", "customer_name", "order_date", "amount"]]
    rows += [[f"SO-{k}", customers.n1.ref, "", "2024-03-01", "100"] for k in range(6)]
    before = _counts()
    with pytest.raises(WriteFailed, match="the connection dropped"):
        services.import_orders(actor=org.users.admin, source=write_csv(tmp_path / "o.csv", rows))
    assert calls.count(Order) == 2          # the first batch was written, then taken out again
    assert _counts() == before


def test_a_successful_import_saves_its_run_first_and_marks_it_done_last(org, customers, tmp_path):
    rows = [["ref", "name", "type", "phone"]]
    rows += [[f"NEW-{k}", f"新客户{k}", "organization", f"1390000{k:04d}"] for k in range(3)]
    report = services.import_customers(actor=org.users.admin, source=write_csv(tmp_path / "c.csv", rows))
    run = ImportRun.objects.get()
    assert report.run_id == run.pk
    assert run.status == services.ImportStatus.DONE
    assert (run.rows_read, run.created, run.updated, run.skipped) == (3, 3, 0, 0)
    assert run.report["created"] == 3
    # saved before the writes: every customer written carries the run's id
    assert set(Customer.objects.filter(ref__startswith="NEW-").values_list("import_run_id", flat=True)) == {run.pk}


def test_a_failed_confirmation_leaves_the_waiting_run_as_it_was(org, customers, tmp_path, fail_at_the_end):
    """A preview confirmed later: the run row exists before the write; a failed write leaves it waiting."""
    run = ImportRun.objects.create(user=org.users.admin, kind="customers", filename="c.csv",
                                   status=services.ImportStatus.PREVIEW, rows_read=1)
    rows = [["ref", "name", "type", "phone"], ["NEW-1", "新客户", "organization", "13900000001"]]
    before = _counts()
    with pytest.raises(WriteFailed):
        services.import_customers(actor=org.users.admin, source=write_csv(tmp_path / "c.csv", rows), run=run)
    assert _counts() == before
    run.refresh_from_db()
    assert (run.status, run.rows_read, run.created, run.skip_bad) == (services.ImportStatus.PREVIEW, 1, 0, False)


def test_a_failure_to_save_the_run_writes_nothing(org, customers, tmp_path, monkeypatch):
    """The run's row goes in, then its save fails (say, in a receiver of post_save): the row is taken out again."""
    real = ImportRun.save

    def save(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise WriteFailed("no room for the run")

    monkeypatch.setattr(ImportRun, "save", save)
    rows = [["ref", "name", "type", "phone"], ["NEW-1", "新客户", "organization", "13900000001"]]
    before = _counts()
    with pytest.raises(WriteFailed, match="no room for the run"):
        services.import_customers(actor=org.users.admin, source=write_csv(tmp_path / "c.csv", rows))
    assert _counts() == before


def test_the_write_step_commits_in_order_and_rolls_back_on_any_exception(transactional_db, org):
    """The class on its own, outside the test's own transaction: what it commits is really committed."""
    from kehu.imports.atomic import write_all_or_nothing

    order = []
    run = ImportRun(user=org.users.admin, kind="customers", filename="ok.csv")
    step = write_all_or_nothing(run, lambda: order.append(("finish", ImportRun.objects.filter(pk=run.pk).exists())))
    with step as value:
        assert value is None
        order.append(("body", run.pk is not None))
    assert order == [("body", True), ("finish", True)]
    assert ImportRun.objects.filter(pk=run.pk).exists()

    run2 = ImportRun(user=org.users.admin, kind="customers", filename="body.csv")
    with pytest.raises(KeyboardInterrupt):
        with write_all_or_nothing(run2, lambda: order.append("finished anyway")):
            raise KeyboardInterrupt
    assert not ImportRun.objects.filter(filename="body.csv").exists()

    def finish():
        raise WriteFailed("the report did not fit")

    with pytest.raises(WriteFailed, match="the report did not fit"):
        with write_all_or_nothing(ImportRun(user=org.users.admin, kind="customers", filename="finish.csv"), finish):
            pass
    assert not ImportRun.objects.filter(filename="finish.csv").exists()
    assert order == [("body", True), ("finish", True)]
