"""Summary of the last `mutmut run` (make mutation, docs/testing.md).

Reads `mutmut results --all true` (one line per mutant: "name: status") and
prints killed / survived / other / total and the survival rate (survived /
(killed + survived)) per module
(the files of [tool.mutmut] only_mutate), then the total. With
--survivors, lists the surviving mutants' names (`mutmut show NAME` shows one).
Run from the project root after `mutmut run`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path


def modules(root: Path) -> list[str]:
    conf = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    return [p.removesuffix(".py").replace("/", ".") for p in conf.get("only_mutate", [])]


def parse(lines, known: list[str]) -> dict[str, list[tuple[str, str]]]:
    """{module: [(mutant name, status)]}; a mutant belongs to the longest module its name starts with."""
    by_module = defaultdict(list)
    for line in lines:
        name, sep, status = line.strip().rpartition(": ")
        if not sep or not name:
            continue
        owner = max((m for m in known if name.startswith(m + ".")), key=len, default=name.rpartition(".")[0])
        by_module[owner].append((name, status.strip()))
    return by_module


def table(by_module) -> list[str]:
    out = [f"{'module':<36} {'killed':>7} {'survived':>9} {'other':>6} {'total':>6} {'survival':>9}"]
    grand = Counter()
    for module in sorted(by_module):
        c = Counter(status for _, status in by_module[module])
        grand.update(c)
        out.append(_row(module, c))
    out.append(_row("all", grand))
    return out


def _row(label, c: Counter) -> str:
    total = sum(c.values())
    killed, survived = c["killed"] + c["caught by type check"], c["survived"]
    other = total - killed - survived
    # survival rate over the mutants whose verdict is known (killed or survived)
    rate = f"{100 * survived / (killed + survived):.1f}%" if killed + survived else "-"
    return f"{label:<36} {killed:>7} {survived:>9} {other:>6} {total:>6} {rate:>9}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--survivors", action="store_true", help="list the surviving mutants too")
    ap.add_argument("--mutmut", default=str(Path(sys.executable).with_name("mutmut")))
    args = ap.parse_args(argv)
    root = Path.cwd()
    if not (root / "mutants").is_dir():
        print("No mutants/ here: run `make mutation` (or `mutmut run`) first.", file=sys.stderr)
        return 2
    res = subprocess.run([args.mutmut, "results", "--all", "true"], capture_output=True, text=True)
    if res.returncode:
        print(res.stderr, file=sys.stderr)
        return res.returncode
    by_module = parse(res.stdout.splitlines(), modules(root))
    if not by_module:
        print("mutmut has no results yet.", file=sys.stderr)
        return 2
    print("\n".join(table(by_module)))
    others = Counter(s for ms in by_module.values() for _, s in ms if s not in ("killed", "survived"))
    if others:
        print("other: " + ", ".join(f"{n} {s}" for s, n in sorted(others.items())))
    if args.survivors:
        print()
        for module in sorted(by_module):
            for name, status in by_module[module]:
                if status == "survived":
                    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
