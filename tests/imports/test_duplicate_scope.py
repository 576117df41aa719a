"""The import's duplicate warnings stay within the importer's scope (issue 13, item 1): customers
the importer may not see are never named, each anonymous warning is one notice of an hourly
allowance, and the warning count does not count what was not shown."""

import json

import pytest
from django.core.cache import cache
from django.utils import translation

from kehu.customers.services import find_duplicates
from kehu.customers.duplicates import DuplicateNoticeLimit
from kehu.imports import staging
from kehu.imports.services import import_customers
from tests.factories import CustomerFactory

from .conftest import write_csv


@pytest.fixture(autouse=True)
def _fresh_counts(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def others(org):
    """Six customers of sales_e1 (East), whom sales_n1 (North) may not see."""
    return [CustomerFactory(name=f"华东客户{i}", owner=org.users.sales_e1, phone=f"1390000000{i}", city="上海")
            for i in range(6)]


def _file(tmp_path, others):
    rows = [["ref", "name", "type", "phone"]] + [[f"Q{i}", f"新客户{i}", "企业", c.phone] for i, c in enumerate(others)]
    rows.append(["Q9", "新客户9", "企业", others[0].phone])      # also the same phone as line 2 of the file
    return write_csv(tmp_path / "c.csv", rows)


def test_salesperson_sees_anonymous_warnings_up_to_the_allowance(org, others, tmp_path, settings):
    settings.KEHU_DUPLICATE_NOTICES_PER_HOUR = 4
    report = import_customers(actor=org.users.sales_n1, source=_file(tmp_path, others), dry_run=True)
    text = json.dumps(report.as_dict(), ensure_ascii=False)
    for c in others:
        assert c.ref not in text and c.name not in text
    hidden = [w for w in report.warnings if "a customer you may not see" in w.message]
    assert [w.line for w in hidden] == [2, 3, 4, 5]
    note = [w for w in report.warnings if "not marked" in w.message]
    assert [w.line for w in note] == [6] and "at most" not in note[0].message and "(4)" in note[0].message
    # in-file duplicates are the importer's own: still named by line
    assert any(w.line == 8 and "line 2" in w.message for w in report.warnings)
    # 4 anonymous + the note + the in-file one; lines 7 and 8 (database) neither shown nor counted
    assert report.warning_count == len(report.warnings) == 6
    # the allowance is used up: the next file gets the note at once, and the count stays down
    again = import_customers(actor=org.users.sales_n1, source=_file(tmp_path, others), dry_run=True)
    assert [w.line for w in again.warnings if "not marked" in w.message] == [2]
    assert not [w for w in again.warnings if "a customer you may not see" in w.message]
    assert again.warning_count == 2


def test_the_note_in_chinese(org, others, tmp_path, settings):
    settings.KEHU_DUPLICATE_NOTICES_PER_HOUR = 1
    with translation.override("zh-hans"):
        report = import_customers(actor=org.users.sales_n1, source=_file(tmp_path, others), dry_run=True)
    messages = [w.message for w in report.warnings]
    assert "与一位您无权查看的客户的电话相同（请联系您的上级）" in messages
    assert any("不再标出" in m for m in messages)


def test_head_office_gets_named_warnings_without_limit(org, others, tmp_path, settings):
    settings.KEHU_DUPLICATE_NOTICES_PER_HOUR = 1
    for user in (org.users.admin, org.users.hq_manager):
        report = import_customers(actor=user, source=_file(tmp_path, others), dry_run=True)
        named = [w for w in report.warnings if "existing customer" in w.message]
        assert len(named) == 7 and all(c.ref in " ".join(w.message for w in named) for c in others)
        assert report.warning_count == 8


def test_manager_sees_own_subtree_named_and_others_anonymous(org, others, customers, tmp_path, settings):
    rows = [["ref", "name", "type", "phone"], ["R1", "a", "企业", customers.n1b.phone], ["R2", "b", "企业", others[0].phone]]
    report = import_customers(actor=org.users.north_manager, source=write_csv(tmp_path / "m.csv", rows), dry_run=True)
    by_line = {w.line: w.message for w in report.warnings}
    assert customers.n1b.ref in by_line[2] and "may not see" in by_line[3] and others[0].ref not in by_line[3]


def test_a_visible_match_is_named_before_an_invisible_one(org, others, customers, tmp_path):
    """Two customers with the phone: the one the importer may see is named, whatever the order."""
    mine = CustomerFactory(name="龙", owner=org.users.sales_n1, phone=others[0].phone)
    rows = [["ref", "name", "type", "phone"], ["V1", "a", "企业", others[0].phone]]
    report = import_customers(actor=org.users.sales_n1, source=write_csv(tmp_path / "v.csv", rows), dry_run=True)
    assert [w.message for w in report.warnings] == [f"same phone as existing customer {mine.ref} 龙"]


def test_the_written_import_and_the_second_connection_keep_them_anonymous(org, others, tmp_path, monkeypatch,
                                                                         settings):
    """A real import (on PostgreSQL for a big file the search runs on a second connection: forced
    here) stores the same anonymous warnings in its run."""
    monkeypatch.setattr(staging, "SIDE_MIN_ROWS", 1)
    report = import_customers(actor=org.users.sales_n1, source=_file(tmp_path, others))
    assert report.written and report.created == 7
    stored = json.dumps(report.as_dict(), ensure_ascii=False)
    assert all(c.ref not in stored for c in others)
    assert len([w for w in report.warnings if "may not see" in w.message]) == 7     # Q9 too


def test_single_create_check_names_and_counts(org, others, settings):
    settings.KEHU_DUPLICATE_NOTICES_PER_HOUR = 2
    found = find_duplicates(viewer=org.users.sales_n1, phone=others[0].phone)
    assert [(d["customer"].pk, d["visible"]) for d in found] == [(others[0].pk, False)]
    find_duplicates(viewer=org.users.sales_n1, phone=others[1].phone)
    with pytest.raises(DuplicateNoticeLimit) as exc:
        find_duplicates(viewer=org.users.sales_n1, phone=others[2].phone)
    assert "at most 2 an hour" in str(exc.value)
    # another user has an allowance of their own; head office none at all
    assert find_duplicates(viewer=org.users.sales_n1b, phone=others[2].phone)
    for _ in range(3):
        assert find_duplicates(viewer=org.users.admin, phone=others[2].phone)[0]["visible"]
    # a match the salesperson may see costs nothing
    mine = CustomerFactory(owner=org.users.sales_n1, phone="13711112222")
    assert find_duplicates(viewer=org.users.sales_n1, phone="13711112222")[0]["customer"] == mine


def test_the_command_line_prints_them_anonymously(org, others, tmp_path, capsys):
    from kehu.cli import main

    assert main(["import", "customers", str(_file(tmp_path, others)), "--as", "sales_n1", "--dry-run"]) == 0
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "same phone as a customer you may not see" in printed
    assert all(c.ref not in printed and c.name not in printed for c in others)
    assert main(["import", "customers", str(_file(tmp_path, others)), "--as", "admin", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert others[0].ref in captured.out + captured.err


def test_the_scope_as_sql_selects_what_the_policy_selects(org, others, customers):
    from django.db import connection

    from kehu.customers.models import Customer
    from kehu.customers.services import customer_share
    from kehu.org.policies import CustomerPolicy

    customer_share(actor=org.users.admin, customer=customers.e1, user=org.users.sales_n1)
    table = Customer._meta.db_table
    for user in (None, org.users.sales_n1, org.users.sales_e1, org.users.north_manager, org.users.east_manager):
        policy = CustomerPolicy(user)
        sql, params = policy.visible_where_sql(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE {sql}", params)
            found = sorted(r[0] for r in cursor.fetchall())
        assert found == sorted(policy.visible().values_list("pk", flat=True)), user
    assert CustomerPolicy(org.users.admin).visible_where_sql(connection) is None
