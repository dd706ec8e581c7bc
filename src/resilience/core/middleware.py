import logging
import time

from axes.middleware import AxesMiddleware
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse, UnreadablePostError
from django.shortcuts import render
from django.utils.translation import gettext

from resilience.core.actor import acting_as
from resilience.core.storage import disk_full

log = logging.getLogger(__name__)


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


class DiskFullMiddleware:
    """A full disk while taking an upload is a clear answer, not a 500: 507 with the reason, as
    JSON under ``/api/`` and as a page elsewhere.

    The upload is written either while the request body is read (a large file goes to
    ``FILE_UPLOAD_TEMP_DIR``) or when a record with a file is saved (``core.storage``). Services
    save inside a transaction, so the error rolls the record back; the storage removes its partial
    file and the body's temporary files are closed (which deletes them) here. A page form's body is
    read here, before ``CsrfViewMiddleware`` would read it where no view's error handling reaches.
    """

    STATUS = 507  # Insufficient Storage

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (request.method == "POST" and request.content_type == "multipart/form-data"
                and not request.path.startswith("/api/")):  # the API's views read their own body
            try:
                request.POST  # noqa: B018 -- reading the body writes its files
            except UnreadablePostError:
                pass  # the client went away: CsrfViewMiddleware answers as it always has
            except OSError as exc:
                if not disk_full(exc):
                    raise
                return self.answer(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if disk_full(exception):
            return self.answer(request, exception)
        return None

    def answer(self, request, exc: BaseException):
        log.error("the disk is full: %s %s refused (%s)", request.method, request.path, exc)
        for handler in getattr(request, "_upload_handlers", None) or ():
            upload = getattr(handler, "file", None)
            if upload is not None:
                upload.close()  # a temporary upload file is deleted when closed
        message = gettext("The server's disk is full, so nothing was saved. Try again later or "
                          "tell the operator.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=self.STATUS)
        return render(request, "507.html", {"message": message}, status=self.STATUS)
