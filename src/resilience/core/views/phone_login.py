"""Sign-in by phone number and a one-time SMS code: two phone-sized pages (docs/phone-login.md).

``/login/phone/`` asks for the number and texts a code (when the number belongs to a resident
account — the page never says whether it does); ``/login/phone/code/`` takes the code and signs
in. Between the two the session holds the number encrypted, never in clear.
"""
from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from resilience.core import auth, crypto
from resilience.core.views.generic import client_ip

SESSION_KEY = "phone_login_number"  # the normalised number, encrypted
BACKEND = "resilience.core.auth.PhoneCodeBackend"


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"), max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel",
                                      "autofocus": True, "placeholder": "138 0000 0000"}))

    def clean_phone(self) -> str:
        number = auth.normalise_phone(self.cleaned_data["phone"])
        if not number:
            raise forms.ValidationError(_("Enter an 11-digit mobile number."))
        return number


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "pattern": "[0-9 ]*", "autofocus": True,
                                      "placeholder": "123456"}))


def _wait_message(seconds: int) -> str:
    if seconds >= 120:
        minutes = -(-seconds // 60)
        return ngettext("You have asked for too many codes. Please try again in %(count)d minute.",
                        "You have asked for too many codes. Please try again in %(count)d minutes.",
                        minutes) % {"count": minutes}
    return ngettext("Please wait %(count)d second before asking for another code.",
                    "Please wait %(count)d seconds before asking for another code.",
                    seconds) % {"count": seconds}


@sensitive_post_parameters("phone")
@csrf_protect
@never_cache
def phone_login(request):
    """Step 1: the number. The same answer for every valid number (no user enumeration)."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    enabled = auth.sms_enabled()
    form = PhoneForm(request.POST if request.method == "POST" and enabled else None)
    if form.is_bound and form.is_valid():
        number = form.cleaned_data["phone"]
        try:
            auth.check_client_rate(client_ip(request))  # one client walking many numbers
            auth.request_code(number)
        except auth.RateLimited as limited:
            form.add_error(None, _wait_message(limited.seconds))
        else:
            request.session[SESSION_KEY] = crypto.encrypt(number)
            return redirect("phone_code")
    return render(request, "registration/phone_login.html", {"form": form, "enabled": enabled})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def phone_code(request):
    """Step 2: the code. A wrong, expired, used or unknown one gets one neutral message."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    try:
        number = crypto.decrypt(request.session.get(SESSION_KEY, ""))
    except ValueError:
        number = ""
    if not number:
        return redirect("phone_login")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        user = authenticate(request, phone=number, code=form.cleaned_data["code"])
        if user is not None:
            request.session.pop(SESSION_KEY, None)
            login(request, user, backend=BACKEND)
            return redirect(reverse("dashboard"))
        form.add_error(None, _("That code is not right or is no longer valid. Check the text "
                               "message, or ask for a new code."))
    return render(request, "registration/phone_code.html", {
        "form": form, "phone_masked": crypto.mask_phone(number),
        "minutes": int(auth.CODE_LIFETIME.total_seconds() // 60)})
