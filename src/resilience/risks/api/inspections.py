"""API of checklists, inspection plans and inspections (``/api/checklists/``, ``/api/inspections/``…).

An inspection is created with ``start_inspection`` and closed with
``POST /api/inspections/{id}/complete/`` — JSON, or multipart with the answers as a JSON string in
``answers`` and one photo per item in ``photo_<item id>``; the response holds the hazards found.
"""
from __future__ import annotations

import json

from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.places.models import Building, Community, Facility, Grid
from resilience.risks import filtersets_inspections as filtersets
from resilience.risks.hazards import Target
from resilience.risks.inspections import complete_inspection, start_inspection
from resilience.risks.models import (
    ChecklistItem, ChecklistTemplate, Inspection, InspectionAnswer, InspectionPlan, RiskSource,
)
from resilience.risks.vocab import Answer


class ChecklistItemSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to change an existing item.")

    class Meta:
        model = ChecklistItem
        fields = ["id", "order", "text", "guidance", "severity", "rectify_days"]
        extra_kwargs = {"order": {"required": False}}


class ChecklistTemplateSerializer(ScopedSerializer):
    items = ChecklistItemSerializer(many=True, required=False,
                                    help_text="The full list of items: items left out are removed.")
    shared = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "community", "shared", "name", "risk_type", "facility_kind",
                  "description", "items", "created", "updated"]

    def get_shared(self, obj) -> bool:
        return obj.community_id is None

    def validate(self, attrs):
        items = attrs.pop("items", None)
        attrs = super().validate(attrs)
        if items is not None:
            attrs["items"] = items
        return attrs

    def create(self, validated_data):
        items = validated_data.pop("items", [])
        template = super().create(validated_data)
        _save_items(template, items)
        return template

    def update(self, instance, validated_data):
        items = validated_data.pop("items", None)
        template = super().update(instance, validated_data)
        if items is not None:
            _save_items(template, items)
        return template


def _save_items(template: ChecklistTemplate, items: list[dict]) -> None:
    existing = {item.pk: item for item in template.items.all()}
    kept = set()
    for n, data in enumerate(items, start=1):
        data = dict(data)
        pk = data.pop("id", None)
        if pk is not None and pk not in existing:
            raise serializers.ValidationError(
                {"items": [_("Item %(id)s is not on this checklist.") % {"id": pk}]})
        item = existing.get(pk) or ChecklistItem(template=template)
        data.setdefault("order", n)
        for name, value in data.items():
            setattr(item, name, value)
        item.save()
        kept.add(item.pk)
    try:
        ChecklistItem.objects.filter(template=template).exclude(pk__in=kept).delete()
    except ProtectedError:
        raise serializers.ValidationError(
            {"items": [_("An item that inspections have answered cannot be removed.")]})


class InspectionPlanSerializer(ScopedSerializer):
    target = serializers.SerializerMethodField()
    community = serializers.PrimaryKeyRelatedField(
        queryset=Community.objects.all(), required=False,
        help_text="Taken from the facility, building, risk source or grid if omitted.")

    class Meta:
        model = InspectionPlan
        fields = ["id", "community", "template", "facility", "building", "risk", "grid", "target",
                  "organisation", "frequency_days", "next_due", "active", "created", "updated"]

    def get_target(self, obj) -> str:
        return str(obj.target)

    def validate(self, attrs):
        merged = {name: attrs.get(name, getattr(self.instance, name, None))
                  for name in ("facility", "building", "risk", "grid")}
        if any(merged.values()):
            target = Target.of(**merged)
            attrs.setdefault("community", Community.objects.get(pk=target.community_id))
            if not merged["grid"] and target.grid is not None:
                attrs["grid"] = target.grid
        template = attrs.get("template", getattr(self.instance, "template", None))
        community = attrs.get("community", getattr(self.instance, "community", None))
        if template is not None and community is not None \
                and template.community_id not in (None, community.pk):
            raise serializers.ValidationError(
                {"template": [_("This checklist belongs to another community.")]})
        return super().validate(attrs)


class InspectionAnswerSerializer(serializers.ModelSerializer):
    item_text = serializers.CharField(source="item.text", read_only=True)
    hazard = serializers.SerializerMethodField()

    class Meta:
        model = InspectionAnswer
        fields = ["id", "item", "item_text", "answer", "note", "photo", "hazard"]

    def get_hazard(self, obj) -> int | None:
        hazard = getattr(obj, "hazard", None)
        return hazard.pk if hazard is not None else None


class InspectionSerializer(ScopedSerializer):
    template_name = serializers.CharField(source="template.name", read_only=True)
    inspector_name = serializers.SerializerMethodField()
    answers = InspectionAnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "community", "plan", "template", "template_name", "facility", "building",
                  "risk", "grid", "inspector", "inspector_name", "organisation", "status",
                  "started_at", "completed_at", "latitude", "longitude", "notes", "answers",
                  "created", "updated"]
        read_only_fields = [f for f in fields if f != "notes"]

    def get_inspector_name(self, obj) -> str:
        return str(obj.inspector) if obj.inspector_id else ""


def _visible(model, request):
    return model.objects.visible_to(request.user, "view") if request else model.objects.none()


