"""The mutual-aid and region-wide warning API.

- ``/api/street/aid-requests/`` — requests: staff ``POST`` one for their community; the office
  lists its street's, ``PATCH {"status": "cancelled"}`` withdraws one, ``GET …/{id}/offers/``
  shows what the other communities can give;
- ``/api/street/transfers/``, ``/api/street/loans/`` (with ``POST …/{id}/end/``),
  ``/api/street/referrals/`` — the office records steps; a refusal is a 400 naming the field;
- ``/api/street/broadcasts/`` — ``POST`` a new warning, or ``{"source": <alert id>, …}`` to
  relay one, to the listed (or ``"all": true``) communities of the office's region.

Every read starts from ``visible_to``; every write goes through ``street.aid`` or
``street.broadcasts``, which keep a row only if the user may add it.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.alerts.models import Alert
from resilience.core.api.errors import error_detail
from resilience.people.models import Volunteer
from resilience.places.models import Community, Facility
from resilience.relief.models import Item
from resilience.street import aid, broadcasts, offers
from resilience.street.forms import staff_communities
from resilience.street.models import (AidRequest, Broadcast, ShelterReferral, StockTransfer,
                                      VolunteerLoan)
from resilience.street.vocab import AidKind, AidStatus


def _pick(queryset, pk, field: str, what: str):
    """The row ``pk`` of ``queryset`` (what the user may see), or a 400 naming ``field``."""
    if pk in (None, ""):
        raise ValidationError({field: _("This field is required.")})
    try:
        found = queryset.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise ValidationError({field: _("No such %(what)s that you may use.") % {"what": what}})
    return found


def _run(call, serializer, *, many: bool = False):
    """Run a service call: its ValidationError is a 400 naming the field, PermissionDenied 403."""
    try:
        result = call()
    except ValidationError as exc:
        return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None)
    return Response(serializer(result, many=many).data, status=status.HTTP_201_CREATED)


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Lists and single rows of ``model`` the user may view."""

    model = None
    related: tuple = ()

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).select_related(*self.related)


# --- requests ------------------------------------------------------------------------------

class AidRequestSerializer(serializers.ModelSerializer):
    given = serializers.SerializerMethodField()

    class Meta:
        model = AidRequest
        fields = ("id", "community", "region", "kind", "item_name", "unit", "quantity",
                  "needed_by", "reason", "status", "given", "created", "updated")
        read_only_fields = ("region", "status", "created", "updated")

    def get_given(self, obj) -> str:
        return f"{aid.given(obj):f}"


class AidRequestInput(serializers.Serializer):
    community = serializers.IntegerField(required=False)
    kind = serializers.CharField()
    quantity = serializers.CharField()
    item_name = serializers.CharField(required=False, allow_blank=True, default="")
    unit = serializers.CharField(required=False, allow_blank=True, default="")
    needed_by = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AidRequestStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[AidStatus.CANCELLED])


class AidRequestViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadViewSet):
    """Mutual-aid requests of the user's community (staff) or street (office)."""

    model = AidRequest
    serializer_class = AidRequestSerializer
    related = ("community",)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        wanted = self.request.query_params.get("status")
        return queryset.filter(status=wanted) if wanted in AidStatus.values else queryset

    @extend_schema(request=AidRequestInput, responses=AidRequestSerializer)
    def create(self, request, *args, **kwargs):
        """Ask the street for help; ``community`` may be left out by staff of one community."""
        form = AidRequestInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)

        def call():
            community_id = data.pop("community", None)
            mine = staff_communities(request.user)
            if community_id is None and mine.count() == 1:
                community = mine.first()
            else:
                community = _pick(Community.objects.visible_to(request.user), community_id,
                                  "community", _("community"))
            return aid.open_request(request.user, community, **data)

        return _run(call, AidRequestSerializer)

    @extend_schema(request=AidRequestStatusInput, responses=AidRequestSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Only ``{"status": "cancelled"}``: withdraw the request."""
        obj = self._changeable()
        # A body that is not an object (``[]``) has no status: the same 400, not a 500.
        wanted = request.data.get("status") if isinstance(request.data, dict) else None
        if wanted != AidStatus.CANCELLED:
            return Response({"status": [_("Only “cancelled” can be set here; the steps set the "
                                          "other statuses.")]}, status=400)
        try:
            aid.cancel_request(obj, request.user)
        except ValidationError as exc:
            return Response(error_detail(exc), status=400)
        return Response(AidRequestSerializer(obj).data)

    def _changeable(self) -> AidRequest:
        obj = self.get_object()
        if not AidRequest.objects.visible_to(self.request.user, "change").filter(
                pk=obj.pk).exists():
            raise PermissionDenied(_("You may see this request but not change it."))
        return obj

    @action(detail=True)
    def offers(self, request, pk=None):
        """What the other communities of the street can give (the office only)."""
        obj = self._changeable()
        if not _is_office(request.user):
            raise PermissionDenied(_("Only the street office sees the other communities."))
        found = offers.offers_for(obj)
        if obj.kind == AidKind.SUPPLIES:
            rows = [{"community": o.community.pk, "item": o.item.pk, "item_name": o.item.name,
                     "unit": o.item.unit, "warehouse": o.warehouse.pk, "usable": f"{o.usable:f}",
                     "exact": o.exact, "give": f"{o.give:f}",
                     "days_before": None if o.days_before is None else f"{o.days_before:f}",
                     "days_after": None if o.days_after is None else f"{o.days_after:f}"}
                    for o in found["supplies"]]
        elif obj.kind == AidKind.VOLUNTEERS:
            rows = [{"community": g.community.pk,
                     "volunteers": [{"id": v.pk, "name": v.name} for v in g.volunteers]}
                    for g in found["volunteers"]]
        else:
            rows = [{"community": r["community"].pk, "shelter": r["shelter"].pk,
                     "name": str(r["shelter"]), "free": r["free"]} for r in found["shelters"]]
        return Response(rows)


def _is_office(user) -> bool:
    from resilience.core.scope import can_any

    return can_any(user, "add", StockTransfer)


def _request_of(user, pk):
    if pk in (None, ""):
        return None
    return _pick(AidRequest.objects.visible_to(user, "change"), pk, "request", _("request"))


# --- steps ---------------------------------------------------------------------------------

class StockTransferSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockTransfer
        fields = ("id", "region", "request", "from_community", "to_community", "from_item",
                  "to_item", "from_warehouse", "to_warehouse", "quantity", "transfer_key", "by",
                  "at")
        read_only_fields = fields


class StockTransferInput(serializers.Serializer):
    from_item = serializers.IntegerField()
    from_warehouse = serializers.IntegerField()
    to_community = serializers.IntegerField()
    to_warehouse = serializers.IntegerField(required=False, allow_null=True, default=None)
    quantity = serializers.CharField()
    request = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class StockTransferViewSet(mixins.CreateModelMixin, ReadViewSet):
    """Stock moved between two communities' ledgers (the office's records)."""

    model = StockTransfer
    serializer_class = StockTransferSerializer
    related = ("from_community", "to_community")

    @extend_schema(request=StockTransferInput, responses=StockTransferSerializer)
    def create(self, request, *args, **kwargs):
        form = StockTransferInput(data=request.data)
        form.is_valid(raise_exception=True)
        data, user = form.validated_data, request.user

        def call():
            communities = Community.objects.visible_to(user)
            item = _pick(Item.objects.filter(community__in=communities), data["from_item"],
                         "from_item", _("supply item"))
            warehouse = _pick(Facility.objects.filter(community__in=communities),
                              data["from_warehouse"], "from_warehouse", _("warehouse"))
            to_community = _pick(communities, data["to_community"], "to_community",
                                 _("community"))
            to_warehouse = None
            if data["to_warehouse"] is not None:
                to_warehouse = _pick(Facility.objects.filter(community__in=communities),
                                     data["to_warehouse"], "to_warehouse", _("warehouse"))
            return aid.transfer_stock(from_item=item, from_warehouse=warehouse,
                                      to_community=to_community, quantity=data["quantity"],
                                      to_warehouse=to_warehouse, by=user,
                                      request=_request_of(user, data["request"]),
                                      reason=data["reason"])

        return _run(call, StockTransferSerializer)


class VolunteerLoanSerializer(serializers.ModelSerializer):
    class Meta:
        model = VolunteerLoan
        fields = ("id", "region", "request", "volunteer", "from_community", "to_community",
                  "membership", "starts", "ends", "status", "by")
        read_only_fields = fields


class VolunteerLoanInput(serializers.Serializer):
    # Bounded like the key column: a larger number is a 400 naming the field, not a crash.
    volunteers = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
                                       allow_empty=True)
    to_community = serializers.IntegerField()
    ends = serializers.DateTimeField()
    request = serializers.IntegerField(required=False, allow_null=True, default=None)


class VolunteerLoanViewSet(mixins.CreateModelMixin, ReadViewSet):
    """Volunteers lent between communities; ``POST …/{id}/end/`` ends one early."""

    model = VolunteerLoan
    serializer_class = VolunteerLoanSerializer
    related = ("volunteer",)

    @extend_schema(request=VolunteerLoanInput, responses=VolunteerLoanSerializer(many=True))
    def create(self, request, *args, **kwargs):
        form = VolunteerLoanInput(data=request.data)
        form.is_valid(raise_exception=True)
        data, user = form.validated_data, request.user

        def call():
            communities = Community.objects.visible_to(user)
            ids = data["volunteers"]
            found = list(Volunteer.objects.visible_to(user).filter(pk__in=ids))
            if len(found) != len(set(ids)):
                raise ValidationError({"volunteers": _("No such volunteer that you may use.")})
            to_community = _pick(communities, data["to_community"], "to_community",
                                 _("community"))
            return aid.lend_volunteers(found, to_community, data["ends"], by=user,
                                       request=_request_of(user, data["request"]))

        return _run(call, VolunteerLoanSerializer, many=True)

    @extend_schema(request=None, responses=VolunteerLoanSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        loan = self.get_object()
        try:
            aid.end_loan(loan, by=request.user)
        except ValidationError as exc:
            return Response(error_detail(exc), status=400)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc) or None)
        return Response(VolunteerLoanSerializer(loan).data)


class ShelterReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShelterReferral
        fields = ("id", "region", "request", "from_community", "shelter", "places", "note", "by",
                  "at")
        read_only_fields = fields


class ShelterReferralInput(serializers.Serializer):
    from_community = serializers.IntegerField()
    shelter = serializers.IntegerField()
    places = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    request = serializers.IntegerField(required=False, allow_null=True, default=None)


class ShelterReferralViewSet(mixins.CreateModelMixin, ReadViewSet):
    """Evacuees pointed to a neighbouring community's shelter."""

    model = ShelterReferral
    serializer_class = ShelterReferralSerializer
    related = ("shelter",)

    @extend_schema(request=ShelterReferralInput, responses=ShelterReferralSerializer)
    def create(self, request, *args, **kwargs):
        from resilience.shelters.models import Shelter

        form = ShelterReferralInput(data=request.data)
        form.is_valid(raise_exception=True)
        data, user = form.validated_data, request.user

        def call():
            communities = Community.objects.visible_to(user)
            return aid.refer_evacuees(
                from_community=_pick(communities, data["from_community"], "from_community",
                                     _("community")),
                shelter=_pick(Shelter.objects.visible_to(user), data["shelter"], "shelter",
                              _("shelter")),
                places=data["places"], note=data["note"], by=user,
                request=_request_of(user, data["request"]))

        return _run(call, ShelterReferralSerializer)


