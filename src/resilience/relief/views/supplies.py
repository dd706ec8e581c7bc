"""Supplies pages: items, stock per item and warehouse with its lots, the ledger of a lot,
receive / issue / transfer / stock-take forms, expiring stock, reserve norms, days of autonomy,
and distributions with their per-building totals. Every page starts from ``visible_to``."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from resilience.core.scope import can, can_any
from resilience.core.views.forms import add_errors
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.places.models import Community
from resilience.relief import distributions, ledger, norms
from resilience.relief.filtersets_supplies import (DistributionFilterSet, ItemFilterSet,
                                                   StockLotFilterSet)
from resilience.relief.forms_supplies import (CountForm, DistributionForm, IssueForm, ItemForm,
                                              NormForm, ReceiveForm, TransferForm)
from resilience.relief.models import (Distribution, Item, ReserveNorm, StockLot,
                                      StockMovement)
from resilience.relief.vocab import MovementKind


def _need(user, action: str, model) -> None:
    if not can_any(user, action, model):
        raise PermissionDenied


def usable_cell(item: Item):
    total = sum((lot.quantity for lot in item.lots.all() if ledger.is_usable(lot, ledger.today())),
                Decimal(0))
    return f"{ledger.format_quantity(total)} {item.unit}"


class ItemViews(ObjectViews):
    model = Item
    filterset = ItemFilterSet
    form = ItemForm
    columns = ("name", "category", "unit", "perishable",
               Column("usable", _l("usable stock"), value=usable_cell), "community")
    select_related = ("community",)
    filter_fields = ("category", "perishable", "community")
    detail_template = "relief/item_detail.html"

    def get_queryset(self, request, action: str = "view"):
        return super().get_queryset(request, action).prefetch_related("lots")

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        lots = list(StockLot.objects.visible_to(request.user).filter(item=obj)
                    .select_related("warehouse").order_by("warehouse__name", "expires_on"))
        today = ledger.today()
        for lot in lots:
            lot.usable = ledger.is_usable(lot, today)
        context.update({
            "lots": lots,
            "movements": StockMovement.objects.visible_to(request.user).filter(lot__item=obj)
            .select_related("lot__warehouse", "by")[:30],
            "may_move": can(request.user, "change", obj),
        })
        return context


class NormViews(ObjectViews):
    model = ReserveNorm
    form = NormForm
    slug = "norms"
    columns = ("category", "basis", "amount", "unit", "days", "community", "note")
    select_related = ("community",)

    @classmethod
    def urls(cls) -> list:
        return [path("norms/", norm_list, name="reservenorm_list"),
                *[p for p in super().urls() if p.name != "reservenorm_list"]]

    def get_queryset(self, request, action: str = "view"):
        queryset = super().get_queryset(request, action)
        if action == "view" and can_any(request.user, "view", ReserveNorm):
            # the platform defaults are public reference data for anyone who sees norms
            queryset = ReserveNorm.objects.filter(
                Q(pk__in=queryset.values("pk")) | Q(community__isnull=True)).select_related(
                "community")
        return queryset


def chosen_community(request) -> tuple[Community | None, list[Community]]:
    """The community a community-wide page shows (``?community=``), and the user's choices."""
    choices = list(Community.objects.visible_to(request.user, "view").order_by("name")[:200])
    wanted = request.GET.get("community")
    for community in choices:
        if str(community.pk) == wanted:
            return community, choices
    return (choices[0] if choices else None), choices


@login_required
def norm_list(request):
    """The norms in force per community: the community's own where set, else the defaults."""
    _need(request.user, "view", ReserveNorm)
    community, choices = chosen_community(request)
    in_force = norms.effective_norms(community) if community else {
        n.category: n for n in ReserveNorm.objects.filter(community__isnull=True)}
    return render(request, "relief/norm_list.html", {
        "community": community, "communities": choices,
        "norms": sorted(in_force.values(), key=lambda n: n.category),
        "may_add": can_any(request.user, "add", ReserveNorm),
        "basis_help": norms.BASIS_HELP})


@login_required
def autonomy(request):
    """Days of autonomy of a community per category and overall, with a bar chart."""
    _need(request.user, "view", StockLot)
    community, choices = chosen_community(request)
    summary = norms.summary(community) if community else None
    bars = []
    if summary:
        longest = max([float(r["days"]) for r in summary["categories"] if r["days"] is not None]
                      + [float(r["target_days"] or 0) for r in summary["categories"]] + [1])
        for row in summary["categories"]:
            if row["days"] is None:
                continue
            bars.append({**row, "width": round(min(float(row["days"]) / longest, 1) * 100, 1),
                         "target_at": round(float(row["target_days"] or 0) / longest * 100, 1),
                         "short": row["target_days"] and row["days"] < row["target_days"]})
    return render(request, "relief/autonomy.html", {
        "community": community, "communities": choices, "summary": summary, "bars": bars})


