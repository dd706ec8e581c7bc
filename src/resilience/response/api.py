"""The response API: ``/api/plans/``, ``/api/incidents/``, ``/api/tasks/``, ``/api/rollcalls/``
and ``/api/rollcall-entries/``.

Steps that change state are actions calling ``response.services`` (activate, close, report;
accept, progress, complete, assign, cancel; mark): a refused step is a 400 naming the field and
the reason (or 403 when the user may not take it at all), and nothing is half written.
"""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.places.models import Building, Grid
from resilience.response.models import (
    Incident, IncidentEvent, Plan, PlanLevel, PlanRole, PlanTask, RollCall, RollCallEntry,
    SituationReport, Task, TaskEvent,
)
from resilience.response.services import incidents, plans, rollcall as roll
from resilience.response.services import tasks as flow
from resilience.response.vocab import CommandRole, ResponseLevel, RollCallStatus, Scenario


# -- plans ------------------------------------------------------------------------------------
class PlanLevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanLevel
        fields = ("level", "criteria", "criteria_en")


class PlanTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanTask
        fields = ("id", "level", "phase", "role", "title", "title_en", "time_limit", "order")


class PlanRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanRole
        fields = ("id", "role", "user", "grid")


class PlanSerializer(ScopedSerializer):
    levels = PlanLevelSerializer(many=True, read_only=True)
    tasks = PlanTaskSerializer(many=True, read_only=True)
    roles = PlanRoleSerializer(many=True, read_only=True)
    review_due = serializers.DateField(read_only=True)
    review_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Plan
        fields = ("id", "community", "scenario", "name", "name_en", "version", "previous",
                  "status", "summary", "resources", "contacts", "reviewed_on", "reviewed_by",
                  "review_due", "review_overdue", "levels", "tasks", "roles", "created", "updated")
        read_only_fields = ("version", "previous", "status", "reviewed_on", "reviewed_by")


class FromTemplateSerializer(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(queryset=Plan._meta.get_field(
        "community").related_model.objects.all())
    scenario = serializers.ChoiceField(choices=[s for s in Scenario.choices
                                                if s[0] != Scenario.OTHER])

    def validate_community(self, community):
        if not can_any_add(self.context["request"].user, community):
            raise serializers.ValidationError(_("You may not write plans for this community."))
        return community


def can_any_add(user, community) -> bool:
    """Whether ``user`` may add a plan in ``community`` (tried on an unsaved plan's scope)."""
    from resilience.core.roles import Role
    from resilience.core.scope import memberships_of

    if user.is_superuser:
        return True
    return any(m.role == Role.ADMIN or (m.role == Role.STAFF and m.community_id == community.pk)
               for m in memberships_of(user))


class PlanCriteriaSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=ResponseLevel.choices)
    criteria = serializers.CharField()
    criteria_en = serializers.CharField(required=False, allow_blank=True, default="")


class PlanRoleAssignSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=CommandRole.choices)
    user = serializers.IntegerField()
    grid = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.all(), required=False,
                                              allow_null=True)


