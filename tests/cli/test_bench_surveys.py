"""``kehu bench surveys`` runs end to end with tiny sizes (no timing asserted)."""

import json

from kehu.cli import main


def test_bench_surveys_smoke(capsys):
    assert main(["bench", "surveys", "--responses", "200", "--pls-rows", "120", "--bootstrap", "5",
                 "--skip-plspm", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["csi"]["responses"] == 200 and 20 <= data["csi"]["csi"] <= 100
    assert data["pls_bootstrap"]["bootstrap"] == 5 and "plspm" not in data
    assert data["machine_before"]["cores"] >= 1
    assert main(["bench", "surveys", "--responses", "100", "--pls-rows", "100", "--bootstrap", "2",
                 "--skip-plspm"]) == 0
    assert "weighted CSI, 100 responses × 25 items" in capsys.readouterr().out
