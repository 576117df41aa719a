"""``kehu custom-fields list|add|deactivate``."""

import json

import pytest

from kehu.cli import main
from kehu.customfields.models import CustomFieldDefinition

pytestmark = pytest.mark.django_db


def test_add_list_deactivate(org, capsys):
    assert main(["custom-fields", "add", "customer", "segment", "--label-zh", "行业细分", "--label-en", "Segment",
                 "--kind", "choice", "--choice", "auto|汽车|Automotive", "--choice", "build"]) == 0
    assert "customer.segment" in capsys.readouterr().out
    defn = CustomFieldDefinition.objects.get()
    assert defn.choices == [{"value": "auto", "label_zh": "汽车", "label_en": "Automotive"},
                            {"value": "build", "label_zh": "build", "label_en": "build"}]
    assert main(["custom-fields", "add", "customer", "segment", "--label-zh", "x"]) == 1
    assert "key" in capsys.readouterr().err
    assert main(["custom-fields", "add", "order", "tier", "--label-zh", "x", "--kind", "choice"]) == 1
    assert main(["custom-fields", "add", "order", "site", "--label-zh", "交货地点", "--as", "sales_n1"]) == 1
    assert "Only administrators" in capsys.readouterr().err
    assert main(["custom-fields", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["key"], d["values"]) for d in listed] == [("segment", 0)]
    assert main(["custom-fields", "deactivate", "customer", "segment"]) == 0
    assert "deactivated" in capsys.readouterr().out
    assert main(["custom-fields", "list"]) == 0
    assert "No custom fields." in capsys.readouterr().out
    assert main(["custom-fields", "list", "--all"]) == 0
    assert "inactive" in capsys.readouterr().out
    assert main(["custom-fields", "deactivate", "customer", "nope"]) == 1
