"""Request pages: the list with priorities explained, the detail with its timeline and the
steps the user may take, the phone form residents (and workers) file with, and "My requests"."""
from __future__ import annotations

from contextvars import ContextVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.scope import can_any
from resilience.core.views.files import serve_file
from resilience.core.views.forms import add_errors
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.participation.portal import household_of
from resilience.relief import requests as service
from resilience.relief import services
from resilience.relief.filtersets_requests import NeedRequestFilterSet
from resilience.relief.forms_requests import (AssignForm, CannotFulfilForm, DeliverForm,
                                              NoteForm, RequestForm)
from resilience.relief.models import NeedRequest
from resilience.relief.priority import explain
from resilience.response.views.common import error_text, safe_next

# Whether this request's reader may see health conditions in the priority sentence: set where
# the list starts (get_queryset), read by the column, one value per request context.
_HEALTH: ContextVar[bool] = ContextVar("relief_explain_health", default=False)


def _why(request: NeedRequest) -> str:
    return explain(request.priority_reasons, health=_HEALTH.get())


def _due(request: NeedRequest) -> str:
    if request.due_at is None:
        return ""
    late = request.status in ("open", "assigned", "in_delivery") and request.due_at < timezone.now()
    when = timezone.localtime(request.due_at).strftime("%m-%d %H:%M")
    return _("%(when)s (overdue)") % {"when": when} if late else when


class NeedRequestViews(ObjectViews):
    model = NeedRequest
    slug = "requests"
    filterset = NeedRequestFilterSet
    columns = (
        Column("kind", link=True), "household", "status",
        Column("priority", order="priority"),
        Column("why", _l("why this priority"), _why),
        Column("due", _l("due by"), _due, order="due_at"), "volunteer", "created")
    select_related = ("household__building", "household__unit", "volunteer", "community")
    filter_fields = ("status", "kind", "urgency", "building", "active", "overdue", "community")
    detail_groups = (
        (_l("request"), ("kind", "visit_reason", "urgency", "description", "medicine",
                         "days_left", "item", "quantity", "status")),
        (_l("for whom"), ("household", "resident", "building", "grid", "community")),
        (_l("priority"), ("priority", Column("why", _l("why"), _why),
                          "due_at", "escalated_at")),
        (_l("delivery"), ("volunteer", "batch", "proof_note", "outcome_reason", "closed_at",
                          "created_by")),
    )
    detail_template = "relief/request_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("requests/new/", request_new, name="request_new"),
            path("requests/mine/", my_requests, name="request_mine"),
            *super().urls(),
            path("requests/<int:pk>/step/<str:step>/", step, name="request_step"),
            path("requests/<int:pk>/proof/", proof, name="request_proof"),
        ]

    def get_queryset(self, request, action: str = "view"):
        _HEALTH.set(service.shows_health(request.user))
        return super().get_queryset(request, action).order_by("-priority", "created", "id")

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        user = request.user
        actions = service.allowed_actions(obj, user)
        context.update({
            "events": obj.events.select_related("by"),
            "actions": actions,
            "assign_form": AssignForm(user=user, community_id=obj.community_id,
                                      initial={"volunteer": obj.volunteer_id})
            if service.ASSIGN in actions else None,
            "deliver_form": DeliverForm() if service.DELIVER in actions else None,
            "cannot_form": CannotFulfilForm() if service.CANNOT in actions else None,
            "can_change": False,  # steps, not free edits, change a request
        })
        return context


@login_required
def request_new(request):
    """The phone form: a resident asks for their household; a worker chooses the household."""
    household = household_of(request.user)
    worker = can_any(request.user, "add", NeedRequest) and not _resident_only(request.user)
    if household is None and not worker:
        raise PermissionDenied(_("Only residents and community workers may file requests."))
    fixed = None if worker else household
    form = RequestForm(request.POST or None, user=request.user, household=fixed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            filed = service.file_request(
                request.user, household=data["household"], resident=data["resident"],
                kind=data["kind"], visit_reason=data["visit_reason"], urgency=data["urgency"],
                description=data["description"], medicine=data["medicine"],
                days_left=data["days_left"], item=data["item"], quantity=data["quantity"])
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("household" if worker else None, str(exc))
        else:
            messages.success(request, _("Your request was sent. Priority: %(why)s") % {
                "why": explain(filed.priority_reasons)})
            if worker:
                return redirect(filed.get_absolute_url())
            return redirect("relief:request_mine")
    status = 400 if form.is_bound else 200
    return render(request, "relief/request_new.html", {"form": form, "worker": worker},
                  status=status)


def _resident_only(user) -> bool:
    from resilience.participation.portal import is_resident_only

    return is_resident_only(user)


@login_required
def my_requests(request):
    """The resident's requests (their household's), newest first, with their timeline."""
    items = list(services.requests_of(request.user, limit=50))
    for item in items:
        item.timeline = list(item.events.all())
    return render(request, "relief/request_mine.html", {"requests": items})


STEP_FORMS = {service.ASSIGN: AssignForm, service.PICKUP: NoteForm,
              service.DELIVER: DeliverForm, service.CANNOT: CannotFulfilForm}


@login_required
@require_POST
def step(request, pk: int, step: str):
    """One step of the state machine from a form (detail page or the volunteer's phone page);
    a refusal is shown as a message and nothing changes."""
    obj = NeedRequestViews().get_object(request, pk)
    if step not in STEP_FORMS:
        raise PermissionDenied
    if step == service.ASSIGN:
        form = AssignForm(request.POST, user=request.user, community_id=obj.community_id)
    else:
        form = STEP_FORMS[step](request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(safe_next(request, obj.get_absolute_url()))
    data = form.cleaned_data
    try:
        if step == service.ASSIGN:
            service.assign(obj, request.user, data["volunteer"], note=data["note"])
        elif step == service.PICKUP:
            service.pick_up(obj, request.user, data["note"])
        elif step == service.DELIVER:
            service.deliver(obj, request.user, note=data["note"], photo=data["proof"])
        else:
            service.cannot_fulfil(obj, request.user, data["reason"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(request)s: %(status)s.") % {
            "request": str(obj.get_kind_display()).capitalize(),
            "status": obj.get_status_display()})
    return redirect(safe_next(request, obj.get_absolute_url()))


@login_required
def proof(request, pk: int):
    return serve_file(NeedRequestViews().get_object(request, pk).proof)


def urls() -> list:
    return NeedRequestViews.urls()


