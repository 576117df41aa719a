"""The ``kehu`` command speaks the language of the shell's locale."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("environ, expected", [
    ({}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "POSIX"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
    ({"LC_ALL": "zh_SG.GB18030", "LANG": "en_US.UTF-8"}, "zh-hans"),
    ({"LANGUAGE": "en_GB:zh_CN", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({"KEHU_LANGUAGE": "zh-hans", "LANG": "C"}, "zh-hans"),
    ({"KEHU_LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, "en"),
])
def test_cli_language_follows_the_environment(environ, expected):
    from kehu.cli import cli_language

    assert cli_language(environ) == expected
