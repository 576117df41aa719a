"""``kehu import leads FILE`` and ``kehu pool recycle [--now] [--dry-run]``."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.cli import main
from kehu.customers.models import Customer
from kehu.sales.models import PoolSettings
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_import_leads(org, tmp_path, capsys):
    f = tmp_path / "leads.csv"
    f.write_text("ref,name,type,phone,city,industry\nL0001,唐山钢构有限公司,organization,13911112222,唐山,建筑钢结构\n"
                 "L0002,邢台线材经销部,organization,13933334444,邢台,线材\n", encoding="utf-8")
    assert main(["import", "leads", str(f), "--quiet", "--as", "sales_n1"]) == 0, capsys.readouterr()
    leads = Customer.objects.filter(name__in=["唐山钢构有限公司", "邢台线材经销部"])
    assert leads.count() == 2
    assert {(c.owner_id, c.team_id, c.lifecycle_stage) for c in leads} == {(None, None, "reserve")}


def test_import_leads_refuses_owner_columns_and_bad_rows_write_nothing(org, tmp_path, capsys):
    f = tmp_path / "owned.csv"
    f.write_text("ref,name,type,owner\nA1,A,organization,sales_n1\n", encoding="utf-8")
    assert main(["import", "leads", str(f), "--quiet"]) == 2
    assert "owner" in capsys.readouterr().err
    existing = CustomerFactory(name="已有客户", owner=org.users.sales_n1)
    g = tmp_path / "bad.csv"
    g.write_text(f"ref,name,type,phone\nL1,好线索,organization,13900000000\n{existing.ref},冲突,organization,"
                 "13900000001\nL3,坏电话,organization,12\n",
                 encoding="utf-8")
    assert main(["import", "leads", str(g), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "line 3" in err and "line 4" in err
    assert not Customer.objects.filter(name="好线索").exists()
    assert Customer.objects.get(pk=existing.pk).name == "已有客户"


def test_pool_recycle_command(org, capsys):
    PoolSettings.objects.create(recycle_days_none=30, reminder_days=7)
    c = CustomerFactory(name="邯郸钢材经销", owner=org.users.sales_n1)
    start = timezone.now()
    Customer.objects.filter(pk=c.pk).update(created_at=start)
    later = (start + dt.timedelta(days=31)).strftime("%Y-%m-%dT%H:%M")
    assert main(["pool", "recycle", "--now", later, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would return" in out and c.ref in out and "dry run" in out
    assert Customer.objects.get(pk=c.pk).owner_id == org.users.sales_n1.pk
    assert main(["pool", "recycle", "--now", later]) == 0
    assert "1 customers went back" in capsys.readouterr().out
    assert Customer.objects.get(pk=c.pk).owner_id is None
    assert main(["pool", "recycle", "--now", "yesterday"]) == 2


def test_the_nightly_task_is_registered():
    from kehu import jobs

    assert "kehu.sales.tasks" in jobs.TASK_MODULES


def test_pool_settings_show_and_set(org, capsys):
    import json

    assert main(["pool", "settings", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["claim_limit"] == 50          # the defaults, nothing saved yet
    assert main(["pool", "settings", "set", "--claim-limit", "20", "--days-gold", "365", "--reminder-days", "10"]) == 0
    out = capsys.readouterr().out
    assert "--claim-limit\t20\t" in out and "--days-gold\t365\t" in out and "--days-silver\t180\t" in out
    row = PoolSettings.objects.get()
    assert (row.claim_limit, row.recycle_days_gold, row.reminder_days, row.updated_by) == (20, 365, 10,
                                                                                           org.users.admin)
    assert main(["pool", "settings", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["recycle_days_gold"] == 365
    assert main(["pool", "settings", "show"]) == 0
    assert "--reminder-days\t10\tremind the owner" in capsys.readouterr().out


def test_pool_settings_set_refused(org, capsys):
    # Validation errors: one per option, nothing saved, exit 1.
    assert main(["pool", "settings", "set", "--days-none", "5000", "--reminder-days", "-1"]) == 1
    err = capsys.readouterr().err
    assert "--days-none: " in err and "3650" in err and "--reminder-days: " in err
    assert "Traceback" not in err
    assert not PoolSettings.objects.exists()
    # Not an administrator: refused, as in the browser and the API.
    assert main(["pool", "settings", "set", "--claim-limit", "5", "--as", "sales_n1"]) == 1
    assert "administrator" in capsys.readouterr().err
    assert main(["pool", "settings", "show", "--as", "north_manager"]) == 1
    assert "administrator" in capsys.readouterr().err
    # Usage errors: nothing to set, an unknown user.
    assert main(["pool", "settings", "set"]) == 2
    assert "--claim-limit" in capsys.readouterr().err
    assert main(["pool", "settings", "set", "--claim-limit", "5", "--as", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
    assert not PoolSettings.objects.exists()
