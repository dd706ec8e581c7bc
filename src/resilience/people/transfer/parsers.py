"""Cell parsers: a raw spreadsheet value in, a clean value out, or ``CellError`` saying why not.

Raw values are what the readers give: text from CSV; text, numbers, dates or booleans from XLSX.
Every parser accepts any of them and never raises anything but ``CellError``.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from resilience.people import idnumber


class CellError(Exception):
    """A cell's value is not acceptable; ``str(error)`` is the reason, for the report."""


class YearMonth(NamedTuple):
    """A birth "date" given as year and month only (出生年月), to be completed from the ID number."""

    year: int
    month: int


LIST_SEPARATORS = re.compile(r"[,;、|\n]+")  # after NFKC, which folds ， and ； to , and ;
FORMULA_START = ("=", "+", "-", "@")


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def text(value) -> str:
    """A cell as text, stripped: integral floats lose their ``.0``, dates become ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    value = str(value).replace("\x00", "").strip()
    # A leading apostrophe keeps Excel from reading a value as a number or formula; drop it.
    if value.startswith("'") and len(value) > 1 and (value[1].isdigit() or value[1] in FORMULA_START):
        value = value[1:]
    return value


def key(value) -> str:
    """A forgiving comparison key: full-width folded, case-folded, no spaces or separators."""
    return re.sub(r"[\s_\-.·:]+", "", nfkc(text(value)).casefold())


def normalise_header(value) -> str:
    """A header's comparison key: also drops required-markers (*) and notes in brackets."""
    value = nfkc(text(value))
    value = re.sub(r"\(.*?\)|\[.*?\]|【.*?】|<.*?>", "", value)
    return key(value.replace("*", "").replace("必填", ""))


def split_list(value) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(nfkc(text(value))) if part.strip()]


# --- dates -----------------------------------------------------------------------------------

EXCEL_EPOCH = dt.date(1899, 12, 30)
YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
YM = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")


