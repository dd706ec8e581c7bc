"""Mainland China resident identity numbers (GB 11643-1999)."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits: province-level divisions (GB/T 2260), incl. 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCES = {
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
}


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def normalise(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def parse(value: str, today: dt.date | None = None) -> tuple[dt.date, str]:
    """Validate an 18-character ID number; return (birth date, sex "male"/"female").

    Raises ValidationError with the reason: length, characters, province, birth date or
    check digit.
    """
    value = normalise(value)
    if len(value) != 18:
        raise ValidationError(_("An ID number has 18 characters; this one has %(n)d.") % {"n": len(value)})
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise ValidationError(_("An ID number is 17 digits followed by a digit or X."))
    if int(value[:2]) not in PROVINCES:
        raise ValidationError(_("The ID number's region code %(code)s is not a province.") % {"code": value[:2]})
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The ID number's birth date %(date)s is not a date.") % {"date": value[6:14]})
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise ValidationError(_("The ID number's birth date %(date)s is impossible.") % {"date": birth.isoformat()})
    expected = check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(_("The ID number's check digit is wrong (GB 11643)."))
    sex = "male" if int(value[16]) % 2 else "female"
    return birth, sex


def is_valid(value: str) -> bool:
    try:
        parse(value)
    except ValidationError:
        return False
    return True
