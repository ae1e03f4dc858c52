"""Dates as every page shows them: the current language's SHORT_DATETIME_FORMAT (or another named
format), for rows written in Python.

`|date:"SHORT_DATETIME_FORMAT"` costs some 13 µs a value (Django's `DateFormat` looks every format
character up anew); a list page shows fifty and a timeline as many. `formatter(name)` compiles the
format once per language into a join of the pieces it names, with the month names read once; a format
holding characters it does not compile is left to Django. tests/core/test_dates.py compares the two.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import dateformat, formats
from django.utils.dates import MONTHS, MONTHS_3, MONTHS_ALT, MONTHS_AP
from django.utils.translation import get_language

_SPEC = re.compile(r"(?<!\\)([aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ])")  # Django's, dateformat.py
_ESCAPED = re.compile(r"\\(.)")

_NUMBERS: dict[str, Callable[[dt.datetime], str]] = {
    "d": lambda v: f"{v.day:02d}",
    "j": lambda v: str(v.day),
    "m": lambda v: f"{v.month:02d}",
    "n": lambda v: str(v.month),
    "Y": lambda v: f"{v.year:04d}",
    "y": lambda v: f"{v.year % 100:02d}",
    "H": lambda v: f"{v.hour:02d}",
    "G": lambda v: str(v.hour),
    "i": lambda v: f"{v.minute:02d}",
    "s": lambda v: f"{v.second:02d}",
}
_MONTH_NAMES = {
    "M": lambda m: str(MONTHS_3[m]).title(),
    "b": lambda m: str(MONTHS_3[m]),
    "F": lambda m: str(MONTHS[m]),
    "E": lambda m: str(MONTHS_ALT[m]),
    "N": lambda m: str(MONTHS_AP[m]),
}

_compiled: dict[tuple[str | None, str], Callable[[dt.datetime], str]] = {}


def _compile(fmt: str) -> Callable[[dt.datetime], str]:
    pieces: list[Callable[[dt.datetime], str] | str] = []
    for i, piece in enumerate(_SPEC.split(fmt)):
        if i % 2 == 0:
            if piece:
                pieces.append(_ESCAPED.sub(r"\1", piece))
        elif piece in _NUMBERS:
            pieces.append(_NUMBERS[piece])
        elif piece in _MONTH_NAMES:
            names = [""] + [_MONTH_NAMES[piece](m) for m in range(1, 13)]
            pieces.append(lambda v, names=names: names[v.month])
        else:  # a day name, am/pm, a time zone...: Django's own, whole
            return lambda v: dateformat.format(v, fmt)
    return lambda v: "".join(p if type(p) is str else p(v) for p in pieces)


def formatter(name: str = "SHORT_DATETIME_FORMAT") -> Callable[[dt.datetime], str]:
    """`value|date:name` for the current language, as a function of a datetime already in local time."""
    language = get_language()
    key = (language, name)
    fn = _compiled.get(key)
    if fn is None:
        fn = _compiled[key] = _compile(str(formats.get_format(name, language, use_l10n=True)))
    return fn


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    if setting in {"FORMAT_MODULE_PATH", "LANGUAGES", "LANGUAGE_CODE", "USE_L10N"} or setting.endswith(
        "_FORMAT"
    ):
        _compiled.clear()
