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


def test_stage_edit_deactivate_activate_delete(org, pipeline, customers, line, capsys):
    from kehu.sales.models import Stage
    from tests.sales.conftest import stage

    potential = stage(pipeline, "potential")
    assert main(["opportunities", "pipelines", "edit-stage", str(potential.pk), "--name-en", "Qualified",
                 "--name-zh", "合格", "--probability", "30", "--position", "4"]) == 0
    assert capsys.readouterr().out.strip() == f"{potential.pk}\tpotential\t30%\topen"
    potential.refresh_from_db()
    assert (potential.name_en, potential.name_zh, potential.probability, potential.position) == (
        "Qualified", "合格", 30, 4)
    # The rules are the service's: exactly one won stage, a probability up to 100.
    won = stage(pipeline, "won")
    assert main(["opportunities", "pipelines", "deactivate-stage", str(won.pk)]) == 1
    err = capsys.readouterr().err
    assert "exactly one won stage" in err and "Traceback" not in err
    assert main(["opportunities", "pipelines", "edit-stage", str(potential.pk), "--probability", "120"]) == 1
    assert "probability: " in capsys.readouterr().err
    assert Stage.objects.get(pk=won.pk).active and Stage.objects.get(pk=potential.pk).probability == 30
    # Not an administrator; an unknown stage; nothing to change.
    assert main(["opportunities", "pipelines", "edit-stage", str(potential.pk), "--probability", "5",
                 "--as", "sales_n1"]) == 1
    assert "administrator" in capsys.readouterr().err
    assert main(["opportunities", "pipelines", "edit-stage", "999999", "--probability", "5"]) == 2
    assert "No stage 999999" in capsys.readouterr().err
    assert main(["opportunities", "pipelines", "deactivate-stage", "999999"]) == 2
    assert main(["opportunities", "pipelines", "edit-stage", str(potential.pk)]) == 2
    capsys.readouterr()
    # A stage in use is deactivated, not deleted; activated again.
    assert main(["opportunities", "create", "--customer", customers.n1.ref, "--name", "Coil", "--stage",
                 "potential", "--line", "steel=10", "--as", "sales_n1"]) == 0
    assert main(["opportunities", "pipelines", "delete-stage", str(potential.pk)]) == 1
    assert "deactivate it instead" in capsys.readouterr().err
    assert main(["opportunities", "pipelines", "deactivate-stage", str(potential.pk)]) == 0
    assert capsys.readouterr().out.strip().endswith("inactive")
    assert not Stage.objects.get(pk=potential.pk).active
    assert main(["opportunities", "pipelines", "activate-stage", str(potential.pk)]) == 0
    assert Stage.objects.get(pk=potential.pk).active
    # A stage never used is deleted.
    assert main(["opportunities", "pipelines", "add-stage", str(pipeline.pk), "--name-zh", "方案",
                 "--name-en", "Proposal"]) == 0
    added = Stage.objects.get(pipeline=pipeline, code="proposal")
    capsys.readouterr()
    assert main(["opportunities", "pipelines", "delete-stage", str(added.pk)]) == 0
    assert f"stage {added.pk} deleted" in capsys.readouterr().out
    assert not Stage.objects.filter(pk=added.pk).exists()


def test_lost_reasons(org, pipeline, capsys):
    from kehu.sales.models import LostReason

    assert main(["opportunities", "lost-reasons", "add", "--name-zh", "交期太长", "--name-en", "Delivery time"]) == 0
    reason = LostReason.objects.get(code="delivery-time")
    assert capsys.readouterr().out.startswith(f"{reason.pk}\tdelivery-time\t交期太长\tDelivery time\t")
    assert main(["opportunities", "lost-reasons", "edit", "delivery-time", "--name-en", "Lead time"]) == 0
    assert LostReason.objects.get(pk=reason.pk).name_en == "Lead time"
    assert main(["opportunities", "lost-reasons", "deactivate", "delivery-time"]) == 0
    assert not LostReason.objects.get(pk=reason.pk).active
    capsys.readouterr()
    assert main(["opportunities", "lost-reasons", "list"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith(f"{reason.pk}\tdelivery-time") and out[-1].endswith("inactive")
    assert main(["opportunities", "lost-reasons", "activate", "delivery-time"]) == 0
    assert LostReason.objects.get(pk=reason.pk).active
    # A code in use; not an administrator; an unknown code.
    assert main(["opportunities", "lost-reasons", "add", "--name-zh", "x", "--name-en", "x",
                 "--code", "delivery-time"]) == 1
    assert "code: " in capsys.readouterr().err
    assert main(["opportunities", "lost-reasons", "deactivate", "price", "--as", "sales_n1"]) == 1
    assert "administrator" in capsys.readouterr().err
    assert main(["opportunities", "lost-reasons", "deactivate", "nope"]) == 2
    assert "No reason for losing nope" in capsys.readouterr().err
