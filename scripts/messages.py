"""Extract and compile Kehu's translation catalogues (``make messages``).

Catalogues (docs/architecture.md, "Internationalisation"):

- ``kehu/locale`` — the core: every package under ``kehu/`` except the apps
  that keep their own catalogue;
- ``kehu/<app>/locale`` — an app that has a ``locale/`` directory keeps its
  own strings there, so people working on different apps never edit the same
  ``.po`` file.

For each catalogue this runs Django's ``makemessages`` for both languages
(for the core, with the apps that have their own catalogue left out), without
obsolete entries and with file names but no line numbers, so that unrelated
edits do not rewrite the catalogue; it drops the ``POT-Creation-Date`` header,
which would otherwise change on every run. Then ``msgfmt --check-format``
compiles each ``.po`` next to it (what ``compilemessages`` does). Needs GNU
gettext.

    python scripts/messages.py                 # the real tree
    python scripts/messages.py --root DIR --no-compile   # a copy (the tests)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

LANGUAGES = ("zh_Hans", "en")
DOMAIN = "django"
MAKEMESSAGES_OPTIONS = {"no_obsolete": True, "add_location": "file", "verbosity": 0}
ROOT = Path(__file__).resolve().parent.parent / "kehu"


def app_catalogue_dirs(root: Path) -> list[Path]:
    """The apps under ``root`` that keep their own catalogue (``<app>/locale``)."""
    # one level down (kehu/kb) and two (the marketing package's apps: kehu/marketing/outreach)
    return sorted(p.parent for pattern in ("*/locale", "*/*/locale") for p in root.glob(pattern) if p.is_dir())


def catalogues(root: Path) -> list[tuple[Path, list[Path]]]:
    """``(directory to extract from, app directories to leave out)`` for every
    catalogue: the core first (leaving out the apps with their own), then each
    such app."""
    apps = app_catalogue_dirs(root)
    return [(root, apps)] + [(app, []) for app in apps]


def _makemessages(leave_out: list[Path]):
    """Django's makemessages, leaving out whole directories by path.

    (``--ignore`` patterns would also match any nested directory of the same
    name, for example ``web/templates/service``.)"""
    from django.core.management.commands import makemessages

    class Command(makemessages.Command):
        def find_files(self, root):
            files = super().find_files(root)
            return [f for f in files
                    if not any(Path(f.dirpath).resolve().is_relative_to(app) for app in leave_out)]

    return Command()


def po_files(root: Path) -> list[Path]:
    return sorted(
        directory / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        for directory, _leave_out in catalogues(root)
        for lang in LANGUAGES
    )


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


_POT_DATE = re.compile(r'^"POT-Creation-Date: [^"]*\\n"\n', re.MULTILINE)
# The template header makemessages writes into a new catalogue (fuzzy, no language).
_TEMPLATE_HEADER = re.compile(r'\A(?:#[^\n]*\n)*#, fuzzy\nmsgid ""\nmsgstr ""\n(?:"[^\n]*\n)*?"Plural-Forms: [^\n]*\n')
_LANGUAGE_TEAMS = {"zh_Hans": "Chinese (Simplified)", "en": "English"}
_PLURAL_FORMS = {"zh_Hans": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}


def kehu_header(language: str, name: str) -> str:
    """The header of a Kehu catalogue (what a new one gets instead of the template's)."""
    return (
        f"# Kehu (客户) — {_LANGUAGE_TEAMS[language]} catalogue of {name}.\n"
        "# This file is distributed under the same license as the kehu package (AGPL-3.0-or-later).\n"
        "# Regenerate with `make messages` (scripts/messages.py).\n"
        "#\n"
        'msgid ""\n'
        'msgstr ""\n'
        '"Project-Id-Version: kehu\\n"\n'
        '"Report-Msgid-Bugs-To: \\n"\n'
        '"Last-Translator: Kehu developers\\n"\n'
        f'"Language-Team: {_LANGUAGE_TEAMS[language]}\\n"\n'
        f'"Language: {language}\\n"\n'
        '"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Content-Transfer-Encoding: 8bit\\n"\n'
        f'"Plural-Forms: {_PLURAL_FORMS[language]}\\n"\n'
    )


def make(root: Path = ROOT, *, compile_mo: bool = True) -> list[Path]:
    """Extract every catalogue under ``root``; returns the ``.po`` files."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django
    from django.core.management import call_command

    django.setup()
    root = root.resolve()
    for directory, leave_out in catalogues(root):
        (directory / "locale").mkdir(exist_ok=True)
        with _cwd(directory):
            call_command(_makemessages(leave_out), locale=list(LANGUAGES), **MAKEMESSAGES_OPTIONS)
    files = po_files(root)
    for po in files:
        text = _POT_DATE.sub("", po.read_text(encoding="utf-8"))
        language = po.parent.parent.name
        name = "kehu" if po.parents[3] == root else f"kehu.{po.parents[3].name}"
        text = _TEMPLATE_HEADER.sub(lambda m: kehu_header(language, name), text, count=1)
        po.write_text(text, encoding="utf-8")
        if compile_mo:
            subprocess.run(["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the kehu package directory (default: this tree's)")
    parser.add_argument("--no-compile", action="store_true", help="extract only, do not write .mo files")
    args = parser.parse_args(argv)
    for po in make(args.root, compile_mo=not args.no_compile):
        print(po)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT.parent))
    sys.exit(main())
