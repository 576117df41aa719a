"""The demo company's employee survey (kehu/demo/staff.py): staff without a
login in every team, one closed wave answered by most employees, every sales
team above the anonymity threshold but Hebei, and staff beside customers with
a correlation across the teams; it goes with the demo company."""

import pytest

from kehu.demo import generator
from kehu.org.models import Employee, User
from kehu.surveys.models import Survey
from kehu.surveys.staff import results

pytestmark = pytest.mark.django_db


def test_demo_staff_survey():
    generator.demo_create(seed=5, customers=80)
    survey = Survey.objects.get(code="huaxin-staff")
    wave = survey.waves.get()
    assert wave.status == "closed" and Employee.objects.filter(team__isnull=False).count() == 34
    admin = User.objects.get(username="admin")
    r = results.team_role_results(viewer=admin, wave=wave)
    rows = {g["label"]: g for g in r["teams"]}
    assert rows["河北销售组 Hebei sales"]["suppressed"]
    shown = [label for label, g in rows.items() if not g["suppressed"]]
    assert len(shown) >= 6 and r["total"]["n"] >= 40
    s = results.staff_and_customers(viewer=admin, wave=wave)
    assert s["left_out"] == 1 and s["units"] == 4
    c = s["correlations"]["customer_index"]
    assert c["n"] == 4 and c["r"] is not None and c["ci_low"] < c["r"] < c["ci_high"]
    # the regional manager sees their own region's teams only
    north = results.team_role_results(viewer=User.objects.get(username="north_mgr"), wave=wave)
    assert {g["label"] for g in north["teams"]} == {"华北区 North region", "北京销售组 Beijing sales",
                                                    "天津销售组 Tianjin sales", "河北销售组 Hebei sales"}
    generator.demo_delete()
    assert not Survey.objects.filter(code="huaxin-staff").exists() and not Employee.objects.exists()
