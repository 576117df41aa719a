"""The shared field validators (kehu/validators.py): phone numbers, websites, dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.validators import validate_not_in_future, validate_phone, validate_website


@pytest.mark.parametrize("phone", [
    "13800138000", "138 0013 8000", "138-0013-8000", "19912345678",      # mobiles
    "010-12345678", "021 5555 6666", "0755-1234567", "(0755)12345678",   # landlines with area code
    "0755-1234567-123", "010-12345678 ext 12", "010-12345678转8",        # with an extension
    "400-123-4567", "800 123 4567",                                       # service numbers
    "+86 138 0013 8000", "+1 415 555 2671", "+44 20 7946 0958",          # international
    "",
])
def test_phone_numbers_accepted(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", [
    "12345", "12345678",           # no area code
    "12800138000",                 # 12x is no mobile prefix
    "1380013800",                  # a digit short
    "138001380001",                # a digit long
    "abc", "1380013800a", "=1+2",  # letters, a formula
    "+0123456789", "+",            # no country code
    "13800138000+1",
])
def test_phone_numbers_refused(phone):
    with pytest.raises(ValidationError) as caught:
        validate_phone(phone)
    assert caught.value.code == "invalid_phone"


@pytest.mark.parametrize("url", ["https://example.com", "http://www.example.cn/path?q=1", "www.example.com",
                                 "example.com.cn", ""])
def test_websites_accepted(url):
    validate_website(url)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>",
                                 "ftp://example.com", "vbscript:x", "http://", "not a site", "mailto:a@b.cn"])
def test_websites_refused(url):
    with pytest.raises(ValidationError):
        validate_website(url)


def test_dates_in_the_future_refused():
    today = timezone.localdate()
    validate_not_in_future(today)
    validate_not_in_future(dt.date(1980, 5, 1))
    with pytest.raises(ValidationError):
        validate_not_in_future(today + dt.timedelta(days=1))