# --- region-wide warnings ------------------------------------------------------------------

class BroadcastSerializer(serializers.ModelSerializer):
    parts = serializers.SerializerMethodField()

    class Meta:
        model = Broadcast
        fields = ("id", "region", "headline", "communities", "source", "by", "at", "parts")
        read_only_fields = fields

    def get_parts(self, obj) -> list[dict]:
        return [{"community": r["community"].pk, "alert": r["alert"].pk,
                 "state": r["alert"].state, "total": r["total"],
                 "acknowledged": r["acknowledged"], "rate": r["rate"]}
                for r in broadcasts.ack_rates(obj)]


class BroadcastInput(serializers.Serializer):
    communities = serializers.ListField(child=serializers.IntegerField(), required=False,
                                        default=list)
    all = serializers.BooleanField(required=False, default=False,
                                   help_text="every community of ``region``")
    region = serializers.IntegerField(required=False, allow_null=True, default=None)
    source = serializers.IntegerField(required=False, allow_null=True, default=None,
                                      help_text="the alert to relay (then no text fields)")
    level = serializers.IntegerField(required=False)
    event_type = serializers.CharField(required=False)
    headline = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    instruction = serializers.CharField(required=False, allow_blank=True)
    expires = serializers.DateTimeField(required=False, allow_null=True)


class BroadcastViewSet(mixins.CreateModelMixin, ReadViewSet):
    """Region-wide warnings with each community's part and acknowledgement rate."""

    model = Broadcast
    serializer_class = BroadcastSerializer
    related = ("region",)

    @extend_schema(request=BroadcastInput, responses=BroadcastSerializer)
    def create(self, request, *args, **kwargs):
        form = BroadcastInput(data=request.data)
        form.is_valid(raise_exception=True)
        data, user = dict(form.validated_data), request.user

        def call():
            from resilience.places.models import Region

            region = None
            if data["region"] is not None:
                region = _pick(Region.objects.filter(pk__in=[
                    r.pk for r in broadcasts.regions_of(user)]), data["region"], "region",
                    _("region"))
            if data["all"]:
                if region is None:
                    raise ValidationError({"region": _("Say which region's communities.")})
                chosen = list(broadcasts.communities_in(region))
            else:
                chosen = list(Community.objects.filter(pk__in=data["communities"]))
                if len(chosen) != len(set(data["communities"])):
                    raise ValidationError({"communities": _("No such community.")})
            if data["source"] is not None:
                source = _pick(Alert.objects.visible_to(user), data["source"], "source",
                               _("alert"))
                return broadcasts.relay(source, chosen, by=user, region=region)
            region = region or broadcasts.region_for(user, chosen)
            fields = {k: data[k] for k in ("level", "event_type", "headline", "description",
                                           "instruction", "expires") if k in data}
            return broadcasts.issue(region, chosen, by=user, **fields)

        return _run(call, BroadcastSerializer)


def register(router) -> None:
    router.register("street/aid-requests", AidRequestViewSet, basename="aid-request")
    router.register("street/transfers", StockTransferViewSet, basename="stock-transfer")
    router.register("street/loans", VolunteerLoanViewSet, basename="volunteer-loan")
    router.register("street/referrals", ShelterReferralViewSet, basename="shelter-referral")
    router.register("street/broadcasts", BroadcastViewSet, basename="broadcast")
