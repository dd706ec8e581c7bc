"""Columns and cells: how a model's values are shown in lists and on detail pages.

A column names an attribute path (``"household.building"``) or computes its value; personal
data is never shown through a column that names an encrypted field — declare the masked
property instead (``"phone_masked"``), so a list can never leak plaintext by mistake.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

from resilience.core.fields import EncryptedTextField

EMPTY = "—"


@dataclass(frozen=True)
class Column:
    """One column of a list or one row of a detail group."""

    name: str
    label: Any = None
    value: Callable[[Any], Any] | None = None  # computes the cell from the object
    order: str | None = None  # ORM ordering when the column can be sorted
    link: bool = False  # link the cell to the object's own page


@dataclass(frozen=True)
class Cell:
    text: Any
    url: str | None = None


def model_field(model, path: str):
    """The model field at the end of a dotted path, or None for a property or method."""
    field = None
    for part in path.split("."):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model if field.is_relation else None
    return field


def as_column(model, spec: str | Column) -> Column:
    """A complete ``Column`` (label, ordering) from a name or a partial declaration."""
    column = spec if isinstance(spec, Column) else Column(spec)
    field = model_field(model, column.name)
    if column.value is None and isinstance(field, EncryptedTextField):
        raise ImproperlyConfigured(
            f"{model.__name__}: column {column.name!r} would show personal data in clear; "
            "use its masked property instead."
        )
    label = column.label
    if label is None:
        label = field.verbose_name if field is not None else column.name.replace("_", " ")
    order = column.order
    sortable = (
        field is not None and column.value is None and "." not in column.name
        and field.concrete and not isinstance(field, (models.JSONField, EncryptedTextField))
    )
    if order is None and sortable:
        order = column.name
    return Column(column.name, label, column.value, order, column.link)


def as_columns(model, specs: Iterable[str | Column]) -> list[Column]:
    return [as_column(model, spec) for spec in specs]


def resolve(obj, path: str):
    """The value at a dotted path; choice fields give their label, methods are called."""
    *parents, last = path.split(".")
    for part in parents:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    display = getattr(obj, f"get_{last}_display", None)
    if callable(display):
        return display()
    value = getattr(obj, last, None)
    if callable(value) and not isinstance(value, (models.Model, models.Manager)):
        value = value()
    return value


def display(value) -> Any:
    """A value as the text of a cell."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return localize(timezone.localtime(value) if timezone.is_aware(value) else value)
    if isinstance(value, (dt.date, int, float)):
        return localize(value)
    if isinstance(value, dict):
        if "coordinates" in value and "type" in value:
            return value["type"]  # a GeoJSON geometry: its type is enough here
        return ", ".join(f"{k}: {display(v)}" for k, v in value.items()) or EMPTY
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def cell(obj, column: Column) -> Cell:
    value = column.value(obj) if column.value is not None else resolve(obj, column.name)
    url = obj.get_absolute_url() if column.link else None
    if url is None and isinstance(value, models.Model) and hasattr(value, "get_absolute_url"):
        url = value.get_absolute_url()
    return Cell(display(value), url)


def row(obj, columns: list[Column]) -> dict:
    return {"object": obj, "cells": [(c, cell(obj, c)) for c in columns]}
