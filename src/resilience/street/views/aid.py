"""Mutual-aid pages.

- the aid board (``aid/``): the office sees its street's communities and their open requests;
  staff see their own community's requests only (``visible_to`` decides);
- "ask the street for help" (``aid/new/``) for staff;
- a request with its steps (``aid/<pk>/``); for the office also the offers across the street and
  the forms to transfer stock, lend volunteers or refer evacuees;
- the street's records of transfers, loans and referrals (``aid/records/``), ending a loan early.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any
from resilience.core.views.forms import add_errors, flash_errors
from resilience.places.models import Community
from resilience.relief import ledger
from resilience.street import aid, offers
from resilience.street.forms import AidRequestForm, LendForm, ReferForm, TransferForm
from resilience.street.models import AidRequest, ShelterReferral, StockTransfer, VolunteerLoan
from resilience.street.vocab import AidKind, AidStatus

PAGE_SIZE = 25
STATUS_FILTERS = {"open": (AidStatus.OPEN, AidStatus.PARTLY), "met": (AidStatus.MET,),
                  "cancelled": (AidStatus.CANCELLED,), "all": tuple(AidStatus.values)}


def is_office(user) -> bool:
    """Whether the user answers requests (may record steps somewhere): the street office."""
    return can_any(user, "add", StockTransfer)


def _need(user, action: str, model) -> None:
    if not can_any(user, action, model):
        raise PermissionDenied


@login_required
def aid_board(request):
    """Open requests (filter ``?status=``), and for the office the communities of its street."""
    _need(request.user, "view", AidRequest)
    status = request.GET.get("status", "open")
    statuses = STATUS_FILTERS.get(status, STATUS_FILTERS["open"])
    requests = (AidRequest.objects.visible_to(request.user).filter(status__in=statuses)
                .select_related("community").order_by("needed_by", "-created"))
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    office = is_office(request.user)
    communities = None
    if office:
        visible = Community.objects.visible_to(request.user).annotate(open_requests=Count(
            "aid_requests", filter=Q(aid_requests__status__in=STATUS_FILTERS["open"])))
        communities = Paginator(visible.select_related("region").order_by("region__name", "name"),
                                50).get_page(request.GET.get("communities"))
    incoming = None
    if not office:  # staff: evacuees of neighbours pointed to their community's shelters
        incoming = (ShelterReferral.objects.visible_to(request.user)
                    .select_related("from_community", "shelter__facility")[:20])
    return render(request, "street/aid_board.html", {
        "page": page, "status": status, "office": office, "communities": communities,
        "incoming": incoming,
        "statuses": [("open", _("open")), ("met", _("met")), ("cancelled", _("cancelled")),
                     ("all", _("all"))],
        "may_ask": can_any(request.user, "add", AidRequest) and not office,
    })


@login_required
def aid_new(request):
    """A community's staff ask their street for help."""
    _need(request.user, "add", AidRequest)
    form = AidRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = aid.open_request(request.user, data["community"], kind=data["kind"],
                                    quantity=data["quantity"], item_name=data["item_name"],
                                    unit=data["unit"], needed_by=data["needed_by"],
                                    reason=data["reason"])
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied:
            form.add_error("community", _("You may not ask for help for this community."))
        else:
            messages.success(request, _("Your request went to the street office."))
            return redirect(made.get_absolute_url())
    return render(request, "street/aid_new.html", {"form": form},
                  status=400 if form.errors else 200)


def steps_of(aid_request: AidRequest) -> list[dict]:
    """The request's steps, oldest first, with what each side needs to know of them."""
    rows = []
    for t in aid_request.transfers.select_related("from_community", "to_item", "to_warehouse"):
        rows.append({"at": t.at, "kind": "transfer", "text": _(
            "%(quantity)s %(unit)s of %(item)s from %(giver)s into %(warehouse)s") % {
            "quantity": ledger.format_quantity(t.quantity), "unit": t.to_item.unit,
            "item": t.to_item.name, "giver": t.from_community, "warehouse": t.to_warehouse}})
    for loan in aid_request.loans.select_related("volunteer", "from_community"):
        rows.append({"at": loan.created, "kind": "loan", "loan": loan, "text": _(
            "%(name)s (volunteer of %(giver)s) until %(ends)s · %(status)s") % {
            "name": loan.volunteer.name, "giver": loan.from_community,
            "ends": _local(loan.ends), "status": loan.get_status_display()}})
    for ref in aid_request.referrals.select_related("shelter__facility__community"):
        rows.append({"at": ref.at, "kind": "referral", "text": _(
            "%(places)s places at %(shelter)s (%(host)s)") % {
            "places": ref.places, "shelter": ref.shelter,
            "host": ref.shelter.facility.community}})
    rows.sort(key=lambda r: r["at"])
    return rows