@login_required
def stock_list(request):
    """Stock per item and warehouse: usable, expired, next expiry, and the lots."""
    _need(request.user, "view", StockLot)
    lots = StockLot.objects.visible_to(request.user).select_related("item", "warehouse",
                                                                     "community")
    filterset = StockLotFilterSet(request.GET, queryset=lots, request=request)
    for field in filterset.form.fields.values():
        if hasattr(getattr(field, "queryset", None), "visible_to"):
            field.queryset = field.queryset.model.objects.visible_to(request.user)
    lots = filterset.qs if filterset.is_valid() else lots.none()
    today = ledger.today()
    rows: dict = {}
    for lot in lots.order_by("item__name", "warehouse__name", "expires_on"):
        row = rows.setdefault((lot.item_id, lot.warehouse_id), {
            "item": lot.item, "warehouse": lot.warehouse, "usable": Decimal(0),
            "expired": Decimal(0), "next_expiry": None, "lots": []})
        lot.usable = ledger.is_usable(lot, today)
        if lot.quantity <= 0:
            continue
        row["lots"].append(lot)
        if lot.usable:
            row["usable"] += lot.quantity
            if lot.expires_on and (row["next_expiry"] is None
                                   or lot.expires_on < row["next_expiry"]):
                row["next_expiry"] = lot.expires_on
        else:
            row["expired"] += lot.quantity
    page = Paginator(list(rows.values()), 50).get_page(request.GET.get("page"))
    return render(request, "relief/stock_list.html", {
        "page": page, "filter_form": filterset.form, "soon": today + dt.timedelta(days=30),
        "may_move": can_any(request.user, "add", StockMovement)})


