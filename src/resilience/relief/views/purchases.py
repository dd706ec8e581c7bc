"""Group purchase pages: the organiser's list and detail (lines, totals for the supplier, orders,
status), and the residents' phone page to order for their household."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.core.scope import can
from resilience.core.views.forms import flash_errors
from resilience.core.views.generic import ObjectViews
from resilience.relief import purchases
from resilience.relief.filtersets_supplies import GroupPurchaseFilterSet
from resilience.relief.forms_supplies import GroupPurchaseForm, OrderForm, PurchaseLineForm
from resilience.relief.models import GroupPurchase, PurchaseOrder
from resilience.relief.vocab import PurchaseStatus


class GroupPurchaseViews(ObjectViews):
    model = GroupPurchase
    filterset = GroupPurchaseFilterSet
    form = GroupPurchaseForm
    slug = "purchases"
    columns = ("title", "building", "status", "order_by", "supplier")
    select_related = ("community", "building")
    filter_fields = ("status", "building", "community")
    detail_template = "relief/purchase_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [*super().urls(),
                path("purchases/<int:pk>/lines/", purchase_add_line, name="purchase_add_line"),
                path("purchases/<int:pk>/status/", purchase_advance, name="purchase_advance"),
                path("purchases/<int:pk>/orders/<int:order>/delivered/", order_delivered,
                     name="purchase_order_delivered"),
                path("purchases/<int:pk>/order/", purchase_order, name="purchase_order")]

    def get_form(self, request, instance, data=None):
        if instance.pk is None:
            instance.organiser = request.user
        return super().get_form(request, instance, data)

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        may_change = can(request.user, "change", obj)
        context.update({
            "totals": purchases.line_totals(obj),
            "orders": (PurchaseOrder.objects.visible_to(request.user)
                       .filter(purchase=obj).select_related("household")),
            "may_manage": may_change,
            "line_form": PurchaseLineForm() if may_change
            and obj.status == PurchaseStatus.COLLECTING else None,
            "next_status": purchases.NEXT.get(obj.status),
            "collecting": purchases.is_collecting(obj),
            "cancellable": obj.status not in (PurchaseStatus.CLOSED, PurchaseStatus.CANCELLED),
        })
        if context["next_status"]:
            context["next_label"] = PurchaseStatus(context["next_status"]).label
        return context


def _purchase(request, pk: int, action: str = "view") -> GroupPurchase:
    return GroupPurchaseViews().get_object(request, pk, action)


@login_required
@require_POST
def purchase_add_line(request, pk: int):
    purchase = _purchase(request, pk, "change")
    form = PurchaseLineForm(request.POST)
    if form.is_valid():
        try:
            purchases.add_line(purchase, **form.cleaned_data)
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Line added."))
    else:
        for field, errors in form.errors.items():
            for text in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label}: {text}")
    return redirect(purchase.get_absolute_url())


@login_required
@require_POST
def purchase_advance(request, pk: int):
    purchase = _purchase(request, pk, "change")
    try:
        purchases.advance(purchase, request.user, request.POST.get("status", ""))
    except ValidationError as exc:
        flash_errors(request, exc)
    except ValueError:
        messages.error(request, _("Unknown status."))
    else:
        messages.success(request, _("Status: %(status)s.") % {
            "status": purchase.get_status_display()})
    return redirect(purchase.get_absolute_url())


@login_required
@require_POST
def order_delivered(request, pk: int, order: int):
    purchase = _purchase(request, pk, "change")
    found = get_object_or_404(PurchaseOrder, pk=order, purchase=purchase)
    try:
        purchases.mark_delivered(found, request.user, request.POST.get("delivered") != "0")
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect(purchase.get_absolute_url())


@login_required
def purchase_order(request, pk: int):
    """The resident's phone page: order for their household, change it until the deadline."""
    purchase = _purchase(request, pk)
    households = [h for h in purchases.households_of(request.user)
                  if h.building_id == purchase.building_id]
    if not households:
        raise PermissionDenied
    household = households[0]
    existing = PurchaseOrder.objects.filter(purchase=purchase, household=household).first()
    form = OrderForm(request.POST or None, purchase=purchase,
                     initial_quantities=existing.quantities if existing else None)
    collecting = purchases.is_collecting(purchase)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                order = purchases.order_as_resident(purchase, request.user, form.quantities())
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                messages.success(request, _("Your order is saved.") if order
                                 else _("Your order is withdrawn."))
                return redirect("relief:purchase_order", pk=purchase.pk)
        status = 400
    return render(request, "relief/purchase_order.html", {
        "purchase": purchase, "form": form, "order": existing, "household": household,
        "collecting": collecting,
        "amount": purchases.order_amount(existing) if existing else None}, status=status)


def urls() -> list:
    return GroupPurchaseViews.urls()
