"""The translation catalogues: complete, current, compiled, and the formats per language.

The catalogues are ``kehu/locale`` and ``kehu/<app>/locale`` for each app that
keeps its own (scripts/messages.py, docs/architecture.md). ``make messages``
regenerates them all.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from tests.catalogues import (
    POSITIONAL_PLACEHOLDER, header, mo_catalog, parse_po, placeholders, po_catalog,
)

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "kehu"
SCRIPT = REPO / "scripts" / "messages.py"
RUN_MAKE_MESSAGES = "run `make messages` and translate the new entries in the zh_Hans catalogue"
CJK = re.compile(r"[\u3400-\u9fff]")


def _messages_module():
    spec = importlib.util.spec_from_file_location("kehu_messages_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


messages = _messages_module()
PO_FILES = messages.po_files(PACKAGE)
ZH_FILES = [p for p in PO_FILES if p.parts[-3] == "zh_Hans"]


def _id(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


def _key(entry) -> tuple:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def test_every_catalogue_exists_in_both_languages():
    assert PO_FILES, "no catalogues found"
    for po in PO_FILES:
        assert po.exists(), f"{_id(po)} is missing: {RUN_MAKE_MESSAGES}"
        assert po.with_suffix(".mo").exists(), f"{_id(po.with_suffix('.mo'))} is missing: run `make messages`"


@pytest.mark.parametrize("po", ZH_FILES, ids=_id)
def test_chinese_catalogue_is_complete(po):
    """Every entry has its Chinese translation, one form for plurals (Chinese
    has one), and it is Chinese (not the English copied over)."""
    entries = parse_po(po)
    head = header(entries)
    assert head.get("Language") == "zh_Hans"
    assert head.get("Plural-Forms") == "nplurals=1; plural=0;"
    problems = []
    for e in entries:
        if e.is_header:
            continue
        if not e.translations or not all(e.translations):
            problems.append(f"{e.label()} has no translation")
        elif e.msgid_plural is not None and len(e.translations) != 1:
            problems.append(f"{e.label()} needs exactly one plural form in Chinese, has {len(e.translations)}")
        elif not all(CJK.search(text) for text in e.translations):
            problems.append(f"{e.label()} is not translated into Chinese: {e.translations!r}")
    assert not problems, RUN_MAKE_MESSAGES + ":\n" + "\n".join(problems)


def _expected_placeholders(entry, text: str) -> tuple[list[str], list[str]]:
    """(placeholders of the translation, those of the msgid). A plural form may
    leave out the count but no other placeholder, so plurals compare as sets."""
    if entry.msgid_plural is None:
        return placeholders(text), placeholders(entry.msgid)
    return sorted(set(placeholders(text))), sorted(set(placeholders(entry.msgid_plural)))


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_catalogue_is_well_formed(po):
    """No fuzzy entries; translations keep the msgid's named placeholders;
    every msgid uses named placeholders (a translator must be able to move
    them); no entry twice."""
    entries = parse_po(po)
    problems = []
    for e in entries:
        if e.fuzzy:
            problems.append(f"{e.label()} is fuzzy")
        if e.is_header:
            continue
        for text in (e.msgid, e.msgid_plural or ""):
            if POSITIONAL_PLACEHOLDER.search(text.replace("%%", "")):
                problems.append(f"{e.label()} uses a positional placeholder; use %(name)s")
        if e.msgid_plural is not None and set(placeholders(e.msgid)) - set(placeholders(e.msgid_plural)):
            problems.append(f"{e.label()}: the plural lacks a placeholder of the singular")
        for text in filter(None, e.translations):
            got, expected = _expected_placeholders(e, text)
            if got != expected:
                problems.append(f"{e.label()}: placeholders {got} in the translation, {expected} in the msgid")
    assert not problems, "\n".join(problems)
    keys = [_key(e) for e in entries]
    assert len(keys) == len(set(keys)), "duplicate entries"


def test_both_languages_have_the_same_msgids():
    for zh in ZH_FILES:
        en = zh.parents[2] / "en" / "LC_MESSAGES" / zh.name
        assert {_key(e) for e in parse_po(zh)} == {_key(e) for e in parse_po(en)}, RUN_MAKE_MESSAGES


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_compiled_catalogue_matches_the_po_file(po, tmp_path):
    """The committed .mo holds exactly what the .po says (the package must run
    where gettext is not installed, so the .mo files are committed)."""
    committed = mo_catalog(po.with_suffix(".mo"))
    assert committed == po_catalog(parse_po(po)), f"{_id(po.with_suffix('.mo'))} is stale: run `make messages`"
    if shutil.which("msgfmt"):
        fresh = tmp_path / "fresh.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], check=True)
        assert mo_catalog(fresh) == committed, f"{_id(po.with_suffix('.mo'))} is stale: run `make messages`"


def _copy_sources(dest: Path) -> Path:
    """The kehu package without caches and compiled catalogues."""
    root = dest / "kehu"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    return root


def _extract(root: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kehu.settings", "KEHU_SECRET_KEY": "i18n-test",
           "DATABASE_URL": "sqlite:///:memory:", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), "--no-compile"],
                            cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


needs_xgettext = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="GNU gettext (xgettext, msgmerge) is not installed; install it (apt-get install gettext) to check "
    "that the catalogues are current",
)


@needs_xgettext
def test_catalogues_are_current(tmp_path):
    """Extracting the sources again changes no catalogue: every translatable
    string of the code is in the committed catalogues, and nothing stale is."""
    root = _copy_sources(tmp_path)
    _extract(root)
    problems = []
    for po in PO_FILES:
        fresh = root / po.relative_to(PACKAGE)
        committed_keys = {_key(e) for e in parse_po(po)}
        fresh_keys = {_key(e) for e in parse_po(fresh)}
        for key in sorted(fresh_keys - committed_keys, key=str):
            problems.append(f"{_id(po)} lacks {key[1]!r}" + (f" (context {key[0]!r})" if key[0] else ""))
        for key in sorted(committed_keys - fresh_keys, key=str):
            problems.append(f"{_id(po)} still has {key[1]!r}, which the code no longer uses")
    assert not problems, RUN_MAKE_MESSAGES + ":\n" + "\n".join(problems)


@needs_xgettext
def test_apps_with_their_own_locale_keep_their_own_catalogue(tmp_path):
    """``make messages`` gives an app with a ``locale/`` directory its own
    catalogue, and leaves its strings out of the core one; a directory elsewhere
    that merely has the app's name stays in the core."""
    root = _copy_sources(tmp_path)
    app = root / "zz_app"
    (app / "locale").mkdir(parents=True)
    (app / "templates" / "zz_app").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "templates" / "zz_app" / "page.html").write_text(
        '{% load i18n %}{% translate "Only in the app" %}{% translate "Customers" %}')
    nested = root / "web" / "templates" / "zz_app"
    nested.mkdir(parents=True)
    (nested / "other.html").write_text('{% load i18n %}{% translate "Core page in a folder named like the app" %}')

    _extract(root)

    files = {p.relative_to(root) for p in messages.po_files(root)}
    assert {Path("locale/en/LC_MESSAGES/django.po"), Path("locale/zh_Hans/LC_MESSAGES/django.po"),
            Path("zz_app/locale/en/LC_MESSAGES/django.po"), Path("zz_app/locale/zh_Hans/LC_MESSAGES/django.po")} <= files
    # a new catalogue gets Kehu's header, not makemessages' fuzzy template
    header = parse_po(app / "locale/zh_Hans/LC_MESSAGES/django.po")[0]
    assert header.is_header and not header.fuzzy and "Language: zh_Hans" in header.msgstr[0]
    core = {e.msgid for e in parse_po(root / "locale/zh_Hans/LC_MESSAGES/django.po")}
    own = {e.msgid for e in parse_po(app / "locale/zh_Hans/LC_MESSAGES/django.po")}
    assert own == {"", "Only in the app", "Customers"}
    assert "Only in the app" not in core
    assert "Core page in a folder named like the app" in core
    # The core catalogue is otherwise unchanged.
    committed = {e.msgid for e in parse_po(PACKAGE / "locale/zh_Hans/LC_MESSAGES/django.po")}
    assert core - committed == {"Core page in a folder named like the app"}


