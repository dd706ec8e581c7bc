"""The supplies API.

- ``/api/supplies/`` — stock per item and warehouse (usable, expired, next expiry), read only;
- ``/api/supplies/items/``, ``/api/supplies/lots/``, ``/api/supplies/norms/``;
- ``/api/supplies/movements/`` — the ledger; ``POST`` a movement (kind in / out / transfer /
  count) and it goes through ``relief.ledger``; a refusal is a 400 naming the field;
- ``/api/supplies/autonomy/`` — days of autonomy per category and community;
- ``/api/supplies/distributions/`` (with ``totals/``) and ``/api/purchases/`` (lines, orders,
  status, totals for the supplier).
"""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.errors import error_detail
from resilience.core.scope import can, can_any
from resilience.people.models import Household
from resilience.places.models import Community, Facility
from resilience.relief import distributions, ledger, norms, purchases
from resilience.relief.filtersets_supplies import (DistributionFilterSet, GroupPurchaseFilterSet,
                                                   ItemFilterSet, StockLotFilterSet,
                                                   StockMovementFilterSet)
from resilience.relief.models import (Distribution, GroupPurchase, Item, PurchaseLine,
                                      PurchaseOrder, ReserveNorm, StockLot, StockMovement)
from resilience.relief.vocab import MovementKind, PurchaseStatus


class ItemSerializer(ScopedSerializer):
    class Meta:
        model = Item
        fields = ("id", "community", "name", "category", "unit", "perishable",
                  "per_capita_amount", "created", "updated")


class ItemViewSet(ScopedViewSet):
    model = Item
    serializer_class = ItemSerializer
    filterset_class = ItemFilterSet


class StockLotSerializer(ScopedSerializer):
    usable = serializers.SerializerMethodField()

    class Meta:
        model = StockLot
        fields = ("id", "community", "item", "warehouse", "expires_on", "quantity", "usable")
        read_only_fields = fields

    def get_usable(self, lot) -> bool:
        return ledger.is_usable(lot, ledger.today())


class StockLotViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StockLotSerializer
    filterset_class = StockLotFilterSet

    def get_queryset(self):
        return StockLot.objects.visible_to(self.request.user).select_related("item")


class StockRowSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    item_name = serializers.CharField()
    category = serializers.CharField()
    unit = serializers.CharField()
    warehouse = serializers.IntegerField()
    warehouse_name = serializers.CharField()
    community = serializers.IntegerField()
    usable = serializers.DecimalField(max_digits=14, decimal_places=3)
    expired = serializers.DecimalField(max_digits=14, decimal_places=3)
    next_expiry = serializers.DateField(allow_null=True)
    lots = StockLotSerializer(many=True)


class StockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stock per item and warehouse, with the lots behind it (``?item=``, ``?warehouse=``,
    ``?category=``, ``?community=``)."""

    serializer_class = StockRowSerializer
    filterset_class = StockLotFilterSet
    pagination_class = None

    def get_queryset(self):
        return (StockLot.objects.visible_to(self.request.user).filter(quantity__gt=0)
                .select_related("item", "warehouse").order_by("item__name", "warehouse__name",
                                                              "expires_on"))

    def list(self, request, *args, **kwargs):
        today = ledger.today()
        rows: dict = {}
        for lot in self.filter_queryset(self.get_queryset()):
            row = rows.setdefault((lot.item_id, lot.warehouse_id), {
                "item": lot.item_id, "item_name": lot.item.name, "category": lot.item.category,
                "unit": lot.item.unit, "warehouse": lot.warehouse_id,
                "warehouse_name": lot.warehouse.name, "community": lot.community_id,
                "usable": Decimal(0), "expired": Decimal(0), "next_expiry": None, "lots": []})
            row["lots"].append(lot)
            if ledger.is_usable(lot, today):
                row["usable"] += lot.quantity
                if lot.expires_on and (row["next_expiry"] is None
                                       or lot.expires_on < row["next_expiry"]):
                    row["next_expiry"] = lot.expires_on
            else:
                row["expired"] += lot.quantity
        data = self.get_serializer(list(rows.values()), many=True).data
        return Response(data)


class MovementSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="lot.item_id", read_only=True)
    warehouse = serializers.IntegerField(source="lot.warehouse_id", read_only=True)
    expires_on = serializers.DateField(source="lot.expires_on", read_only=True)

    class Meta:
        model = StockMovement
        fields = ("id", "community", "lot", "item", "warehouse", "expires_on", "kind", "quantity",
                  "balance_after", "transfer_key", "reason", "request", "distribution", "by", "at")
        read_only_fields = fields


class MovementInput(serializers.Serializer):
    """What a ``POST`` may carry; which fields count depends on ``kind``."""

    kind = serializers.ChoiceField(choices=MovementKind.choices)
    item = serializers.IntegerField(required=False)
    warehouse = serializers.IntegerField(required=False, help_text="in / out: the warehouse; "
                                         "transfer: the source.")
    destination = serializers.IntegerField(required=False, help_text="transfer only")
    lot = serializers.IntegerField(required=False, help_text="count only")
    quantity = serializers.CharField(required=False, help_text="in / out / transfer, > 0")
    counted = serializers.CharField(required=False, help_text="count only, ≥ 0")
    expires_on = serializers.DateField(required=False, allow_null=True, help_text="in only")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class MovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = MovementSerializer
    filterset_class = StockMovementFilterSet

    def get_queryset(self):
        return StockMovement.objects.visible_to(self.request.user).select_related("lot")

    def _pick(self, model, queryset, pk, field: str):
        if pk is None:
            raise ValidationError({field: _("This field is required.")})
        found = queryset.filter(pk=pk).first()
        if found is None:
            raise ValidationError({field: _("No such %(model)s that you may use.") % {
                "model": model._meta.verbose_name}})
        return found

    def _warehouse(self, pk, field: str) -> Facility:
        return self._pick(Facility, Facility.objects.visible_to(self.request.user), pk, field)

    @extend_schema(request=MovementInput, responses=MovementSerializer(many=True),
                   summary="Record a movement through the ledger")
    def create(self, request, *args, **kwargs):
        """Receive (``in``), issue (``out``), transfer or count stock. Negative stock, expired
        stock, a facility that is not a warehouse of the item's community, or a transfer to the
        same warehouse are refused with a 400 naming the field."""
        form = MovementInput(data=request.data)
        form.is_valid(raise_exception=True)
        data, user = form.validated_data, request.user
        if not can_any(user, "add", StockMovement):
            raise PermissionDenied(_("You may not record stock movements."))
        movable = Item.objects.visible_to(user, "change")
        try:
            kind = data["kind"]
            if kind == MovementKind.COUNT:
                lot = self._pick(StockLot, StockLot.objects.filter(item__in=movable),
                                 data.get("lot"), "lot")
                moved = [ledger.count(lot, data.get("counted", ""), by=user,
                                      reason=data["reason"])]
            else:
                item = self._pick(Item, movable, data.get("item"), "item")
                warehouse = self._warehouse(data.get("warehouse"), "warehouse")
                quantity = data.get("quantity", "")
                if kind == MovementKind.IN:
                    moved = [ledger.receive(item, warehouse, quantity,
                                            expires_on=data.get("expires_on"), by=user,
                                            reason=data["reason"])]
                elif kind == MovementKind.OUT:
                    moved = ledger.issue(item, warehouse, quantity, by=user,
                                         reason=data["reason"])
                else:
                    destination = self._warehouse(data.get("destination"), "destination")
                    moved = ledger.transfer(item, warehouse, destination, quantity, by=user,
                                            reason=data["reason"])
        except ValidationError as exc:
            return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(MovementSerializer(moved, many=True).data, status=status.HTTP_201_CREATED)


class NormSerializer(ScopedSerializer):
    class Meta:
        model = ReserveNorm
        fields = ("id", "community", "category", "basis", "amount", "unit", "days", "note")


class NormViewSet(ScopedViewSet):
    """Reserve norms: the platform defaults (``community`` null, read only here) and the
    communities' own."""

    model = ReserveNorm
    serializer_class = NormSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.scope_action() == "view" and can_any(self.request.user, "view", ReserveNorm):
            queryset = ReserveNorm.objects.filter(Q(pk__in=queryset.values("pk"))
                                                  | Q(community__isnull=True))
        return queryset