def _date(year: int, month: int, day: int, shown: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(_("%(value)s is not a date.") % {"value": shown}) from None


def _excel_serial(number: int, shown: str) -> dt.date:
    # Excel's 1900 date system counts 1900-02-29, which never existed.
    if number < 1 or number > 2958465:
        raise CellError(_("%(value)s is not a date.") % {"value": shown})
    if number < 61:
        return EXCEL_EPOCH + dt.timedelta(days=number + 1 if number < 60 else number)
    return EXCEL_EPOCH + dt.timedelta(days=number)


def _from_number(number: int, shown: str) -> dt.date:
    if 10_000_000 <= number <= 99_999_999:  # 19500301
        return _date(number // 10000, number // 100 % 100, number % 100, shown)
    if 1000 <= number <= 2999:
        raise CellError(_("%(value)s is only a year: give the full date, e.g. 1950-03-01.") % {"value": shown})
    return _excel_serial(number, shown)


def parse_date(value, allow_year_month: bool = False) -> dt.date | YearMonth | None:
    """1950-03-01, 1950/3/1, 1950.3.1, 1950年3月1日, 19500301, Excel dates and serial numbers.

    Day-first and month-first dates (01/03/1950) are accepted only when unambiguous. With
    ``allow_year_month``, 1950-03 and 1950年3月 give a ``YearMonth``. Empty gives None.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a date.") % {"value": value})
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value != int(value):
            raise CellError(_("%(value)s is not a date.") % {"value": value})
        return _from_number(int(value), text(value))
    shown = text(value)
    if not shown:
        return None
    value = nfkc(shown)
    if match := YMD.fullmatch(value):
        return _date(*map(int, match.groups()), shown)
    if value.isdigit() and len(value) <= 8:
        return _from_number(int(value), shown)
    if match := DMY.fullmatch(value):
        first, second, year = map(int, match.groups())
        if first > 12 >= second:
            return _date(year, second, first, shown)
        if second > 12 >= first:
            return _date(year, first, second, shown)
        if first != second:
            raise CellError(_("%(value)s is ambiguous (day/month or month/day?): write it as "
                              "YYYY-MM-DD.") % {"value": shown})
        return _date(year, first, second, shown)
    if match := YM.fullmatch(value):
        year, month = map(int, match.groups())
        if not 1 <= month <= 12:
            raise CellError(_("%(value)s is not a date.") % {"value": shown})
        if allow_year_month:
            return YearMonth(year, month)
        raise CellError(_("%(value)s has no day: give the full date, e.g. 1950-03-01.") % {"value": shown})
    raise CellError(_("%(value)s is not a date; write it as YYYY-MM-DD, e.g. 1950-03-01.") % {"value": shown})


# --- people ------------------------------------------------------------------------------------

SEXES = {
    "male": "male", "m": "male", "man": "male", "男": "male", "男性": "male", "1": "male",
    "female": "female", "f": "female", "woman": "female", "女": "female", "女性": "female",
    "2": "female",
}


def parse_sex(value) -> str | None:
    """男/女, male/female, M/F or the GB/T 2261.1 codes 1/2; empty gives None."""
    shown = text(value)
    if not shown:
        return None
    try:
        return SEXES[key(shown)]
    except KeyError:
        raise CellError(_("Unknown sex %(value)r: write 男/女 or male/female.") % {"value": shown}) from None


MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|[2-9]\d{6,7}(?:-\d{1,6})?|[48]00-?\d{3}-?\d{4}")


def parse_phone(value) -> str:
    """An 11-digit mainland mobile (country code dropped) or a landline; empty gives ""."""
    shown = text(value)
    if not shown:
        return ""
    if "*" in shown:
        raise CellError(_("The phone number is masked (has *): give the full number."))
    compact = re.sub(r"[\s()]+", "", nfkc(shown))
    mobile = re.sub(r"^(?:\+86|0086|86)(?=1\d{10}$)", "", compact.replace("-", ""))
    if MOBILE.fullmatch(mobile):
        return mobile
    if LANDLINE.fullmatch(compact):
        return compact
    raise CellError(_("%(value)s is not a mainland mobile number (11 digits starting with 1) or a "
                      "landline number.") % {"value": shown})


SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)


def parse_id_number(value) -> tuple[str, dt.date, str] | None:
    """A valid 18-character ID number with the birth date and sex it encodes; empty gives None."""
    if isinstance(value, float) and abs(value) >= 1e11:
        raise CellError(_("The ID number was stored as a number and lost its last digits: format "
                          "the column as text and type it again."))
    shown = text(value)
    if not shown:
        return None
    if SCIENTIFIC.fullmatch(shown):
        raise CellError(_("The ID number was stored as a number and lost its last digits: format "
                          "the column as text and type it again."))
    if "*" in shown:
        raise CellError(_("The ID number is masked (has *): give the full number."))
    number = idnumber.normalise(nfkc(shown))
    try:
        birth, sex = idnumber.parse(number)
    except ValidationError as exc:
        raise CellError(" ".join(exc.messages)) from None
    return number, birth, sex


# --- numbers and yes/no ------------------------------------------------------------------------

INT_SUFFIX = re.compile(r"(-?\d+)\s*(?:层|年|人|个|位|户|辆|台|间|m²|㎡)?")


def parse_int(value, low: int | None = None, high: int | None = None) -> int | None:
    """A whole number (6, 6.0, "6层", "1998年"); empty gives None."""
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a whole number.") % {"value": value})
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        shown = text(value)
        if not shown:
            return None
        match = INT_SUFFIX.fullmatch(nfkc(shown).replace(",", ""))
        if not match:
            raise CellError(_("%(value)s is not a whole number.") % {"value": shown})
        number = int(match.group(1))
    if (low is not None and number < low) or (high is not None and number > high):
        raise CellError(_("%(value)s is outside %(low)s…%(high)s.") % {
            "value": number, "low": low if low is not None else "", "high": high if high is not None else ""})
    return number


def parse_float(value) -> float | None:
    """A decimal number (121.47, "121.47°"); empty gives None."""
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a number.") % {"value": value})
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        shown = text(value)
        if not shown:
            return None
        try:
            number = float(nfkc(shown).rstrip("°").strip())
        except ValueError:
            raise CellError(_("%(value)s is not a number.") % {"value": shown}) from None
    if not math.isfinite(number):
        raise CellError(_("%(value)s is not a number.") % {"value": value})
    return number


TRUE = {"1", "y", "yes", "true", "t", "是", "有", "√", "✓", "✔", "有电梯"}
FALSE = {"0", "n", "no", "false", "f", "否", "无", "没有", "×", "✗", "✘", "无电梯"}


def parse_bool(value) -> bool | None:
    """是/否, 有/无, yes/no, true/false, 1/0, √/×; empty gives None."""
    if isinstance(value, bool):
        return value
    shown = text(value)
    if not shown:
        return None
    folded = key(shown)
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise CellError(_("%(value)r is not yes or no (是/否).") % {"value": shown})