def test_pyproject_ships_the_catalogues():
    text = (REPO / "pyproject.toml").read_text()
    assert '"locale/**/*"' in text


# -- what the catalogues do at run time ---------------------------------------------


def test_choice_labels_are_plain_chinese_in_chinese():
    from kehu.customers.models import DecisionRole, LifecycleStage, Region, RelationshipLevel

    with translation.override("zh-hans"):
        assert Region.NORTHEAST.label == "东北" and Region.EAST.label == "华东"
        assert [str(label) for label in LifecycleStage.labels[:5]] == [
            "储备客户", "目标客户", "潜在客户", "商机客户", "成交客户"]
        assert [str(label) for label in RelationshipLevel.labels] == ["基本型", "反应型", "可靠型", "主动型", "伙伴型"]
        assert [str(label) for label in DecisionRole.labels] == ["决策人", "影响者", "使用者", "把关者"]
    with translation.override("en"):
        assert Region.NORTHEAST.label == "Northeast (东北)"
        assert DecisionRole.USER.label == "User"


def test_verbose_names_are_translated():
    from kehu.customers.models import Contact, Customer
    from kehu.sales.models import Payment, Product

    with translation.override("zh-hans"):
        assert str(Customer._meta.verbose_name) == "客户"
        assert str(Customer._meta.get_field("owner").verbose_name) == "负责人"
        assert str(Customer._meta.get_field("name").verbose_name) == "名称"
        assert str(Contact._meta.get_field("name").verbose_name) == "姓名"
        assert str(Payment._meta.verbose_name) == "回款"
        assert str(Product._meta.get_field("active").verbose_name) == "在售"


def test_plural_messages():
    from django.utils.translation import ngettext

    singular, plural = "%(count)s customer moved from %(from)s to %(to)s.", "%(count)s customers moved from %(from)s to %(to)s."
    values = {"from": "A", "to": "B"}
    with translation.override("en"):
        assert ngettext(singular, plural, 1) % {"count": 1, **values} == "1 customer moved from A to B."
        assert ngettext(singular, plural, 2) % {"count": 2, **values} == "2 customers moved from A to B."
    with translation.override("zh-hans"):
        for n in (1, 2, 21):
            assert ngettext(singular, plural, n) % {"count": n, **values} == f"已将 {n} 个客户从 A 转给 B。"


def test_cli_speaks_chinese_in_a_chinese_locale(org, monkeypatch, capsys, tmp_path):
    from kehu.cli import main

    monkeypatch.delenv("KEHU_LANGUAGE", raising=False)
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    before = translation.get_language()
    assert main(["createuser", "lili", "--role", "salesperson", "--password", "kehu-pass-123"]) == 0
    assert capsys.readouterr().out.strip() == "已创建用户 lili（salesperson）"
    assert main(["export", "customers", str(tmp_path / "x.pdf")]) == 2
    assert capsys.readouterr().err.strip() == "错误：文件名必须以 .csv 或 .xlsx 结尾"
    # The language is only lent to the command: the caller's stays as it was.
    assert translation.get_language() == before
