"""Forms of the supplies pages: items, stock movements, norms, distributions, group purchases."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.people.models import Household
from resilience.places.models import Building, Facility
from resilience.places.vocab import FacilityKind
from resilience.relief.models import GroupPurchase, Item, PurchaseLine, ReserveNorm

DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
QUANTITY = dict(max_digits=14, decimal_places=3, min_value=0.001, label=_("quantity"))


class ItemForm(ScopedModelForm):
    """A supply item of a community."""

    class Meta:
        model = Item
        fields = ["community", "name", "category", "unit", "perishable", "per_capita_amount"]


def warehouses(user, action: str = "view"):
    return Facility.objects.visible_to(user, action).filter(kind=FacilityKind.WAREHOUSE)


class MovementForm(forms.Form):
    """Base of the receive / issue / transfer forms: an item the user may keep the stock of."""

    item = forms.ModelChoiceField(label=_("item"), queryset=Item.objects.none())
    warehouse = forms.ModelChoiceField(label=_("warehouse"), queryset=Facility.objects.none())
    quantity = forms.DecimalField(**QUANTITY)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Keeping stock is a staff job: the items they may change are the ones they may move.
        self.fields["item"].queryset = Item.objects.visible_to(user, "change")
        self.fields["warehouse"].queryset = warehouses(user)


class ReceiveForm(MovementForm):
    expires_on = forms.DateField(label=_("expires on"), required=False, widget=DAY)
    field_order = ["item", "warehouse", "quantity", "expires_on", "reason"]


class IssueForm(MovementForm):
    pass


class TransferForm(MovementForm):
    destination = forms.ModelChoiceField(label=_("to warehouse"), queryset=Facility.objects.none())
    field_order = ["item", "warehouse", "destination", "quantity", "reason"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["warehouse"].label = _("from warehouse")
        self.fields["destination"].queryset = warehouses(user)


class CountForm(forms.Form):
    counted = forms.DecimalField(label=_("counted"), max_digits=14, decimal_places=3, min_value=0)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class NormForm(ScopedModelForm):
    """A community's own reserve norm, overriding the platform default of its category."""

    class Meta:
        model = ReserveNorm
        fields = ["community", "category", "basis", "amount", "unit", "days", "note"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("It must be more than zero."))
        return amount


class DistributionForm(forms.Form):
    item = forms.ModelChoiceField(label=_("item"), queryset=Item.objects.none())
    warehouse = forms.ModelChoiceField(label=_("warehouse"), queryset=Facility.objects.none())
    building = forms.ModelChoiceField(label=_("building"), queryset=Building.objects.none())
    household = forms.ModelChoiceField(label=_("household"), queryset=Household.objects.none(),
                                       required=False,
                                       help_text=_("Leave empty for the whole building."))
    quantity = forms.DecimalField(**QUANTITY)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.visible_to(user, "view")
        self.fields["warehouse"].queryset = warehouses(user)
        self.fields["building"].queryset = Building.objects.visible_to(user, "view")
        self.fields["household"].queryset = Household.objects.visible_to(user, "view")


class GroupPurchaseForm(ScopedModelForm):
    class Meta:
        model = GroupPurchase
        fields = ["community", "building", "title", "supplier", "order_by"]
        widgets = {"order_by": WHEN}


class PurchaseLineForm(forms.ModelForm):
    class Meta:
        model = PurchaseLine
        fields = ["name", "unit", "price", "max_per_household"]

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is not None and price < 0:
            raise forms.ValidationError(_("It cannot be negative."))
        return price


class OrderForm(forms.Form):
    """One number field per line of the purchase (``line_<id>``), bounded by its maximum."""

    def __init__(self, *args, purchase, initial_quantities=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_quantities = initial_quantities or {}
        for line in purchase.lines.all():
            label = f"{line.name} ({line.unit})"
            if line.price is not None:
                label += f" · ¥{line.price}"
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=label, min_value=0, max_value=line.max_per_household, required=False,
                initial=initial_quantities.get(str(line.pk), 0),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def quantities(self) -> dict[str, int]:
        return {name.removeprefix("line_"): value or 0
                for name, value in self.cleaned_data.items() if name.startswith("line_")}