class AutonomyRow(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    basis = serializers.CharField(allow_null=True)
    unit = serializers.CharField()
    stock = serializers.DecimalField(max_digits=16, decimal_places=3)
    need_per_day = serializers.DecimalField(max_digits=16, decimal_places=3, allow_null=True)
    days = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    target_days = serializers.IntegerField(allow_null=True)
    target = serializers.DecimalField(max_digits=16, decimal_places=3, allow_null=True)
    shortfall = serializers.DecimalField(max_digits=16, decimal_places=3, allow_null=True)
    overridden = serializers.BooleanField()
    source = serializers.CharField()


class AutonomySerializer(serializers.Serializer):
    community = serializers.IntegerField()
    community_name = serializers.CharField()
    residents = serializers.IntegerField()
    households = serializers.IntegerField()
    days = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True,
                                    help_text="The smallest over per person per day norms.")
    categories = AutonomyRow(many=True)


class AutonomyViewSet(viewsets.GenericViewSet):
    serializer_class = AutonomySerializer
    pagination_class = None
    queryset = Community.objects.none()

    @extend_schema(parameters=[OpenApiParameter("community", int, description="one community")],
                   responses=AutonomySerializer(many=True),
                   summary="Days of autonomy per category and community")
    def list(self, request):
        if not can_any(request.user, "view", StockLot):
            raise PermissionDenied(_("You may not see the stock."))
        communities = Community.objects.visible_to(request.user).order_by("name")
        wanted = request.query_params.get("community")
        if wanted:
            if not wanted.isdigit():
                return Response({"community": [_("Enter a whole number.")]}, status=400)
            communities = communities.filter(pk=wanted)
        result = []
        for community in communities[:100]:
            summary = norms.summary(community)
            result.append({"community": community.pk, "community_name": community.name,
                           **summary["population"], "days": summary["days"],
                           "categories": summary["categories"]})
        return Response(AutonomySerializer(result, many=True).data)


class DistributionSerializer(ScopedSerializer):
    class Meta:
        model = Distribution
        fields = ("id", "community", "item", "warehouse", "building", "household", "quantity",
                  "note", "by", "created")
        read_only_fields = ("community", "by", "created")


class DistributionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Distributions; ``POST`` issues the stock through the ledger in the same transaction."""

    serializer_class = DistributionSerializer
    filterset_class = DistributionFilterSet

    def get_queryset(self):
        return Distribution.objects.visible_to(self.request.user).select_related("item")

    def create(self, request, *args, **kwargs):
        serializer = DistributionSerializer(data=request.data, context={"request": request})
        # The serializer checks references are visible; the service checks the rest.
        serializer.fields["warehouse"].queryset = Facility.objects.visible_to(request.user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not can_any(request.user, "add", Distribution):
            raise PermissionDenied(_("You may not hand out supplies."))
        try:
            with transaction.atomic():
                made = distributions.distribute(
                    item=data["item"], warehouse=data["warehouse"],
                    building=data.get("building"), household=data.get("household"),
                    quantity=data["quantity"], by=request.user, note=data.get("note", ""))
                if not can(request.user, "add", made):
                    raise DjangoPermissionDenied
        except ValidationError as exc:
            return Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied:
            raise PermissionDenied(_("You may not hand out supplies there."))
        return Response(DistributionSerializer(made, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses=inline_serializer("DistributionTotal", {
        "building": serializers.IntegerField(), "building_name": serializers.CharField(),
        "item": serializers.IntegerField(), "item_name": serializers.CharField(),
        "unit": serializers.CharField(),
        "total": serializers.DecimalField(max_digits=16, decimal_places=3),
        "times": serializers.IntegerField(), "households": serializers.IntegerField()},
        many=True), summary="Totals per building and item")
    @action(detail=False, pagination_class=None)
    def totals(self, request):
        rows = distributions.totals_by_building(self.filter_queryset(self.get_queryset()))
        return Response(rows)


class PurchaseLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseLine
        fields = ("id", "name", "unit", "price", "max_per_household")


class GroupPurchaseSerializer(ScopedSerializer):
    lines = PurchaseLineSerializer(many=True, read_only=True)

    class Meta:
        model = GroupPurchase
        fields = ("id", "community", "building", "title", "supplier", "status", "order_by",
                  "organiser", "lines", "created", "updated")
        read_only_fields = ("status", "organiser")


class PurchaseOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseOrder
        fields = ("id", "purchase", "household", "quantities", "delivered", "entered_by",
                  "created", "updated")
        read_only_fields = fields


class OrderInput(serializers.Serializer):
    quantities = serializers.DictField(child=serializers.JSONField(),
                                       help_text="line id → how many (0 or all empty withdraws)")
    household = serializers.IntegerField(required=False,
                                         help_text="staff / grid worker ordering for a household")


class AdvanceInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=PurchaseStatus.choices)


class GroupPurchaseViewSet(ScopedViewSet):
    """Group purchases of buildings: ``lines/`` to add what is on offer, ``order/`` for a
    household's order, ``orders/`` to list them, ``status/`` to advance, ``totals/`` for the
    supplier."""

    model = GroupPurchase
    serializer_class = GroupPurchaseSerializer
    filterset_class = GroupPurchaseFilterSet

    def optimise(self, queryset):
        return queryset.prefetch_related("lines")

    def perform_create(self, serializer):
        serializer.validated_data["organiser"] = self.request.user
        super().perform_create(serializer)

    def _change(self, purchase):
        if not can(self.request.user, "change", purchase):
            raise PermissionDenied(_("You may not change this group purchase."))

    @extend_schema(request=PurchaseLineSerializer, responses=PurchaseLineSerializer)
    @action(detail=True, methods=["post"])
    def lines(self, request, pk=None):
        purchase = self.get_object()
        self._change(purchase)
        form = PurchaseLineSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if (form.validated_data.get("price") or 0) < 0:
            return Response({"price": [_("It cannot be negative.")]}, status=400)
        try:
            line = purchases.add_line(purchase, **form.validated_data)
        except ValidationError as exc:
            return Response(error_detail(exc), status=400)
        return Response(PurchaseLineSerializer(line).data, status=201)

    @extend_schema(request=OrderInput, responses=PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def order(self, request, pk=None):
        """Place or change an order: a resident for their household; staff and grid workers for
        a household they see (``household``)."""
        purchase = self.get_object()
        form = OrderInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            if data.get("household"):
                self._change(purchase)
                household = Household.objects.visible_to(request.user).filter(
                    pk=data["household"]).first()
                if household is None:
                    return Response({"household": [_("No such household that you may use.")]},
                                    status=400)
                order = purchases.place_order(purchase, household, data["quantities"],
                                              by=request.user)
            else:
                order = purchases.order_as_resident(purchase, request.user, data["quantities"])
        except ValidationError as exc:
            return Response(error_detail(exc), status=400)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        if order is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(PurchaseOrderSerializer(order).data)

    @extend_schema(responses=PurchaseOrderSerializer(many=True))
    @action(detail=True, pagination_class=None)
    def orders(self, request, pk=None):
        purchase = self.get_object()
        orders = PurchaseOrder.objects.visible_to(request.user).filter(purchase=purchase)
        return Response(PurchaseOrderSerializer(orders, many=True).data)

    @extend_schema(request=AdvanceInput, responses=GroupPurchaseSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def advance(self, request, pk=None):
        purchase = self.get_object()
        form = AdvanceInput(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            purchases.advance(purchase, request.user, form.validated_data["status"])
        except ValidationError as exc:
            return Response(error_detail(exc), status=400)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        return Response(GroupPurchaseSerializer(purchase, context={"request": request}).data)

    @extend_schema(responses=inline_serializer("PurchaseTotals", {
        "lines": serializers.ListField(child=serializers.DictField()),
        "orders": serializers.IntegerField(), "delivered": serializers.IntegerField(),
        "amount": serializers.DecimalField(max_digits=14, decimal_places=2)}))
    @action(detail=True)
    def totals(self, request, pk=None):
        totals = purchases.line_totals(self.get_object())
        for line in totals["lines"]:
            line.pop("line")
        return Response(totals)


def register(router) -> None:
    # Longer prefixes first: ``supplies/<pk>/`` must not swallow ``supplies/items/``.
    router.register("supplies/items", ItemViewSet, basename="supply-item")
    router.register("supplies/lots", StockLotViewSet, basename="supply-lot")
    router.register("supplies/movements", MovementViewSet, basename="supply-movement")
    router.register("supplies/norms", NormViewSet, basename="supply-norm")
    router.register("supplies/autonomy", AutonomyViewSet, basename="supply-autonomy")
    router.register("supplies/distributions", DistributionViewSet, basename="distribution")
    router.register("supplies", StockViewSet, basename="supply")
    router.register("purchases", GroupPurchaseViewSet, basename="group-purchase")
