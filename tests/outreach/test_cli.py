"""``kehu outreach suppress|unsuppress|messages``."""

from __future__ import annotations

import csv

import pytest

from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.marketing.outreach import services as outreach
from kehu.marketing.outreach.models import Suppression

from .conftest import DAYTIME

pytestmark = pytest.mark.django_db


def test_suppress_and_unsuppress(org, capsys):
    assert main(["outreach", "suppress", "Buyer@Example.com", "--reason", "bounced"]) == 0
    row = Suppression.objects.get()
    assert (row.address, row.reason, row.added_by) == ("buyer@example.com", "bounced", org.users.admin)
    assert main(["outreach", "suppress", "not an address"]) == 1
    assert main(["outreach", "unsuppress", "buyer@example.com"]) == 0
    assert not Suppression.objects.exists()
    assert main(["outreach", "unsuppress", "buyer@example.com"]) == 1
    # a salesperson may not
    assert main(["outreach", "suppress", "x@example.com", "--as", "sales_n1"]) == 1


def test_messages_export_is_audited_and_scoped(org, consenting, templates, tmp_path, capsys):
    for c in (consenting.n1, consenting.e1):
        outreach.send(customer=c, channel="wechat", purpose="marketing", template=templates.wechat, now=DAYTIME)
    path = tmp_path / "wechat.csv"
    assert main(["outreach", "messages", "--channel", "wechat", "--status", "queued", "--export", str(path),
                 "--as", "sales_n1"]) == 0
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert len(rows) == 2 and rows[1][3] == "北方钢铁贸易有限公司"
    event = AuditEvent.objects.get(action="export")
    assert event.entity == "outreach_messages" and event.changes["via"] == "cli" and event.changes["rows"] == 1
    assert main(["outreach", "messages"]) == 0
    assert "wechat" in capsys.readouterr().out


def test_send_test_and_release(org, consenting, templates, mailoutbox, capsys, settings):
    from kehu.marketing.outreach.models import GateSettings

    GateSettings.objects.filter(pk=1).update(quiet_enabled=False)
    assert main(["outreach", "send-test", "offer", consenting.e1.ref]) == 0
    assert len(mailoutbox) == 1 and "\tsent\t" in capsys.readouterr().out
    assert main(["outreach", "send-test", "offer", "NOPE"]) == 2
    assert main(["outreach", "release"]) == 0