class PlanViewSet(ScopedViewSet):
    model = Plan
    serializer_class = PlanSerializer
    filterset_fields = ("community", "scenario", "status")

    def optimise(self, queryset):
        return queryset.prefetch_related("levels", "tasks", "roles")

    def _result(self, plan, code=200) -> Response:
        plan = self.optimise(Plan.objects.all()).get(pk=plan.pk)
        return Response(PlanSerializer(plan, context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(request=FromTemplateSerializer, responses=PlanSerializer,
                   summary="A community's plan for a scenario, from the template (next version)")
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request):
        data = FromTemplateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        plan = plans.from_template(data.validated_data["community"],
                                   data.validated_data["scenario"], request.user)
        return self._result(plan, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PlanSerializer, summary="A draft copy as the next version")
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        return self._result(plans.new_version(self.get_object(), request.user),
                            status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PlanSerializer,
                   summary="Put this version in force (the previous one is retired)")
    @action(detail=True, methods=["post"], url_path="put-in-force")
    def put_in_force(self, request, pk=None):
        return self._result(plans.put_in_force(self.get_object(), request.user))

    @extend_schema(request=None, responses=PlanSerializer, summary="Record the yearly review")
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._result(plans.review(self.get_object(), request.user))

    @extend_schema(request=PlanRoleAssignSerializer, responses=PlanSerializer,
                   summary="Name who holds a command role")
    @action(detail=True, methods=["post"])
    def roles(self, request, pk=None):
        from django.contrib.auth import get_user_model

        plan = self.get_object()
        data = PlanRoleAssignSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        holder = get_user_model().objects.filter(pk=data.validated_data["user"]).first()
        if holder is None:
            raise serializers.ValidationError({"user": [_("No such user.")]})
        plans.assign_role(plan, request.user, data.validated_data["role"], holder,
                          data.validated_data.get("grid"))
        return self._result(plan)

    @extend_schema(request=PlanTaskSerializer, responses=PlanSerializer,
                   summary="Add a task to a draft plan")
    @action(detail=True, methods=["post"], url_path="tasks")
    def add_task(self, request, pk=None):
        plan = self.get_object()
        data = PlanTaskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plans.add_task(plan, request.user, **data.validated_data)
        return self._result(plan, status.HTTP_201_CREATED)

    @extend_schema(request=PlanCriteriaSerializer, responses=PlanSerializer,
                   summary="Set the activation criteria of one level of a draft plan")
    @action(detail=True, methods=["post"], url_path="criteria")
    def criteria(self, request, pk=None):
        plan = self.get_object()
        data = PlanCriteriaSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plans.set_criteria(plan, request.user, **data.validated_data)
        return self._result(plan)

    @extend_schema(responses=PlanSerializer(many=True),
                   summary="Plans in force whose yearly review is overdue")
    @action(detail=False, methods=["get"], url_path="review-overdue")
    def review_overdue(self, request):
        queryset = plans.review_overdue(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = PlanSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


# -- incidents --------------------------------------------------------------------------------
class IncidentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentEvent
        fields = ("time", "user", "action", "note")


class SituationReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = SituationReport
        exclude = ("incident",)


class IncidentSerializer(ScopedSerializer):
    area_grids = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.all(), many=True,
                                                    required=False)
    area_buildings = serializers.PrimaryKeyRelatedField(queryset=Building.objects.all(),
                                                        many=True, required=False)

    class Meta:
        model = Incident
        fields = ("id", "community", "title", "scenario", "description", "status", "alert",
                  "plan", "level", "whole_community", "area_grids", "area_buildings", "injured",
                  "needs", "lessons", "opened_by", "activated_at", "closed_at", "created",
                  "updated")
        read_only_fields = ("status", "plan", "level", "whole_community", "injured", "lessons",
                            "opened_by", "activated_at", "closed_at")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        community = attrs.get("community") or getattr(self.instance, "community", None)
        if self.instance is not None and "community" in attrs \
                and attrs["community"].pk != self.instance.community_id:
            raise serializers.ValidationError(
                {"community": [_("An incident stays in the community it was opened in.")]})
        for name in ("area_grids", "area_buildings"):
            if community and any(p.community_id != community.pk for p in attrs.get(name, ())):
                raise serializers.ValidationError(
                    {name: [_("Choose places of the incident's own community.")]})
        return attrs


class IncidentActivateSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    level = serializers.ChoiceField(choices=ResponseLevel.choices)


class IncidentCloseSerializer(serializers.Serializer):
    lessons = serializers.CharField(help_text="The review: what happened, what to change.")


class IncidentReportSerializer(serializers.Serializer):
    injured = serializers.IntegerField(min_value=0, required=False)
    needs = serializers.CharField(required=False, allow_blank=True)


class IncidentNoteSerializer(serializers.Serializer):
    note = serializers.CharField()


class IncidentViewSet(ScopedViewSet):
    model = Incident
    serializer_class = IncidentSerializer
    filterset_fields = ("community", "status", "scenario", "alert")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def optimise(self, queryset):
        return queryset.prefetch_related("area_grids", "area_buildings")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        incident = incidents.open_incident(
            self.request.user, data.pop("community"), title=data.get("title", ""),
            scenario=data.get("scenario", ""), description=data.get("description", ""),
            alert=data.get("alert"), grids=data.get("area_grids", ()),
            buildings=data.get("area_buildings", ()))
        serializer.instance = incident

    def perform_update(self, serializer):
        with transaction.atomic():
            super().perform_update(serializer)
            incident = serializer.instance
            if {"area_grids", "area_buildings"} & set(serializer.validated_data):
                # The area is the places chosen; none chosen means the whole community.
                incident.whole_community = not (incident.area_grids.exists()
                                                or incident.area_buildings.exists())
                incident.save()

    def _result(self, incident) -> Response:
        incident = self.optimise(Incident.objects.all()).get(pk=incident.pk)
        return Response(IncidentSerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(request=IncidentActivateSerializer, responses=IncidentSerializer,
                   summary="Activate a plan at a level: creates and assigns its tasks")
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        incident = self.get_object()
        data = IncidentActivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = Plan.objects.visible_to(request.user, "view").filter(
            pk=data.validated_data["plan"]).first()
        if plan is None:
            raise serializers.ValidationError({"plan": [_("No such plan in your scope.")]})
        incidents.activate(incident, request.user, plan, data.validated_data["level"])
        return self._result(incident)

    @extend_schema(request=IncidentCloseSerializer, responses=IncidentSerializer,
                   summary="Close with the review; open tasks are cancelled")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        incident = self.get_object()
        data = IncidentCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incidents.close(incident, request.user, data.validated_data["lessons"])
        return self._result(incident)

    @extend_schema(request=IncidentReportSerializer, responses=SituationReportSerializer,
                   summary="Save a situation report (live numbers + injured and needs)")
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        incident = self.get_object()
        data = IncidentReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sitrep = incidents.report(incident, request.user, **data.validated_data)
        return Response(SituationReportSerializer(sitrep).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, summary="The live numbers of the situation")
    @action(detail=True, methods=["get"])
    def situation(self, request, pk=None):
        return Response(incidents.situation(self.get_object()))

    @extend_schema(request=None, responses=IncidentEventSerializer(many=True),
                   summary="The timeline")
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        events = self.get_object().events.all()
        return Response(IncidentEventSerializer(events, many=True).data)

    @extend_schema(request=IncidentNoteSerializer, responses=IncidentEventSerializer,
                   summary="Write a line on the timeline")
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        data = IncidentNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = incidents.note(self.get_object(), request.user, data.validated_data["note"])
        return Response(IncidentEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, summary="Start a roll-call of the area's vulnerable residents")
    @action(detail=True, methods=["post"])
    def rollcall(self, request, pk=None):
        started = roll.start(self.get_object(), request.user)
        return Response(RollCallSerializer(started, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


# -- tasks ------------------------------------------------------------------------------------
class TaskEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskEvent
        fields = ("time", "user", "action", "from_status", "to_status", "note", "photo")


class TaskSerializer(ScopedSerializer):
    events = TaskEventSerializer(many=True, read_only=True)

    class Meta:
        model = Task
        fields = ("id", "community", "title", "description", "status", "priority", "source",
                  "assignee", "due", "alert", "resident", "grid", "building", "incident", "role",
                  "phase", "escalation_level", "escalated_at", "created_by", "accepted_at",
                  "completed_at", "outcome", "created", "updated", "events")
        read_only_fields = ("status", "source", "assignee", "incident", "role", "phase",
                            "escalation_level", "escalated_at", "created_by", "accepted_at",
                            "completed_at", "outcome")


class TaskStepSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    photo = serializers.FileField(required=False)


class TaskAssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TaskViewSet(ScopedViewSet):
    model = Task
    serializer_class = TaskSerializer
    filterset_fields = ("community", "status", "assignee", "incident", "grid", "source")
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def optimise(self, queryset):
        return queryset.prefetch_related("events")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.query_params.get("mine") in ("1", "true"):
            queryset = queryset.filter(assignee=self.request.user)
        return queryset

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.validated_data["created_by"] = self.request.user
            super().perform_create(serializer)

    def _step(self, request, step, with_photo=True) -> Response:
        task = self.get_object()
        data = TaskStepSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kwargs = {"note": data.validated_data["note"]}
        if with_photo and data.validated_data.get("photo") is not None:
            kwargs["photo"] = data.validated_data["photo"]
        step(task, request.user, **kwargs)
        task = self.optimise(Task.objects.all()).get(pk=task.pk)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(request=TaskStepSerializer, responses=TaskSerializer, summary="Accept the task")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._step(request, flow.accept, with_photo=False)

    @extend_schema(request=TaskStepSerializer, responses=TaskSerializer,
                   summary="Start, or note progress (optional photo)")
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        return self._step(request, flow.progress)

    @extend_schema(request=TaskStepSerializer, responses=TaskSerializer,
                   summary="Done, with notes and an optional photo")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._step(request, flow.complete)

    @extend_schema(request=TaskStepSerializer, responses=TaskSerializer,
                   summary="Call the task off (staff; a reason is required)")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(request, flow.cancel, with_photo=False)

    @extend_schema(request=TaskAssignSerializer, responses=TaskSerializer,
                   summary="Give the task to someone (staff)")
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        from django.contrib.auth import get_user_model

        task = self.get_object()
        data = TaskAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignee = get_user_model().objects.filter(pk=data.validated_data["assignee"]).first()
        if assignee is None:
            raise serializers.ValidationError({"assignee": [_("No such user.")]})
        flow.assign(task, request.user, assignee, data.validated_data["note"])
        task = self.optimise(Task.objects.all()).get(pk=task.pk)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)


# -- roll-call --------------------------------------------------------------------------------
class RollCallSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = RollCall
        fields = ("id", "incident", "community", "started_by", "closed_at", "total_distance_m",
                  "created", "progress")

    def get_progress(self, obj) -> dict:
        return roll.progress(obj)


class RollCallEntrySerializer(serializers.ModelSerializer):
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    needs = serializers.SerializerMethodField()

    class Meta:
        model = RollCallEntry
        fields = ("id", "rollcall", "resident", "resident_name", "needs", "building", "grid",
                  "helper", "helper_kind", "distance_m", "priority", "status", "note",
                  "marked_by", "marked_at")

    def get_needs(self, obj) -> list[str]:
        request = self.context.get("request")
        return roll.needs_of(obj.resident, request.user) if request else []


class RollCallMarkSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s for s in RollCallStatus.choices
                                              if s[0] != RollCallStatus.PENDING])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class ReadOnlyScopedViewSet(ScopedViewSet):
    """Read only through the API; changes go through actions (``mark``, ``rollcall``)."""

    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(exclude=True)  # refused: the schema must not offer it
    def create(self, request, *args, **kwargs):
        raise MethodNotAllowed("POST")


class RollCallViewSet(ReadOnlyScopedViewSet):
    model = RollCall
    serializer_class = RollCallSerializer
    filterset_fields = ("incident", "community")


class RollCallEntryViewSet(ReadOnlyScopedViewSet):
    """Entries the user may see, and always those they are the helper of."""

    model = RollCallEntry
    serializer_class = RollCallEntrySerializer
    filterset_fields = ("rollcall", "status", "grid", "helper")

    def get_queryset(self):
        user = self.request.user
        visible = RollCallEntry.objects.visible_to(user, "view")
        mine = RollCallEntry.objects.filter(helper=user) if user.is_authenticated else visible
        queryset = (visible | mine).distinct().select_related("resident")
        if self.request.query_params.get("mine") in ("1", "true"):
            queryset = queryset.filter(helper=user)
        return queryset

    @extend_schema(request=RollCallMarkSerializer, responses=RollCallEntrySerializer,
                   summary="Mark the resident safe / needs help / evacuated / unreachable")
    @action(detail=True, methods=["post"])
    def mark(self, request, pk=None):
        entry = self.get_object()
        data = RollCallMarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        roll.mark(entry, request.user, data.validated_data["status"], data.validated_data["note"])
        entry = RollCallEntry.objects.select_related("resident").get(pk=entry.pk)
        return Response(RollCallEntrySerializer(entry, context=self.get_serializer_context()).data)


def register(router) -> None:
    router.register("plans", PlanViewSet, basename="plan")
    router.register("incidents", IncidentViewSet, basename="incident")
    router.register("tasks", TaskViewSet, basename="task")
    router.register("rollcalls", RollCallViewSet, basename="rollcall")
    router.register("rollcall-entries", RollCallEntryViewSet, basename="rollcallentry")
