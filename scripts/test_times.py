"""Where the test suite's time goes: minutes per test module (and per folder) from
the JUnit reports that ``make test`` leaves in var/test-reports/.

    python scripts/test_times.py [--top N] [REPORT.xml ...]

Each report's column is one database's run; the rows are sorted by the largest.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def module_seconds(report: Path) -> dict[str, float]:
    """Seconds per test module (``tests/api/test_permissions.py``) in one JUnit report."""
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).iter("testcase"):
        classname = case.get("classname", "")
        parts = classname.split(".")
        # "tests.api.test_permissions" or "tests.api.test_permissions.TestClass"
        while parts and not parts[-1].startswith("test_"):
            parts.pop()
        module = "/".join(parts) + ".py" if parts else classname
        seconds[module] += float(case.get("time", 0) or 0)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="*", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    reports = args.reports or sorted(Path("var/test-reports").glob("*.xml"))
    if not reports:
        print("no JUnit reports: run make test first (var/test-reports/*.xml)", file=sys.stderr)
        return 1
    columns = [module_seconds(r) for r in reports]
    folders = [defaultdict(float) for _ in columns]
    for column, folder in zip(columns, folders):
        for module, s in column.items():
            folder[module.rsplit("/", 1)[0]] += s
    header = "".join(f"{r.stem:>12}" for r in reports)
    for title, rows in (("folder", folders), ("module", columns)):
        names = sorted(set().union(*rows), key=lambda n: -max(c.get(n, 0) for c in rows))
        print(f"{'minutes per ' + title:<60}{header}")
        for name in names[: args.top]:
            print(f"{name:<60}" + "".join(f"{c.get(name, 0) / 60:12.1f}" for c in rows))
        print(f"{'total':<60}" + "".join(f"{sum(c.values()) / 60:12.1f}" for c in rows))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
