"""Reference data sets for the analytics tests: the CDNOW sample.

The CDNOW sample (2,357 customers who made their first purchase at CDNOW in the
first quarter of 1997, their purchases to the end of June 1998) is the data set
of Fader, Hardie & Lee (2005) "Counting your customers the easy way". It ships
inside the ``lifetimes`` wheel on PyPI as ``lifetimes/datasets/CDNOW_sample.txt``;
``scripts/fetch-cdnow.sh`` extracts it into ``var/datasets/`` at set-up time.

File format (whitespace separated, no header)::

    00004 0001 19970101  2   29.33
    master-file id, sample customer id (1..2357), date YYYYMMDD, CDs, dollars
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CdnowTransactions", "load_cdnow_sample", "CDNOW_ENV", "CDNOW_DEFAULT_PATH"]

CDNOW_ENV = "KEHU_CDNOW_PATH"
CDNOW_DEFAULT_PATH = Path("var/datasets/CDNOW_sample.txt")


@dataclass(frozen=True)
class CdnowTransactions:
    """One row per purchase line of the CDNOW sample."""

    master_id: np.ndarray  # id in the full CDNOW master file
    customer_id: np.ndarray  # 1..2357
    date: np.ndarray  # datetime64[D]
    quantity: np.ndarray  # number of CDs
    amount: np.ndarray  # dollar value

    def __len__(self) -> int:
        return len(self.customer_id)


def _resolve(path) -> Path:
    if path is not None:
        return Path(path)
    env = os.environ.get(CDNOW_ENV)
    if env:
        return Path(env)
    return CDNOW_DEFAULT_PATH


def load_cdnow_sample(path=None) -> CdnowTransactions:
    """Load CDNOW_sample.txt from ``path``, ``$KEHU_CDNOW_PATH`` or ./var/datasets/."""
    p = _resolve(path)
    if not p.is_file():
        raise FileNotFoundError(
            f"CDNOW sample not found at {p}: run scripts/fetch-cdnow.sh (make test does), "
            f"or set {CDNOW_ENV} to the file's path"
        )
    raw = np.loadtxt(p, dtype=str, ndmin=2)
    if raw.shape[1] != 5:
        raise ValueError(f"{p}: expected 5 columns, found {raw.shape[1]}")
    d = raw[:, 2]
    dates = np.array([f"{s[:4]}-{s[4:6]}-{s[6:8]}" for s in d], dtype="datetime64[D]")
    return CdnowTransactions(
        master_id=raw[:, 0].astype(np.int64),
        customer_id=raw[:, 1].astype(np.int64),
        date=dates,
        quantity=raw[:, 3].astype(np.int64),
        amount=raw[:, 4].astype(np.float64),
    )
