"""The requests and dispatch API.

- ``/api/requests/``: needs requests in the user's scope; ``POST`` files one (a resident for
  their own household, a grid worker in their grid, staff in their community — a household out
  of scope is a 400 naming ``household``); actions ``assign``, ``pickup``, ``deliver`` (a note
  and/or a ``proof`` photo; stock issued) and ``cannot-fulfil`` (a reason). Steps run through the
  state machine, so they are the only way to change a request's status.
- ``/api/volunteers/dispatch/``: dispatch batches (the volunteer's, or the community's for
  staff); ``POST plan/`` proposes batches for a community, ``POST <id>/confirm/`` and
  ``POST confirm-all/`` assign them, ``GET mine/`` lists my batches with their route-ordered
  stops. It is registered *before* the people app's ``/api/volunteers/`` so the ``dispatch``
  segment is not taken for a volunteer id.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.errors import error_detail
from resilience.people.models import Volunteer
from resilience.places.models import Community
from resilience.relief import dispatch
from resilience.relief import requests as service
from resilience.relief.filtersets_requests import DispatchBatchFilterSet, NeedRequestFilterSet
from resilience.relief.models import DispatchBatch, NeedRequest
from resilience.relief.priority import explain


def _run(fn, *args, **kwargs):
    """Call a service; its ValidationError becomes a 400 naming the field, PermissionDenied 403."""
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        raise serializers.ValidationError(error_detail(exc))
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None)


class NeedRequestSerializer(ScopedSerializer):
    priority_explained = serializers.SerializerMethodField(
        help_text="Each part of the priority with its points, as a sentence.")

    class Meta:
        model = NeedRequest
        fields = ("id", "community", "household", "resident", "building", "grid", "kind",
                  "visit_reason", "urgency", "description", "medicine", "days_left", "item",
                  "quantity", "status", "priority", "priority_reasons", "priority_explained",
                  "due_at", "escalated_at", "volunteer", "batch", "proof", "proof_note",
                  "outcome_reason", "closed_at", "created_by", "created", "updated")
        read_only_fields = ("community", "building", "grid", "status", "priority",
                            "priority_reasons", "due_at", "escalated_at", "volunteer", "batch",
                            "proof", "proof_note", "outcome_reason", "closed_at", "created_by")

    def get_priority_explained(self, request) -> str:
        user = getattr(self.context.get("request"), "user", None)
        health = user is not None and service.shows_health(user)
        return explain(request.priority_reasons, health=health)

    def validate(self, attrs):
        # The community follows the household; clean() needs it before the save.
        household = attrs.get("household")
        if household is not None and self.instance is None:
            attrs["community"] = household.community
        return super().validate(attrs)


class RequestAssignSerializer(serializers.Serializer):
    volunteer = serializers.PrimaryKeyRelatedField(queryset=Volunteer.objects.all())
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RequestDeliverSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    proof = serializers.FileField(required=False, allow_null=True, default=None)


class RequestNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RequestReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class NeedRequestViewSet(ScopedViewSet):
    model = NeedRequest
    serializer_class = NeedRequestSerializer
    filterset_class = NeedRequestFilterSet
    parser_classes = (JSONParser, MultiPartParser, FormParser)
    http_method_names = ["get", "post", "head", "options"]

    def optimise(self, queryset):
        return queryset.select_related("community", "household", "building", "item")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = _run(
            service.file_request, self.request.user, household=data["household"],
            kind=data["kind"], resident=data.get("resident"),
            visit_reason=data.get("visit_reason", ""), urgency=data.get("urgency"),
            description=data.get("description", ""), medicine=data.get("medicine", ""),
            days_left=data.get("days_left"), item=data.get("item"),
            quantity=data.get("quantity"))

    def _answer(self, request_obj):
        request_obj.refresh_from_db()
        return Response(NeedRequestSerializer(request_obj,
                                              context=self.get_serializer_context()).data)

    def _object(self):
        # Custom steps look the request up with "view"; each step checks who may take it.
        return self.get_object()

    @extend_schema(request=RequestAssignSerializer, responses=NeedRequestSerializer,
                   summary="Assign the request to a volunteer")
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Staff or the grid worker give the request to an active volunteer of its community."""
        obj = self._object()
        form = RequestAssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        _run(service.assign, obj, request.user, form.validated_data["volunteer"],
             note=form.validated_data["note"])
        return self._answer(obj)

    @extend_schema(request=RequestNoteSerializer, responses=NeedRequestSerializer,
                   summary="Picked up: on the way")
    @action(detail=True, methods=["post"])
    def pickup(self, request, pk=None):
        """The volunteer holding the request has what to bring and is on the way."""
        obj = self._object()
        form = RequestNoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        _run(service.pick_up, obj, request.user, form.validated_data["note"])
        return self._answer(obj)

    @extend_schema(request=RequestDeliverSerializer, responses=NeedRequestSerializer,
                   summary="Delivered, with a note and/or a photo as proof")
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        """Fulfilled. A request for a supply item issues it from stock; not enough usable
        stock is a 400 naming ``item`` and nothing changes."""
        obj = self._object()
        form = RequestDeliverSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        _run(service.deliver, obj, request.user, note=form.validated_data["note"],
             photo=form.validated_data["proof"])
        return self._answer(obj)

    @extend_schema(request=RequestReasonSerializer, responses=NeedRequestSerializer,
                   summary="Cannot be fulfilled (reason required)")
    @action(detail=True, methods=["post"], url_path="cannot-fulfil")
    def cannot_fulfil(self, request, pk=None):
        """Close the request as not possible to fulfil, with the reason."""
        obj = self._object()
        form = RequestReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        _run(service.cannot_fulfil, obj, request.user, form.validated_data["reason"])
        return self._answer(obj)


class DispatchBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = DispatchBatch
        fields = ("id", "community", "building", "volunteer", "status", "route", "picks",
                  "distance_m", "created_by", "created", "updated")
        read_only_fields = fields


class DispatchStopSerializer(serializers.Serializer):
    request = serializers.IntegerField()
    kind = serializers.CharField()
    address = serializers.CharField()
    name = serializers.CharField()
    phone_masked = serializers.CharField()
    bring = serializers.CharField(allow_blank=True)
    status = serializers.CharField()


class DispatchCommunitySerializer(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(queryset=Community.objects.all())

    def validate_community(self, value):
        user = self.context["request"].user
        if not Community.objects.visible_to(user, "view").filter(pk=value.pk).exists():
            raise serializers.ValidationError(_("You may not see this community."))
        return value


class DispatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Dispatch batches in the user's scope (a volunteer: their own)."""

    serializer_class = DispatchBatchSerializer
    filterset_class = DispatchBatchFilterSet
    queryset = DispatchBatch.objects.none()

    def get_queryset(self):
        return DispatchBatch.objects.visible_to(self.request.user, "view").select_related(
            "building", "volunteer")

    @extend_schema(request=DispatchCommunitySerializer, summary="Propose batches for a community",
                   responses=inline_serializer("DispatchPlan", {
                       "batches": DispatchBatchSerializer(many=True),
                       "short_stock": serializers.ListField(child=serializers.IntegerField()),
                       "short_helpers": serializers.ListField(child=serializers.IntegerField())}))
    @action(detail=False, methods=["post"])
    def plan(self, request):
        """Match the community's open requests to stock and volunteers; the batches are saved
        as planned (replacing the previous unconfirmed plan) for review."""
        form = DispatchCommunitySerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        proposal = _run(dispatch.propose, form.validated_data["community"], request.user)
        return Response({"batches": DispatchBatchSerializer(proposal.batches, many=True).data,
                         "short_stock": proposal.short_stock,
                         "short_helpers": proposal.short_helpers}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=DispatchBatchSerializer,
                   summary="Confirm a planned batch: its requests are assigned")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        batch = self.get_object()
        return Response(DispatchBatchSerializer(_run(dispatch.confirm, batch, request.user)).data)

    @extend_schema(request=DispatchCommunitySerializer, summary="Confirm every planned batch",
                   responses=inline_serializer("DispatchConfirmed",
                                               {"assigned": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="confirm-all")
    def confirm_all(self, request):
        form = DispatchCommunitySerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        community = form.validated_data["community"]
        if not dispatch.can_dispatch(request.user, community):
            raise PermissionDenied(_("You may not dispatch in this community."))
        return Response({"assigned": _run(dispatch.confirm_all, community, request.user)})

    @extend_schema(summary="My batches, in route order, with their stops",
                   responses=inline_serializer("MyBatch", {
                       "batch": DispatchBatchSerializer(), "stops": DispatchStopSerializer(many=True)},
                       many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])  # a plain list
    def mine(self, request):
        """The signed-in volunteer's dispatched batches; each stop carries only what the trip
        needs (address, what to bring, first name, masked phone)."""
        out = []
        for batch in dispatch.batches_of(request.user):
            stops = []
            for stop in dispatch.stops(batch, request.user):
                r, pick = stop["request"], stop["pick"]
                bring = f"{r.item} × {pick['quantity']}" if pick and r.item_id else (
                    r.medicine or "")
                stops.append({"request": r.pk, "kind": r.kind, "address": stop["address"],
                              "name": stop["name"], "phone_masked": stop["phone_masked"],
                              "bring": bring, "status": r.status})
            out.append({"batch": DispatchBatchSerializer(batch).data, "stops": stops})
        return Response(out)


def register(router) -> None:
    router.register("requests", NeedRequestViewSet, basename="needrequest")
    router.register("volunteers/dispatch", DispatchViewSet, basename="dispatchbatch")
    # Before people's ``volunteers`` route, whose ``volunteers/<pk>/`` would swallow "dispatch".
    entry = router.registry.pop()
    index = next((i for i, (prefix, *_rest) in enumerate(router.registry)
                  if prefix == "volunteers"), len(router.registry))
    router.registry.insert(index, entry)
