"""The shared base of every model's API: scoped querysets, scoped references, one write rule.

A viewset is a few lines (model, serializer, filterset). Reads start from
``visible_to(user, action)``; writes run ``model.clean()``, save inside a transaction and keep the
result only if the user may ``add``/``change`` the saved row — so a write that would place a record
outside the user's scope is refused by the same rule that filters reads, and nothing is left half
written.
"""
from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from resilience.core.actor import _actor, _source
from resilience.core.api.errors import error_detail
from resilience.core.scope import can

ACTION_OF = {
    "list": "view", "retrieve": "view", "create": "add", "update": "change",
    "partial_update": "change", "destroy": "delete",
}


def _scoped(queryset, user):
    # ModelSerializer hands related fields the model's manager, not a queryset.
    if hasattr(queryset, "visible_to"):
        return queryset.visible_to(user, "view")
    return queryset


class ScopedSerializer(serializers.ModelSerializer):
    """References accept only objects the requesting user may see; ``model.clean()`` runs."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in fields.values():
            target = getattr(field, "child_relation", field)
            if isinstance(target, serializers.RelatedField) and getattr(target, "queryset", None) is not None:
                target.queryset = _scoped(target.queryset, user)
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        many = {f.name for f in model._meta.many_to_many}
        for name, value in attrs.items():
            if name not in many:
                setattr(instance, name, value)
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(error_detail(exc))
        return attrs

    def _save(self, instance, validated_data):
        many = {f.name: validated_data.pop(f.name) for f in instance._meta.many_to_many
                if f.name in validated_data}
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.clean()  # again on the real instance: it may derive values (centroid, community)
        instance.save()
        for name, value in many.items():
            getattr(instance, name).set(value)
        return instance

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class ScopedViewSet(viewsets.ModelViewSet):
    """CRUD over one model, restricted to the requesting user's scope."""

    model = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Attribute changes made by this request to the authenticated user (token or session).
        self._actor_tokens = (_actor.set(request.user if request.user.is_authenticated else None),
                              _source.set("api"))

    def finalize_response(self, request, response, *args, **kwargs):
        tokens = getattr(self, "_actor_tokens", None)
        if tokens:
            _actor.reset(tokens[0])
            _source.reset(tokens[1])
            self._actor_tokens = None
        return super().finalize_response(request, response, *args, **kwargs)

    def scope_action(self) -> str:
        return ACTION_OF.get(self.action, "view")

    def get_queryset(self):
        queryset = self.model.objects.visible_to(self.request.user, self.scope_action())
        return self.optimise(queryset)

    def optimise(self, queryset):
        """Override to add select_related / prefetch_related for the serializer."""
        return queryset

    def get_object(self):
        # Not visible at all → 404; visible but the action is not allowed → 403.
        try:
            return super().get_object()
        except Http404:
            if self.scope_action() != "view":
                lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
                try:
                    visible = self.model.objects.visible_to(self.request.user, "view").filter(**lookup).exists()
                except (TypeError, ValueError, DjangoValidationError):
                    visible = False  # not a key at all (``/api/units/abc/``): 404, not 500
                if visible:
                    raise PermissionDenied(_("You may see this record but not change or delete it."))
            raise

    def perform_create(self, serializer):
        with transaction.atomic():
            obj = serializer.save()
            if not can(self.request.user, "add", obj):
                raise PermissionDenied(_("You may not add this record here: it is outside your scope."))

    def perform_update(self, serializer):
        with transaction.atomic():
            obj = serializer.save()
            if not can(self.request.user, "change", obj):
                raise PermissionDenied(_("You may not move this record outside your scope."))

    def perform_destroy(self, instance):
        from django.db.models import ProtectedError

        try:
            instance.delete()
        except ProtectedError as exc:
            names = sorted({type(o)._meta.verbose_name_plural for o in exc.protected_objects})
            raise serializers.ValidationError(
                {"non_field_errors": [_("Cannot delete: still referenced by %(names)s.") % {"names": ", ".join(map(str, names))}]}
            )
