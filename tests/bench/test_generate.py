"""The bench data generator's names read like real people's."""

import random

import pytest
from bench.generate import PATRONYMIC_LOCALES, make_pools, person_name

# Russian and Ukrainian patronymics and the common surnames show the gender in their endings.
MALE_PATRONYMIC = ("ич",)
FEMALE_PATRONYMIC = ("вна", "чна", "ична", "инична")
# (Many Ukrainian surnames are the same for both: Рева, Шевченко.)
FEMALE_SURNAME = {"ru_RU": ("ова", "ева", "ёва", "ина", "ына", "ая"), "uk_UA": ("ська", "цька")}
MALE_SURNAME = {"ru_RU": ("ов", "ев", "ёв", "ин", "ын", "ий", "ой"), "uk_UA": ("ський", "цький")}


@pytest.fixture(scope="module")
def pools():
    return make_pools(42)


@pytest.mark.parametrize("locale", PATRONYMIC_LOCALES)
def test_first_name_surname_and_patronymic_agree_in_gender(pools, locale):
    rng = random.Random(7)
    seen = {"male": 0, "female": 0}
    for _ in range(2000):
        first, last, middle = person_name(pools, locale, rng)
        if not middle:
            continue
        male = middle.endswith(MALE_PATRONYMIC)
        assert male != middle.endswith(FEMALE_PATRONYMIC), middle
        gender = "male" if male else "female"
        seen[gender] += 1
        assert first in pools.first[locale][gender], (first, middle)
        assert first not in pools.first[locale]["female" if male else "male"], (first, middle)
        # A surname that shows a gender shows the same one.
        other = FEMALE_SURNAME[locale] if male else MALE_SURNAME[locale]
        own = MALE_SURNAME[locale] if male else FEMALE_SURNAME[locale]
        assert last.endswith(own) or not last.endswith(other), (last, first, middle)
    assert seen["male"] > 300 and seen["female"] > 300
