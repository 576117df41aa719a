"""The fast name keys (translation table) equal the lazy_pinyin keys for every name.

``reference_keys`` is ``name_keys`` as it was before the fast path: always
lazy_pinyin (``search._slow_pinyin`` is that code, kept as the fallback). No
database.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS

from kehu.customers import search
from kehu.customers.search import _NON_KEY, name_keys


def reference_keys(name: str) -> tuple[str, str, str]:
    """name_keys before the fast path: lazy_pinyin for every name with a Han character."""
    text = (name or "").strip()
    key = _NON_KEY.sub("", text.lower())
    if not re.search(r"[\u3400-\u9fff]", text):
        words = [w for w in re.split(r"[\s\-_.·,()]+", text.lower()) if w]
        return key[:200], key[:400], "".join(w[0] for w in words)[:100]
    return (key[:200], *search._slow_pinyin(text))


def known_han() -> list[str]:
    return sorted(chr(c) for c in PINYIN_DICT if RE_HANS.match(chr(c)))


POLYPHONIC = ["重庆", "重庆银行", "银行", "行长", "长沙", "长春", "长城", "朝阳", "朝阳区", "北京朝阳",
              "成都", "厦门", "佛山", "重庆长安汽车", "中国银行长沙分行", "朝阳重工", "银行行长", "长长久久",
              "单县", "曾先生", "解放", "乐山", "六安", "蚌埠", "大都会", "都江堰", "重阳", "行走", "音乐"]


@pytest.mark.parametrize("name", POLYPHONIC + ["张三", "王五", "华东机械集团", "ABC 公司", "北京·朝阳",
                                               "李四（上海）贸易", "  上海 - 贸易  ", "Σ公司", "ΟΔΟΣ公司",
                                               "〇一二", "3M中国", "张\u9fff三", "𠀀公司", "", "   "])
def test_examples(name):
    assert name_keys(name) == reference_keys(name)


def test_polyphonic_names_read_by_phrase():
    assert name_keys("重庆银行") == ("重庆银行", "chongqingyinhang", "cqyh")
    assert name_keys("长沙朝阳") [1:] == tuple(reference_keys("长沙朝阳")[1:])
    assert search._fast_pinyin("重庆") is None        # a deviant phrase: lazy_pinyin decides
    assert search._fast_pinyin("张三") == ("zhangsan", "zs")


def test_every_known_character_alone_and_in_context():
    chars = known_han()
    assert len(chars) > 20_000
    for c in chars:
        assert name_keys(c) == reference_keys(c), c
    rnd = random.Random(7)
    for start in range(0, len(chars), 3):
        name = "".join(chars[start:start + 3]) + rnd.choice(["", "公司", " A", "·B"])
        assert name_keys(name) == reference_keys(name), name


@pytest.mark.slow
def test_every_phrase_in_context():
    rnd = random.Random(11)
    fillers = ["", "有限公司", "张", "市", "A-1", "（", "重"]
    for phrase in PHRASES_DICT:
        name = rnd.choice(fillers) + phrase + rnd.choice(fillers)
        assert name_keys(name) == reference_keys(name), name


def test_generated_names():
    from kehu.bench.generate import name_pool

    for _kind, name, *keys in name_pool(random.Random(1), 20_000):
        assert name_keys(name) == reference_keys(name) == tuple(keys), name


ALPHABET = ("张王李赵刘陈杨黄周吴重庆银行长沙朝阳成都厦门佛山乐都单曾解中国北京上海机械集团有限公司"
            "贸易科技发展股份的了着一不" "ABCxyzΣ0123 -_.·,，。()（）'\"/\\&、|〇𠀀\u9fff\u3400ü")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=14))
def test_property_random_names(name):
    assert name_keys(name) == reference_keys(name)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(sorted(PHRASES_DICT)[:5000] + POLYPHONIC), min_size=1, max_size=4),
       st.text(alphabet="公司集团 A-·", max_size=3))
def test_property_phrase_sequences(phrases, tail):
    name = "".join(phrases) + tail
    assert name_keys(name) == reference_keys(name)


def test_many_names_take_the_fast_path():
    from kehu.bench.generate import name_pool

    names = [n for _k, n, *_ in name_pool(random.Random(2), 5_000) if re.search(r"[\u4e00-\u9fff]", n)]
    fast = sum(search._fast_pinyin(n) is not None for n in names)
    assert fast > 0.8 * len(names)
