"""The ``kehu`` command.

``kehu SUBCOMMAND ...`` runs one of Kehu's own commands (``demo``, ``serve``,
``import``, ``generate``, ``token``, ``bench`` ...); any other name is passed to
Django's management commands, so ``kehu migrate``, ``kehu createsuperuser`` and
``kehu shell`` work as ``manage.py`` would.

Each Kehu app may add subcommands in a ``cli.py`` module with a
``register(subparsers)`` function; every parser sets ``func`` to a callable
taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

CLI_MODULES = [
    "kehu.org.cli",
    "kehu.imports.cli",
    "kehu.demo.cli",
    "kehu.bench.cli",
]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kehu",
        description="Kehu (客户) CRM. Any Django management command also works: kehu migrate, kehu shell, ...",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in CLI_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # The app (kehu.bench) or just its cli module may not exist yet.
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    setup_django()
    parser = build_parser()
    own = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()
    if argv and not argv[0].startswith("-") and argv[0] not in own:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["kehu", *argv])
        return 0
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
