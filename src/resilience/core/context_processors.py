from django.conf import settings


def site(request):
    return {
        "tile_url": settings.RESILIENCE_TILE_URL,
        "tile_attribution": settings.RESILIENCE_TILE_ATTRIBUTION,
    }
