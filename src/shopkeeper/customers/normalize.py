"""Normalisers of phones and emails: one stored form per number / address, the typed form kept too.

Phones become E.164 with `phonenumbers`, parsed with the store's default region. The region is
derived from the store's currency (RUB -> RU, UAH -> UA, CNY -> CN, USD -> US, ...) and otherwise is
the `SHOPKEEPER_PHONE_REGION` setting (default "US"). An invalid number is kept as typed and flagged.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from email_validator import EmailNotValidError, validate_email

CURRENCY_REGIONS = {
    "RUB": "RU",
    "UAH": "UA",
    "CNY": "CN",
    "USD": "US",
    "KZT": "KZ",
    "BYN": "BY",
    "GBP": "GB",
    "PLN": "PL",
}
_NON_DIGITS = re.compile(r"\D+")


def default_region(store=None) -> str:
    if store is not None and getattr(store, "currency", None) in CURRENCY_REGIONS:
        return CURRENCY_REGIONS[store.currency]
    return getattr(settings, "SHOPKEEPER_PHONE_REGION", "US")


def digits_of(value: str) -> str:
    return _NON_DIGITS.sub("", value or "")


@dataclass(frozen=True)
class Phone:
    raw: str
    e164: str  # "" when invalid
    digits: str

    @property
    def is_valid(self) -> bool:
        return bool(self.e164)


def normalize_phone(value: str, region: str = "US") -> Phone:
    raw = (value or "").strip()[:64]
    e164 = ""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return Phone(raw=raw, e164=e164, digits=digits_of(e164 or raw)[:32])


@functools.lru_cache(maxsize=8192)
def format_phone(e164: str, raw: str = "") -> str:
    """A stored phone as people read it (international format), or as typed when invalid. Kept for
    the numbers seen last: a list page formats fifty of them, each a parse of the number."""
    if not e164:
        return raw
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def phone_search_fragments(query: str) -> list[str]:
    """Digit fragments to look for in stored E.164 digits for what a person typed.

    "8 915 123..." is the Russian national trunk form of "+7 915 123...": both are tried.
    """
    digits = digits_of(query)
    if len(digits) < 3:
        return []
    fragments = [digits]
    if digits.startswith("8") and len(digits) >= 4 and not query.strip().startswith("+"):
        fragments.append("7" + digits[1:])
    return fragments


@dataclass(frozen=True)
class Email:
    raw: str
    email: str
    is_valid: bool


def normalize_email(value: str) -> Email:
    raw = (value or "").strip()[:254]
    lowered = raw.lower()
    try:
        validate_email(lowered, check_deliverability=False)
    except EmailNotValidError:
        return Email(raw=raw, email=lowered, is_valid=False)
    return Email(raw=raw, email=lowered, is_valid=True)
