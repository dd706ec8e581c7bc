"""Labels of choice values, looked up in a dict built once per field and language.

Django's ``get_FOO_display()`` rebuilds a dict of the field's choices on every call, and
hashing each lazy label translates it: 130 facilities of 18 kinds cost 2,340 translations, two
thirds of the facilities map layer's time. Lists, map layers and serializers use ``label`` (or
``LabelField``) instead; the answer is the same string.
"""
from __future__ import annotations

from functools import lru_cache

from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@lru_cache(maxsize=512)
def _labels(model, field_name: str, language: str | None) -> dict:
    field = model._meta.get_field(field_name)
    return {value: str(label) for value, label in field.flatchoices}


def label(obj, field_name: str) -> str:
    """``obj.get_<field_name>_display()``, translated into the active language."""
    value = getattr(obj, field_name)
    return _labels(type(obj)._meta.concrete_model, field_name, get_language()).get(
        value, "" if value is None else str(value))


@extend_schema_field(OpenApiTypes.STR)
class LabelField(serializers.Field):
    """Read-only: the label of the choice in ``field_name`` (e.g. ``kind_label`` of ``kind``)."""

    def __init__(self, field_name: str, **kwargs) -> None:
        self.field_name_of_choice = field_name
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj) -> str:
        return label(obj, self.field_name_of_choice)