@login_required
def stock_lot(request, pk: int):
    """The ledger of one lot (movements with the balance after each), and its stock-take form."""
    lot = get_object_or_404(StockLot.objects.visible_to(request.user)
                            .select_related("item", "warehouse"), pk=pk)
    may_count = can(request.user, "change", lot.item)
    form = CountForm(request.POST or None) if may_count else None
    if request.method == "POST":
        if not may_count:
            raise PermissionDenied
        if form.is_valid():
            try:
                ledger.count(lot, form.cleaned_data["counted"], by=request.user,
                             reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Stock-take recorded."))
                return redirect("relief:stock_lot", pk=lot.pk)
    movements = Paginator(lot.movements.select_related("by").order_by("-at", "-id"), 50)
    return render(request, "relief/stock_lot.html", {
        "lot": lot, "usable": ledger.is_usable(lot, ledger.today()),
        "page": movements.get_page(request.GET.get("page")), "form": form},
        status=400 if form is not None and form.errors else 200)


MOVE_FORMS = {MovementKind.IN: ReceiveForm, MovementKind.OUT: IssueForm,
              MovementKind.TRANSFER: TransferForm}


@login_required
def stock_move(request, kind: str):
    """Receive, issue or transfer stock through the ledger; refusals show as form errors."""
    if kind not in MOVE_FORMS:
        raise PermissionDenied
    _need(request.user, "add", StockMovement)
    form_class = MOVE_FORMS[kind]
    initial = {k: v for k, v in request.GET.items() if k in form_class.base_fields}
    form = form_class(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == MovementKind.IN:
                ledger.receive(data["item"], data["warehouse"], data["quantity"],
                               expires_on=data["expires_on"], by=request.user,
                               reason=data["reason"])
            elif kind == MovementKind.OUT:
                ledger.issue(data["item"], data["warehouse"], data["quantity"], by=request.user,
                             reason=data["reason"])
            else:
                ledger.transfer(data["item"], data["warehouse"], data["destination"],
                                data["quantity"], by=request.user, reason=data["reason"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Recorded in the ledger."))
            return redirect(data["item"].get_absolute_url())
    return render(request, "relief/stock_move.html",
                  {"form": form, "kind": MovementKind(kind)},
                  status=400 if form.errors else 200)


@login_required
def stock_expiring(request):
    """Lots with stock expiring within N days (default 30), and lots already expired."""
    _need(request.user, "view", StockLot)
    try:
        within = max(0, min(int(request.GET.get("days", 30)), 3650))
    except ValueError:
        within = 30
    today = ledger.today()
    lots = ledger.expiring(StockLot.objects.visible_to(request.user), within_days=within,
                           on=today).select_related("item", "warehouse").order_by("expires_on")
    expired = [lot for lot in lots if not ledger.is_usable(lot, today)]
    soon = [lot for lot in lots if ledger.is_usable(lot, today)]
    for lot in soon:
        lot.days_left = (lot.expires_on - today).days
    return render(request, "relief/stock_expiring.html",
                  {"expired": expired, "soon": soon, "within": within})


class DistributionViews(ObjectViews):
    model = Distribution
    filterset = DistributionFilterSet
    columns = ("created", "item", "quantity", "building", "household", "warehouse", "by")
    select_related = ("item", "building", "household", "warehouse", "by")
    filter_fields = ("item", "building", "warehouse")

    form = DistributionForm  # shown by ``distribution_add``, which issues the stock too

    @classmethod
    def urls(cls) -> list:
        generic = [p for p in super().urls()
                   if p.name not in ("distribution_add", "distribution_edit")]
        return [path("distributions/add/", distribution_add, name="distribution_add"),
                path("distributions/totals/", distribution_totals,
                     name="distribution_totals"),
                *generic]

    def url(self, action: str, obj=None) -> str:
        return "" if action == "edit" else super().url(action, obj)  # a distribution is final

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["can_change"] = False
        return context


class _OutOfScope(Exception):
    pass


@login_required
def distribution_add(request):
    """Hand out supplies: the distribution and its ledger issue are written together or not."""
    _need(request.user, "add", Distribution)
    initial = {k: v for k, v in request.GET.items() if k in DistributionForm.base_fields}
    form = DistributionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                made = distributions.distribute(
                    item=data["item"], warehouse=data["warehouse"], building=data["building"],
                    household=data["household"], quantity=data["quantity"], by=request.user,
                    note=data["note"])
                if not can(request.user, "add", made):
                    raise _OutOfScope
        except ValidationError as exc:
            add_errors(form, exc)
        except _OutOfScope:
            form.add_error("building", _("You may not hand out supplies there."))
        else:
            messages.success(request, _("Distribution recorded."))
            return redirect(made.get_absolute_url())
    return render(request, "relief/distribution_add.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
def distribution_totals(request):
    """What each building has received, per item."""
    _need(request.user, "view", Distribution)
    queryset = Distribution.objects.visible_to(request.user)
    filterset = DistributionFilterSet(request.GET, queryset=queryset, request=request)
    rows = distributions.totals_by_building(filterset.qs if filterset.is_valid()
                                            else queryset.none())
    grouped: dict = defaultdict(list)
    for row in rows:
        grouped[(row["building"], row["building_name"])].append(row)
    return render(request, "relief/distribution_totals.html",
                  {"buildings": [{"id": k[0], "name": k[1], "rows": v}
                                 for k, v in grouped.items()]})


def urls() -> list:
    return [
        *ItemViews.urls(),
        path("stock/", stock_list, name="stock_list"),
        path("stock/lots/<int:pk>/", stock_lot, name="stock_lot"),
        path("stock/expiring/", stock_expiring, name="stock_expiring"),
        path("stock/<str:kind>/", stock_move, name="stock_move"),
        *NormViews.urls(),
        path("autonomy/", autonomy, name="autonomy"),
        *DistributionViews.urls(),
    ]


def supplies_panel(request) -> dict | None:
    """The dashboard panel: days of autonomy and expiring stock of the user's communities."""
    from django.urls import reverse

    user = request.user
    if not can_any(user, "view", StockLot):
        return None
    communities = list(Community.objects.visible_to(user, "view").order_by("name")[:3])
    if not communities:
        return None
    today = ledger.today()
    lots = StockLot.objects.visible_to(user)
    rows = []
    for community in communities:
        summary = norms.summary(community)
        rows.append({"community": community, "days": summary["days"],
                     "limiting": summary["limiting"],
                     "url": f"{reverse('relief:autonomy')}?community={community.pk}"})
    soon = ledger.expiring(lots, within_days=30, on=today)
    return {"template": "relief/autonomy_panel.html", "rows": rows,
            "expired": soon.filter(expires_on__lt=today).count(),
            "expiring": soon.filter(expires_on__gte=today).count(),
            "expiring_url": reverse("relief:stock_expiring")}
