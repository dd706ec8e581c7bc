import time

from axes.middleware import AxesMiddleware
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from resilience.core.actor import acting_as


class ActorMiddleware:
    """Attributes changes made while serving a request to the signed-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        with acting_as(user, "web"):
            return self.get_response(request)


class LockoutMiddleware(AxesMiddleware):
    """django-axes' middleware, run synchronously: it turns a sign-in refused by the lockout
    into our lockout answer (``core.views.account.locked_out``). Synchronous because the
    library's async path passes the wrong arguments to the lockout callable."""

    async_capable = False


class IdleSessionMiddleware:
    """Ends a signed-in session ``SESSION_COOKIE_AGE`` seconds after its last request.

    Django's ``SESSION_SAVE_EVERY_REQUEST`` would do it by writing the session on every request,
    and open pages poll every two seconds; this writes it (moving the expiry on) at most once per
    ``TOUCH_EVERY`` seconds, so the timeout is exact to within that.
    """

    TOUCH_EVERY = 60
    KEY = "_touched"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= self.TOUCH_EVERY:
                session[self.KEY] = now  # modified: saved with a fresh expiry
        return self.get_response(request)


@receiver(user_logged_in)
def _touch_on_sign_in(sender, request=None, **kwargs):
    """Signing in saves the session anyway: stamp it then, so the first page after it does not
    write the session a second time."""
    session = getattr(request, "session", None)
    if session is not None:
        session[IdleSessionMiddleware.KEY] = int(time.time())
