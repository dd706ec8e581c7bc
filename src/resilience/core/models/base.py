"""Abstract models shared by every domain record."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from resilience.core.scope import ScopedQuerySet


class TimeStampedModel(models.Model):
    """Adds ``created`` and ``updated`` times."""

    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class ChangeLoggedModel(TimeStampedModel):
    """Every save and delete writes a before/after snapshot to ``ChangeLogEntry``.

    Fields listed in ``sensitive_fields`` are logged as changed/unchanged, never in clear.
    """

    sensitive_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True


class ScopedModel(ChangeLoggedModel):
    """A record that lives somewhere in the scope hierarchy.

    ``scope_paths`` maps a scope level (``region``, ``community``, ``grid``, ``household``,
    ``organisation``, ``user``) to the ORM path of the node this record belongs to; the queryset
    method ``visible_to(user, action)`` uses it with the role policy in ``core.permissions``.
    """

    scope_paths: dict[str, str] = {}

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def foreign_community_errors(self, *names: str) -> dict:
        """``{field: reason}`` for each named reference that lies in another community."""
        errors = {}
        for name in names:
            related = getattr(self, name) if getattr(self, f"{name}_id") else None
            if related is not None and self.community_id and related.community_id != self.community_id:
                errors[name] = _("It belongs to another community.")
        return errors
