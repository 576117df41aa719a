from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kehu.analytics.datasets import load_cdnow_sample


def cdnow_orders_csv(path: Path) -> Path:
    """The raw CDNOW sample as an orders file with the documented import columns
    (docs/import.md): one order per purchase line, customers 'CD0001'..'CD2357'."""
    d = load_cdnow_sample()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_ref", "customer_name", "order_ref", "order_date", "quantity", "amount", "cost"])
        for i, (cid, date, qty, amount) in enumerate(zip(d.customer_id, d.date, d.quantity, d.amount), 1):
            w.writerow([f"CD{cid:04d}", f"CDNOW {cid}", f"CDNOW-{i:05d}", str(date), max(int(qty), 1),
                        f"{amount:.2f}", "0"])
    return path


@pytest.fixture(scope="session")
def cdnow_csv(tmp_path_factory) -> Path:
    return cdnow_orders_csv(tmp_path_factory.mktemp("cdnow") / "cdnow_orders.csv")
