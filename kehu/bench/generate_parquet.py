"""``kehu generate --parquet DIR``: a benchmark data set of orders as Parquet, without a database.

The orders are drawn as ``kehu generate`` draws them (:mod:`kehu.bench.generate`:
the same BG/NBD buying process, spend factors, catalogue prices and product
weights, lines per order, statuses and payments), in chunks of customers so
that any size fits in memory: each chunk is simulated and written as one
Parquet file ``part-NNNNN.parquet`` with the columns the summary SQL reads
(``customer_id``, ``order_date``, ``status``, ``amount``, ``cost``,
``paid_amount``, ``payment_due_on``; money as ``decimal(16, 2)``) and
``lines``. ``--orders`` counts order lines, as for ``kehu generate``. Customer
ids run from 1 to ``--customers``; a fifth of the customers never buy. There
is no hub customer. ``_kehu_dataset.json`` records what was asked for, so a
benchmark can reuse the folder.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from kehu.bench.generate import (
    BASE_QTY, SPEND_SHAPE, YEARS, catalogue_prices, product_weights, purchase_events,
)

__all__ = ["ParquetReport", "generate_parquet", "DATASET_FILE", "read_dataset_info"]

DATASET_FILE = "_kehu_dataset.json"
CHUNK_CUSTOMERS = 250_000
EPOCH = dt.date(1970, 1, 1)


@dataclass
class ParquetReport:
    folder: str = ""
    customers: int = 0
    orders: int = 0
    order_lines: int = 0
    files: int = 0
    seed: int = 1
    lines_per_order: int = 3
    first_day: str = ""
    last_day: str = ""
    bytes: int = 0
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)


def read_dataset_info(folder) -> dict | None:
    path = Path(folder) / DATASET_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _decimal_cents(cents: np.ndarray, scale: int = 2):
    """A ``decimal128(16, scale)`` Arrow array of whole cents, built from its
    16-byte little-endian two's-complement buffer (no Python objects)."""
    import pyarrow as pa

    cents = np.ascontiguousarray(cents, dtype=np.int64)
    buf = np.empty((len(cents), 2), dtype=np.int64)
    buf[:, 0] = cents
    buf[:, 1] = cents >> 63
    return pa.Array.from_buffers(pa.decimal128(16, scale), len(cents), [None, pa.py_buffer(buf.tobytes())])


