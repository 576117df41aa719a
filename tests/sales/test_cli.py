"""``kehu opportunities list|create|move``."""

import pytest

from kehu.cli import main
from kehu.sales.models import Opportunity

pytestmark = pytest.mark.django_db


def test_create_list_move(org, customers, line, capsys):
    code = customers.n1.ref
    assert main(["opportunities", "create", "--customer", code, "--name", "Coil supply", "--line", "steel=1200",
                 "--close", "2027-03-31", "--as", "sales_n1"]) == 0
    opp = Opportunity.objects.get()
    assert capsys.readouterr().out.strip() == str(opp.pk) and opp.amount == 1200
    assert main(["opportunities", "list", "--as", "sales_n1"]) == 0
    assert "Coil supply" in capsys.readouterr().out
    assert main(["opportunities", "list", "--as", "sales_e1"]) == 0
    assert "Coil supply" not in capsys.readouterr().out
    assert main(["opportunities", "move", str(opp.pk), "potential", "--as", "sales_n1"]) == 0
    assert "25%" in capsys.readouterr().out
    assert main(["opportunities", "move", str(opp.pk), "lost", "--as", "sales_n1"]) == 1
    assert "lost_reason" in capsys.readouterr().err
    assert main(["opportunities", "move", str(opp.pk), "lost", "--reason", "price", "--as", "sales_n1"]) == 0
    assert main(["opportunities", "move", str(opp.pk), "won", "--as", "sales_n1"]) == 1
    assert "reopen" in capsys.readouterr().err
    assert main(["opportunities", "move", str(opp.pk), "won", "--as", "sales_e1"]) == 2
    assert main(["opportunities", "create", "--customer", code, "--name", "X", "--line", "nope=1",
                 "--as", "sales_n1"]) == 2