class InspectionStartSerializer(serializers.Serializer):
    """What to inspect, with which checklist (a plan gives both)."""

    template = serializers.PrimaryKeyRelatedField(queryset=ChecklistTemplate.objects.none(), required=False)
    plan = serializers.PrimaryKeyRelatedField(queryset=InspectionPlan.objects.none(), required=False)
    facility = serializers.PrimaryKeyRelatedField(queryset=Facility.objects.none(), required=False)
    building = serializers.PrimaryKeyRelatedField(queryset=Building.objects.none(), required=False)
    risk = serializers.PrimaryKeyRelatedField(queryset=RiskSource.objects.none(), required=False)
    grid = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.none(), required=False)
    notes = serializers.CharField(required=False, allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        for name, model in (("template", ChecklistTemplate), ("plan", InspectionPlan),
                            ("facility", Facility), ("building", Building), ("risk", RiskSource),
                            ("grid", Grid)):
            fields[name].queryset = _visible(model, request)
        return fields

    def validate(self, attrs):
        if not attrs.get("template") and not attrs.get("plan"):
            raise serializers.ValidationError({"template": [_("Choose a checklist or a plan.")]})
        return attrs


class AnswerInputSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    answer = serializers.ChoiceField(choices=Answer.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class InspectionCompleteSerializer(serializers.Serializer):
    answers = AnswerInputSerializer(many=True, help_text=(
        "One answer per checklist item. In a multipart request, a JSON string; add a photo for "
        "an item as the file field photo_<item id>."))
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)

    def validate_answers(self, value):
        seen = [a["item"] for a in value]
        twice = sorted({i for i in seen if seen.count(i) > 1})
        if twice:
            raise serializers.ValidationError(
                _("Each item once: answered more than once: %(items)s.")
                % {"items": ", ".join(map(str, twice))})
        return value


class ChecklistTemplateViewSet(ScopedViewSet):
    """Checklists: the shared ones (read-only) and the community's own."""

    model = ChecklistTemplate
    serializer_class = ChecklistTemplateSerializer
    filterset_class = filtersets.ChecklistTemplateFilterSet

    def optimise(self, queryset):
        return queryset.prefetch_related("items")


class InspectionPlanViewSet(ScopedViewSet):
    model = InspectionPlan
    serializer_class = InspectionPlanSerializer
    filterset_class = filtersets.InspectionPlanFilterSet

    def optimise(self, queryset):
        return queryset.select_related("template", "facility", "building", "risk", "grid",
                                       "community")


class InspectionViewSet(ScopedViewSet):
    model = Inspection
    serializer_class = InspectionSerializer
    filterset_class = filtersets.InspectionFilterSet

    def scope_action(self) -> str:
        return "change" if self.action == "complete" else super().scope_action()

    def optimise(self, queryset):
        return queryset.select_related("template", "inspector").prefetch_related(
            "answers__item", "answers__hazard")

    @extend_schema(request=InspectionStartSerializer, responses={201: InspectionSerializer},
                   summary="Start an inspection of a facility, building, risk source or grid")
    def create(self, request, *args, **kwargs):
        given = InspectionStartSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        data = given.validated_data
        inspection = start_inspection(
            request.user, data.get("template"), plan=data.get("plan"),
            **{name: data.get(name) for name in ("facility", "building", "risk", "grid")})
        if data.get("notes"):
            inspection.notes = data["notes"]
            inspection.save()
        inspection = self.optimise(Inspection.objects.filter(pk=inspection.pk)).get()
        return Response(self.get_serializer(inspection).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=InspectionCompleteSerializer,
        responses={200: inline_serializer("InspectionCompleted", {
            "inspection": InspectionSerializer(), "hazards": serializers.ListField(
                child=serializers.DictField(), help_text="The hazards found (failed items)")})},
        summary="Complete an inspection: answer every item; failed items become hazards")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        from resilience.risks.api.hazards import HazardSerializer

        inspection = self.get_object()
        if not isinstance(request.data, dict):  # ``[]`` is not answers: 400, not a 500
            return Response({"non_field_errors": [_("Send an object with the answers.")]},
                            status=status.HTTP_400_BAD_REQUEST)
        payload = {key: request.data.get(key) for key in ("answers", "latitude", "longitude")
                   if request.data.get(key) not in (None, "")}
        if isinstance(payload.get("answers"), str):
            try:
                payload["answers"] = json.loads(payload["answers"])
            except ValueError:
                return Response({"answers": [_("Not valid JSON.")]}, status=status.HTTP_400_BAD_REQUEST)
        given = InspectionCompleteSerializer(data=payload)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        answers = {
            a["item"]: {"answer": a["answer"], "note": a.get("note", ""),
                        "photo": request.FILES.get(f"photo_{a['item']}")}
            for a in data["answers"]
        }
        found = complete_inspection(inspection, request.user, answers,
                                    latitude=data.get("latitude"), longitude=data.get("longitude"))
        inspection = self.optimise(Inspection.objects.filter(pk=inspection.pk)).get()
        context = self.get_serializer_context()
        return Response({
            "inspection": InspectionSerializer(inspection, context=context).data,
            "hazards": HazardSerializer(found, many=True, context=context).data,
        })


def register(router) -> None:
    router.register("checklists", ChecklistTemplateViewSet, basename="checklist")
    router.register("inspection-plans", InspectionPlanViewSet, basename="inspection-plan")
    router.register("inspections", InspectionViewSet, basename="inspection")
