"""ID numbers (GB 11643), masking, encryption keys."""
import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from resilience import config
from resilience.core import crypto
from resilience.core.testing import make_id_number
from resilience.people import idnumber

# Published examples with a correct check character (GB 11643-1999 appendix and common samples).
VALID = ["11010519491231002X", "440524188001010014", "110101199003074477"]


@pytest.mark.parametrize("number", VALID)
def test_known_valid_id_numbers(number):
    birth, sex = idnumber.parse(number)
    assert birth == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert sex == ("male" if int(number[16]) % 2 else "female")


@pytest.mark.parametrize("number, reason", [
    ("11010519491231002Y", "17 digits followed by a digit or X"),
    ("110105194912310021", "check digit"),
    ("990105194912310021", "region code"),
    ("110105194913310021", "not a date"),
    ("110105299901010021", "impossible"),
    ("1101051949123100", "18 characters"),
])
def test_invalid_id_numbers_say_why(number, reason):
    with pytest.raises(ValidationError) as exc:
        idnumber.parse(number)
    assert reason in exc.value.messages[0]


def test_lower_case_x_and_spaces_are_normalised():
    assert idnumber.is_valid(" 11010519491231002x ")


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)),
       st.integers(0, 999), st.booleans())
def test_generated_numbers_round_trip(birth, serial, female):
    number = make_id_number(birth, serial, female)
    assert idnumber.parse(number) == (birth, "female" if female else "male")


@given(st.text(max_size=30))
def test_parser_never_crashes_on_garbage(text):
    try:
        idnumber.parse(text)
    except ValidationError:
        pass


def test_any_single_digit_change_is_detected():
    number = "11010519491231002X"
    for position in range(17):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            changed = number[:position] + digit + number[position + 1:]
            assert not idnumber.is_valid(changed) or changed[17] == idnumber.check_char(changed[:17])


def test_masks():
    assert crypto.mask_id_number("110101199003071234") == "110***********1234"
    assert crypto.mask_phone("13812345678") == "138****5678"
    assert crypto.mask_phone("") == ""


def test_encryption_round_trip_and_randomised(settings):
    a, b = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert a != b and crypto.decrypt(a) == "13812345678"


def test_keyed_hash_is_stable_and_keyed(settings):
    first = crypto.keyed_hash("11010519491231002x", "id_number")
    assert first == crypto.keyed_hash("11010519491231002X", "id_number")
    settings.RESILIENCE_HASH_KEY = "another"
    assert crypto.keyed_hash("11010519491231002X", "id_number") != first


def test_missing_field_key_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("RESILIENCE_FIELD_KEY", raising=False)
    monkeypatch.delenv("RESILIENCE_HASH_KEY", raising=False)
    monkeypatch.delenv("RESILIENCE_CREATE_KEYS", raising=False)
    with pytest.raises(ImproperlyConfigured, match="RESILIENCE_FIELD_KEY"):
        config.field_keys(tmp_path)


def test_malformed_field_key_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("RESILIENCE_FIELD_KEY", "not-a-key")
    monkeypatch.setenv("RESILIENCE_HASH_KEY", "x")
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        config.field_keys(tmp_path)


def test_laptop_mode_creates_keys_once(monkeypatch, tmp_path):
    for name in ("RESILIENCE_FIELD_KEY", "RESILIENCE_HASH_KEY", "RESILIENCE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RESILIENCE_CREATE_KEYS", "1")
    keys, hash_key = config.field_keys(tmp_path)
    assert config.field_keys(tmp_path) == (keys, hash_key)
    assert oct((tmp_path / "keys.json").stat().st_mode)[-3:] == "600"
