"""The signed-in user's own account: API token (create, revoke), password, and the page shown
when sign-in is locked after too many failures (docs/reliability.md, "Authentication")."""
from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token


def lockout_message(request) -> str:
    """The same words whether or not the account exists: it says nothing about it."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return _("Too many failed sign-in attempts. Sign-in is locked; ask an administrator "
                 "to release it.")
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    return ngettext(
        "Too many failed sign-in attempts. For your safety, sign-in is paused for %(count)d "
        "minute. An administrator can release it sooner.",
        "Too many failed sign-in attempts. For your safety, sign-in is paused for %(count)d "
        "minutes. An administrator can release it sooner.", minutes) % {"count": minutes}


def locked_out(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: 429 with a page, or with ``{"detail": …}`` for the API."""
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


@never_cache
@login_required
def account(request):
    """Who I am, my API token (its key shown once, when made) and a link to change my password."""
    token = Token.objects.filter(user=request.user).first()
    return render(request, "registration/account.html", {
        "token": token, "new_key": request.session.pop("new_api_token", None)})


@require_POST
@login_required
def create_token(request):
    """Make a new API token; any earlier one stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=request.user).delete()
        token = Token.objects.create(user=request.user)
    # Shown once on the next page, then only its creation date: the key is a password.
    request.session["new_api_token"] = token.key
    messages.success(request, _("A new API token was made. Copy it now: it is shown only once."))
    return redirect("account")


@require_POST
@login_required
def revoke_token(request):
    """Delete my API token: requests that carry it are refused from now on."""
    deleted, _unused = Token.objects.filter(user=request.user).delete()
    if deleted:
        messages.success(request, _("Your API token was revoked."))
    else:
        messages.info(request, _("You had no API token."))
    return redirect("account")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own form: the old password, and a new one that passes
    ``AUTH_PASSWORD_VALIDATORS`` (length, similarity, common, all digits)."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response
