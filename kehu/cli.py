"""The ``kehu`` command.

``kehu SUBCOMMAND ...`` runs one of Kehu's own commands (``demo``, ``serve``,
``import``, ``generate``, ``token``, ``bench`` ...); any other name is passed to
Django's management commands, so ``kehu migrate``, ``kehu createsuperuser`` and
``kehu shell`` work as ``manage.py`` would.

Each Kehu app may add subcommands in a ``cli.py`` module with a
``register(subparsers)`` function; every parser sets ``func`` to a callable
taking the parsed arguments and returning an exit code.

Messages are printed in the language of the environment, the way GNU tools
choose theirs: ``KEHU_LANGUAGE`` if set, else the first of ``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set (``zh_CN.UTF-8`` →
Simplified Chinese); the ``C``/``POSIX`` locale, no locale at all or a language
Kehu does not have gives English. The web's default (zh-hans) does not apply:
scripts that parse the output must not change language under them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

CLI_MODULES = [
    "kehu.org.cli",
    "kehu.accounts.cli",
    "kehu.imports.cli",
    "kehu.demo.cli",
    "kehu.bench.cli",
    "kehu.surveys.cli",
    "kehu.insights.cli",
    "kehu.privacy.cli",
    "kehu.backup.cli",
    "kehu.service.cli",
    "kehu.sales.cli",
    "kehu.customfields.cli",
    "kehu.kb.cli",
    "kehu.marketing.coupons.cli",
    "kehu.engagement.cli",
    "kehu.sales.cli_performance",
    "kehu.sales.key_account_cli",
    "kehu.sales.quote_cli",
    "kehu.sales.summary_cli",
    "kehu.marketing.winback.cli",
    "kehu.marketing.membership.cli",
    "kehu.marketing.outreach.cli",
    "kehu.marketing.care.cli",
    "kehu.marketing.targeting.cli",
    "kehu.marketing.referrals.cli",
    "kehu.marketing.campaigns.cli",
    "kehu.partners.cli",
]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()


LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def cli_language(environ=None) -> str:
    """The language code for the command's messages (see the module docstring)."""
    from django.utils import translation

    environ = os.environ if environ is None else environ
    wanted = environ.get("KEHU_LANGUAGE", "").strip()
    if not wanted:
        for name in LOCALE_VARIABLES:
            value = environ.get(name, "").strip()
            if value:
                # LANGUAGE may list several ("zh_CN:en"); the first one decides.
                wanted = value.split(":")[0]
                break
    # "zh_CN.UTF-8@euro" → "zh_CN"
    wanted = wanted.split(".")[0].split("@")[0]
    if not wanted or wanted in ("C", "POSIX"):
        return "en"
    try:
        return translation.get_supported_language_variant(translation.to_language(wanted))
    except LookupError:
        return "en"


def build_parser() -> argparse.ArgumentParser:
    from django.utils.translation import gettext as _

    parser = argparse.ArgumentParser(
        prog="kehu",
        description=_("Kehu (客户) CRM. Any Django management command also works: kehu migrate, kehu shell, ..."),
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
    from django.utils import translation

    argv = list(sys.argv[1:] if argv is None else argv)
    setup_django()
    with translation.override(cli_language()):
        return _run(argv)


def _run(argv: list[str]) -> int:
    from django.utils.translation import gettext as _

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
        print(_("interrupted"), file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