def _chunk_orders(rng, *, first_id: int, customers: int, lines: int, lines_per_order: int, n_days: int,
                  prices: np.ndarray, costs: np.ndarray, prod_p: np.ndarray):
    """The orders of customers ``first_id``..``first_id + customers - 1`` with
    exactly ``lines`` lines: arrays (customer_id, day index, lines, amount,
    cost, paid cents, status code)."""
    buyers = max(1, int(customers * 0.8))  # a fifth of the customers never bought
    wanted = max(1, -(-lines // lines_per_order))
    events = purchase_events(rng, buyers=buyers, n_days=n_days, orders=int(wanted * 1.03) + 1)
    cust, day = events.customer, events.day
    n_lines = rng.integers(1, 2 * lines_per_order, size=len(cust))  # mean = lines_per_order
    while n_lines.sum() < lines:   # short of lines (small chunks): repeats of random events
        extra = rng.integers(0, len(cust), size=max(1, len(cust) // 10))
        cust, day = np.concatenate([cust, cust[extra]]), np.concatenate([day, day[extra]])
        n_lines = np.concatenate([n_lines, rng.integers(1, 2 * lines_per_order, size=len(extra))])
    cum = np.cumsum(n_lines)
    k = int(np.searchsorted(cum, lines))        # the order holding the last line
    cust, day, n_lines = cust[:k + 1], day[:k + 1], n_lines[:k + 1].copy()
    n_lines[-1] -= int(cum[k] - lines)
    spend = rng.gamma(SPEND_SHAPE, 1.0 / SPEND_SHAPE, size=customers)
    total = int(n_lines.sum())
    prod = rng.choice(len(prices), size=total, p=prod_p)
    max_qty = 4 * BASE_QTY   # a big spender's quantities, capped
    qty = np.clip(np.rint(rng.integers(1, BASE_QTY + 1, size=total) * np.repeat(spend[cust], n_lines)), 1, max_qty)
    qty = qty.astype(np.int64)
    owner = np.repeat(np.arange(len(cust)), n_lines)
    amount = np.bincount(owner, weights=prices[prod] * qty, minlength=len(cust)).astype(np.int64)
    cost = np.bincount(owner, weights=costs[prod] * qty, minlength=len(cust)).astype(np.int64)
    # statuses and payments as kehu generate makes them: older orders delivered
    # (2% cancelled, 3% half paid), the last 90 days open or confirmed
    s = rng.random(len(cust))
    recent = day >= n_days - 90
    status = np.where(recent, np.where(s < 0.3, 0, 1), np.where(s < 0.02, 2, 3)).astype(np.int8)
    paid = np.where(recent, np.where((s >= 0.3) & (s < 0.6), amount, 0),
                    np.where(s < 0.02, 0, np.where(s < 0.97, amount, amount // 2)))
    return cust + first_id, day, n_lines, amount, cost, paid, status


STATUSES = ["open", "confirmed", "cancelled", "delivered"]


def generate_parquet(folder, *, customers: int, order_lines: int, seed: int = 1, lines_per_order: int = 3,
                     end: dt.date | None = None, progress: bool = False,
                     chunk_customers: int = CHUNK_CUSTOMERS) -> ParquetReport:
    """Write ``customers`` customers' ``order_lines`` order lines as Parquet files in ``folder``
    (its earlier ``part-*.parquet`` are replaced). Orders fall in the ``YEARS`` years up to ``end``
    (default today)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if customers < 1 or order_lines < 1:
        raise ValueError("need at least one customer and one order line")
    t0 = time.monotonic()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.parquet"):
        old.unlink()
    lines_per_order = max(1, lines_per_order)
    end = end or dt.date.today()
    start = end - dt.timedelta(days=365 * YEARS)
    n_days = (end - start).days        # days start+1 .. end, as kehu generate
    first_day_number = (start - EPOCH).days + 1
    rng = np.random.default_rng(seed)
    prices_costs = np.array(catalogue_prices(), dtype=np.int64)
    prices, costs = prices_costs[:, 0].astype(float), prices_costs[:, 1].astype(float)
    prod_p = product_weights(rng, len(prices))
    rep = ParquetReport(folder=str(out), customers=customers, seed=seed, lines_per_order=lines_per_order,
                        first_day=(start + dt.timedelta(days=1)).isoformat(), last_day=end.isoformat())
    status_dict = pa.array(STATUSES)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=order_lines, unit=" lines", unit_scale=True, file=sys.stderr, dynamic_ncols=True,
                   desc="generating")
    n_chunks = -(-customers // chunk_customers)
    lines_done = 0
    for k in range(n_chunks):
        c0 = k * chunk_customers
        c1 = min(customers, c0 + chunk_customers)
        # the chunk's share of the lines, so that the total is exact
        lines_to = order_lines * c1 // customers
        lines = lines_to - lines_done
        if lines <= 0:
            continue
        lines_done = lines_to
        cust, day, n_lines, amount, cost, paid, status = _chunk_orders(
            rng, first_id=c0 + 1, customers=c1 - c0, lines=lines, lines_per_order=lines_per_order,
            n_days=n_days, prices=prices, costs=costs, prod_p=prod_p)
        order = np.lexsort((day, cust))    # by customer and day: the summary's grouping reads less
        days = (first_day_number + day[order]).astype(np.int32)
        table = pa.table({
            "customer_id": pa.array(cust[order].astype(np.int64)),
            "order_date": pa.array(days, type=pa.date32()),
            "status": pa.DictionaryArray.from_arrays(pa.array(status[order]), status_dict),
            "amount": _decimal_cents(amount[order]),
            "cost": _decimal_cents(cost[order]),
            "paid_amount": _decimal_cents(paid[order]),
            "payment_due_on": pa.array(days + 30, type=pa.date32()),
            "lines": pa.array(n_lines[order].astype(np.int16)),
        })
        path = out / f"part-{k:05d}.parquet"
        pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)
        rep.orders += table.num_rows
        rep.order_lines += lines
        rep.files += 1
        rep.bytes += path.stat().st_size
        if bar:
            bar.update(lines)
    if bar:
        bar.close()
    rep.seconds = time.monotonic() - t0
    rep.timings["total"] = rep.seconds
    (out / DATASET_FILE).write_text(json.dumps(asdict(rep), indent=2), encoding="utf-8")
    return rep


def print_parquet_report(rep: ParquetReport, out=None) -> None:
    out = out or sys.stdout
    print(f"wrote {rep.customers:,} customers' {rep.orders:,} orders ({rep.order_lines:,} order lines) "
          f"from {rep.first_day} to {rep.last_day} as {rep.files} Parquet files, {rep.bytes / 2**20:,.1f} MiB, "
          f"in {rep.seconds:.1f} s: {rep.folder}", file=out)
