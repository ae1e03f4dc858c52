"""core.dates writes what `|date:` writes, in every language the app ships."""

import datetime as dt

import pytest
from django.conf import settings
from django.template.defaultfilters import date
from django.utils import translation

from shopkeeper.core.dates import _compile, formatter

MOMENTS = [
    dt.datetime(2026, month, day, hour, 5, 9) for month in range(1, 13) for day, hour in ((1, 0), (28, 23))
]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize(
    "name", ["SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "DATE_FORMAT"]
)
def test_formatter_writes_what_the_date_filter_writes(language, name):
    with translation.override(language):
        fn = formatter(name)
        for moment in MOMENTS:
            assert fn(moment) == date(moment, name), (language, name, moment)


@pytest.mark.parametrize(
    "fmt",
    [
        r"D, d M Y H:i",  # a day name: left to Django
        r"\d\a\y j \o\f F, y",  # escaped letters
        r"N j, Y, P",  # "a.m."/"p.m.": left to Django
        r"b/E/n/G:s",
    ],
)
def test_any_format_compiles_or_falls_back_to_the_same_text(fmt):
    for language in ("en", "ru", "zh-hans"):
        with translation.override(language):
            compiled = _compile(fmt)
            for moment in MOMENTS:
                assert compiled(moment) == date(moment, fmt), (language, fmt, moment)


def test_english_is_day_first_on_a_24_hour_clock():
    with translation.override("en"):
        assert formatter()(dt.datetime(2026, 11, 24, 21, 43)) == "24 Nov 2026 21:43"
        assert formatter("SHORT_DATE_FORMAT")(dt.date(2026, 11, 24)) == "24 Nov 2026"
    with translation.override("ru"):
        assert formatter()(dt.datetime(2026, 11, 24, 21, 43)) == "24.11.2026 21:43"
