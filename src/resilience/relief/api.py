"""The relief API: ``/api/requests/``, ``/api/surveys/``, ``/api/supplies/``, dispatch under
``/api/volunteers/``. Each part registers its viewsets from its own module."""


def register(router) -> None:
    from resilience.relief import api_requests, api_supplies, api_surveys

    api_supplies.register(router)
    api_surveys.register(router)
    api_requests.register(router)
