"""``kehu survey ...``: the survey commands. Each part of the workflow adds
its subcommands in its own module with a ``register(subparsers)`` function:
definitions (``load``, ``export``), distribution (``import-responses``, ...),
analysis (``analyze``, ``report``)."""

from __future__ import annotations

import importlib

from django.utils.translation import gettext as _

SUBCOMMAND_MODULES = [
    "kehu.surveys.cli_definitions",
    "kehu.surveys.cli_distribution",
    "kehu.surveys.cli_analysis",
    "kehu.surveys.cli_loop",
    "kehu.surveys.cli_waves",
    "kehu.surveys.staff.cli",
    "kehu.surveys.cli_partners",
]


def register(subparsers) -> None:
    parser = subparsers.add_parser("survey", help=_("satisfaction surveys: load, import answers, analyse, report"))
    sub = parser.add_subparsers(dest="survey_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
