"""What every importer shares: checking one row at a time, validating model instances, finding
the places a row refers to, and writing everything at the end."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from resilience.core.changelog import log_created
from resilience.people.transfer.columns import Column, Header
from resilience.people.transfer.parsers import CellError, key, nfkc, text
from resilience.people.transfer.report import Report

BATCH_SIZE = 500


class RowCheck:
    """One data row being checked: its raw values and the problems found in it."""

    def __init__(self, number: int, raw: dict, header: Header, columns: dict[str, Column],
                 report: Report):
        self.number = number
        self.raw = raw
        self.header = header
        self.columns = columns
        self.report = report
        self.failed: set[str] = set()

    @property
    def ok(self) -> bool:
        return not self.failed

    def value(self, column: str):
        return self.raw.get(column)

    def column_name(self, column: str) -> str:
        if column in self.header.names:
            return self.header.names[column]
        if column in self.columns:
            return str(self.columns[column].label)
        return ""

    def error(self, column: str, reason, value=None) -> None:
        """Record a problem in ``column`` (a column key, or "" for the row as a whole)."""
        self.failed.add(column or NON_FIELD_ERRORS)
        if value is None:
            value = self.raw.get(column)
            spec = self.columns.get(column)
            value = spec.shown(value) if spec else text(value)
        self.report.add(self.number, self.column_name(column), value, reason)

    def parse(self, column: str, parser: Callable, *args, **kwargs):
        """``parser(raw value, *args)``, or None with the problem recorded."""
        try:
            return parser(self.raw.get(column), *args, **kwargs)
        except CellError as exc:
            self.error(column, str(exc))
            return None

    def validate(self, obj: models.Model, fields: dict[str, str], exclude: Iterable[str] = ()) -> None:
        """``obj.full_clean()``; each error goes to the column its field came from (``fields``:
        model field → column key). Unique constraints are the importer's to check."""
        exclude = set(exclude) | {f for f, c in fields.items() if c in self.failed}
        # Related records the importer looked up itself exist: no query per row to re-check them.
        exclude |= {f.name for f in obj._meta.concrete_fields
                    if f.is_relation and getattr(obj, f.attname) is not None and f.is_cached(obj)}
        try:
            obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                column = fields.get(field, "")
                for message in messages:
                    self.error(column, message)


def place_key(value, suffixes: tuple[str, ...] = ()) -> str:
    """A loose key for a building, unit or room as people write it: "3号楼" ~ "3栋" ~ "3"."""
    folded = key(value)
    for suffix in suffixes:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            return folded[: -len(suffix)]
    return folded


BUILDING_SUFFIXES = ("号楼", "栋", "幢", "号", "楼")
CHINESE_DIGITS = dict(zip("一二三四五六七八九十", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]))


def unit_number(value) -> str:
    """"1", "1单元", "一单元" → "1"."""
    number = nfkc(text(value)).strip()
    number = re.sub(r"\s*单元$", "", number)
    return CHINESE_DIGITS.get(number, number)


def room_number(value) -> str:
    """"501", "501室", "501.0" → "501"."""
    return re.sub(r"\s*[室号房]$", "", nfkc(text(value)).strip())


class PlaceIndex:
    """Finds a building, grid or organisation by code or name as written in a file, among the
    ones the user may see; and says whether the user may add the imported rows there."""

    def __init__(self, objects: Iterable, allowed: set[int] | None, noun: str,
                 suffixes: tuple[str, ...] = (), fields: tuple[str, ...] = ("code", "name")):
        self.noun = noun
        self.allowed = allowed
        self.suffixes = suffixes
        self.exact: dict[str, list] = {}
        self.loose: dict[str, list] = {}
        for obj in objects:
            for field in fields:
                self.exact.setdefault(key(getattr(obj, field)), []).append(obj)
                self.loose.setdefault(place_key(getattr(obj, field), suffixes), []).append(obj)

    def find(self, value):
        shown = text(value)
        matches = self.exact.get(key(shown)) or self.loose.get(place_key(shown, self.suffixes)) or []
        distinct = {obj.pk: obj for obj in matches}
        if not distinct:
            raise CellError(_("No %(noun)s %(value)r in this community that you may see.")
                            % {"noun": self.noun, "value": shown})
        if len(distinct) > 1:
            raise CellError(_("%(value)r matches several %(noun)s: use the code.")
                            % {"noun": self.noun, "value": shown})
        obj = next(iter(distinct.values()))
        if self.allowed is not None and obj.pk not in self.allowed:
            raise CellError(_("You may not add records in %(noun)s %(value)r.")
                            % {"noun": self.noun, "value": shown})
        return obj


class Importer:
    """Checks rows one by one, keeps the new instances, and writes them all at the end."""

    kind = ""
    columns: tuple[Column, ...] = ()

    def __init__(self, community, user, crs: str, report: Report):
        self.community = community
        self.user = user
        self.crs = crs
        self.report = report
        self.by_key = {c.key: c for c in self.columns}

    @classmethod
    def communities(cls, user) -> models.QuerySet:
        """The communities in which ``user`` may add some records of this kind."""
        raise NotImplementedError

    def may_import(self) -> bool:
        """Whether the user may add this kind of record somewhere in the community."""
        if self.user is None:
            return True
        return type(self).communities(self.user).filter(pk=self.community.pk).exists()

    def prepare(self) -> None:
        """Load what rows are checked against (places, existing records), once."""

    def check(self, row: RowCheck) -> None:
        """Parse and validate one row; keep its new instances if it is good."""
        raise NotImplementedError

    def write(self) -> dict[str, int]:
        """Save the kept instances (inside the caller's transaction); counts by kind."""
        raise NotImplementedError


def save_all(objects: list[models.Model]) -> int:
    """``prepare()``, ``bulk_create`` in batches and change-log a list of new instances."""
    if not objects:
        return 0
    for obj in objects:
        if hasattr(obj, "prepare"):
            obj.prepare()
    model = type(objects[0])
    model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    log_created(objects)
    return len(objects)
