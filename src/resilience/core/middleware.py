from resilience.core.actor import acting_as


class ActorMiddleware:
    """Attributes changes made while serving a request to the signed-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        with acting_as(user, "web"):
            return self.get_response(request)