def _local(value) -> str:
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _detail(request, aid_request: AidRequest, forms: dict | None = None, status: int = 200):
    may_answer = can(request.user, "change", aid_request) and is_office(request.user)
    context = {"req": aid_request, "steps": steps_of(aid_request),
               "given": aid.given(aid_request), "missing": aid.remaining(aid_request),
               "may_answer": may_answer and aid_request.status in aid.ANSWERABLE,
               "may_cancel": can(request.user, "change", aid_request)
               and aid_request.status in aid.ANSWERABLE}
    if context["may_answer"]:
        found = offers.offers_for(aid_request)
        context["offers"] = found
        forms = forms or {}
        if aid_request.kind == AidKind.SUPPLIES:
            context["form"] = forms.get("form") or TransferForm(
                request=aid_request, supply_offers=found["supplies"])
        elif aid_request.kind == AidKind.VOLUNTEERS:
            context["form"] = forms.get("form") or LendForm(
                request=aid_request, groups=found["volunteers"])
        else:
            context["form"] = forms.get("form") or ReferForm(shelters=found["shelters"])
    return render(request, "street/aid_detail.html", context, status=status)


def _request(request, pk: int, action: str = "view") -> AidRequest:
    return get_object_or_404(AidRequest.objects.visible_to(request.user, action)
                             .select_related("community", "region"), pk=pk)


@login_required
def aid_detail(request, pk: int):
    return _detail(request, _request(request, pk))


@login_required
@require_POST
def aid_answer(request, pk: int):
    """Record the step the request's kind takes: a transfer, a loan or a referral."""
    aid_request = _request(request, pk, "change")
    if not is_office(request.user):
        raise PermissionDenied
    found = offers.offers_for(aid_request)
    if aid_request.kind == AidKind.SUPPLIES:
        form = TransferForm(request.POST, request=aid_request, supply_offers=found["supplies"])
    elif aid_request.kind == AidKind.VOLUNTEERS:
        form = LendForm(request.POST, request=aid_request, groups=found["volunteers"])
    else:
        form = ReferForm(request.POST, shelters=found["shelters"])
    if form.is_valid():
        data = form.cleaned_data
        try:
            if aid_request.kind == AidKind.SUPPLIES:
                offer = form.chosen()
                aid.transfer_stock(from_item=offer.item, from_warehouse=offer.warehouse,
                                   to_community=aid_request.community, quantity=data["quantity"],
                                   to_warehouse=data["to_warehouse"], by=request.user,
                                   request=aid_request)
                done = _("Stock moved; both ledgers have it.")
            elif aid_request.kind == AidKind.VOLUNTEERS:
                aid.lend_volunteers(form.chosen(), aid_request.community, data["ends"],
                                    by=request.user, request=aid_request)
                done = _("Volunteers lent.")
            else:
                aid.refer_evacuees(from_community=aid_request.community, shelter=form.chosen(),
                                   places=data["places"], note=data["note"], by=request.user,
                                   request=aid_request)
                done = _("Evacuees referred to the shelter.")
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not do that."))
        else:
            messages.success(request, done)
            return redirect(aid_request.get_absolute_url())
    aid_request.refresh_from_db()
    return _detail(request, aid_request, {"form": form}, status=400)


@login_required
@require_POST
def aid_cancel(request, pk: int):
    aid_request = _request(request, pk, "change")
    try:
        aid.cancel_request(aid_request, request.user)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The request was cancelled."))
    return redirect(aid_request.get_absolute_url())


@login_required
def aid_records(request):
    """The street's records: stock transfers, volunteer loans and shelter referrals."""
    _need(request.user, "view", StockTransfer)
    user = request.user
    transfers = (StockTransfer.objects.visible_to(user)
                 .select_related("from_community", "to_community", "to_item", "request"))
    loans = (VolunteerLoan.objects.visible_to(user)
             .select_related("volunteer", "from_community", "to_community", "request"))
    referrals = (ShelterReferral.objects.visible_to(user)
                 .select_related("from_community", "shelter__facility__community", "request"))
    return render(request, "street/aid_records.html", {
        "transfers": Paginator(transfers, PAGE_SIZE).get_page(request.GET.get("transfers")),
        "loans": Paginator(loans, PAGE_SIZE).get_page(request.GET.get("loans")),
        "referrals": Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("referrals")),
        "may_end": can_any(user, "change", VolunteerLoan),
    })


@login_required
@require_POST
def loan_end(request, pk: int):
    loan = get_object_or_404(VolunteerLoan.objects.visible_to(request.user, "change"), pk=pk)
    try:
        aid.end_loan(loan, by=request.user)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The loan of %(name)s has ended.") % {"name": loan.volunteer})
    back = request.POST.get("next", "")
    if loan.request_id and back == "request":
        return redirect(loan.request.get_absolute_url())
    return redirect("street:aid_records")


def urls() -> list:
    return [
        path("aid/", aid_board, name="aid_board"),
        path("aid/new/", aid_new, name="aid_new"),
        path("aid/records/", aid_records, name="aid_records"),
        path("aid/<int:pk>/", aid_detail, name="aid_detail"),
        path("aid/<int:pk>/answer/", aid_answer, name="aid_answer"),
        path("aid/<int:pk>/cancel/", aid_cancel, name="aid_cancel"),
        path("aid/loans/<int:pk>/end/", loan_end, name="loan_end"),
    ]
