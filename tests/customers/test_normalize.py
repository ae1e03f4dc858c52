from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shopkeeper.customers.normalize import (
    format_phone,
    normalize_email,
    normalize_phone,
    phone_search_fragments,
)

separators = st.sampled_from(["", " ", "-", ".", "  "])


@st.composite
def ru_mobile_variants(draw):
    """One Russian mobile number written the ways people write it."""
    subscriber = draw(st.text("0123456789", min_size=7, max_size=7))
    operator = draw(st.sampled_from(["915", "903", "916", "926", "977"]))
    sep = draw(separators)
    prefix = draw(st.sampled_from(["+7", "8", "+7 ", "7"]))
    body = draw(
        st.sampled_from(
            [
                f"{operator}{sep}{subscriber[:3]}{sep}{subscriber[3:5]}{sep}{subscriber[5:]}",
                f"({operator}){sep}{subscriber[:3]}-{subscriber[3:5]}-{subscriber[5:]}",
                f"{operator}{subscriber}",
            ]
        )
    )
    return f"+7{operator}{subscriber}", f"{prefix}{body}"


@given(ru_mobile_variants())
def test_formatting_variants_of_a_ru_number_map_to_one_e164(pair):
    expected, written = pair
    phone = normalize_phone(written, "RU")
    assert phone.e164 == expected
    assert phone.digits == expected[1:]


@given(st.text("0123456789", min_size=7, max_size=7), separators)
def test_us_variants_map_to_one_e164(subscriber, sep):
    variants = [
        f"(415) {subscriber[:3]}-{subscriber[3:]}",
        f"+1 415{sep}{subscriber[:3]}{sep}{subscriber[3:]}",
        f"1-415-{subscriber[:3]}-{subscriber[3:]}",
    ]
    results = {normalize_phone(v, "US").e164 for v in variants}
    assert len(results) == 1


@given(st.text(max_size=30))
def test_any_input_is_kept_never_dropped(text):
    phone = normalize_phone(text, "RU")
    assert phone.raw == text.strip()[:64]
    if not phone.is_valid:
        assert phone.e164 == ""
        assert format_phone(phone.e164, phone.raw) == phone.raw


def test_invalid_number_is_flagged_and_kept():
    phone = normalize_phone("12-34", "RU")
    assert not phone.is_valid
    assert phone.raw == "12-34"
    assert phone.digits == "1234"


@given(
    st.from_regex(r"[A-Za-z0-9._]{1,12}", fullmatch=True),
    st.sampled_from(["example.com", "Mail.RU", "EXAMPLE.org"]),
    st.sampled_from(["", " ", "\t"]),
)
def test_email_case_and_spaces_variants_map_to_one(local, domain, space):
    a = normalize_email(f"{space}{local}@{domain}{space}")
    b = normalize_email(f"{local.upper()}@{domain.lower()}")
    assert a.email == b.email == f"{local}@{domain}".lower()


def test_invalid_email_kept_and_flagged():
    email = normalize_email("not an email")
    assert not email.is_valid and email.raw == "not an email"


def test_search_fragments_handle_ru_trunk_prefix():
    assert phone_search_fragments("89151234567") == ["89151234567", "79151234567"]
    assert phone_search_fragments("+7(915)123-45") == ["791512345"]
    assert phone_search_fragments("12") == []
