"""Every API route under /api/."""
from django.urls import path, re_path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from resilience.core.api.me import me
from resilience.core.api.tokens import revoke_token
from resilience.people import api as people_api
from resilience.places import api as places_api
from resilience.places import geo
from resilience.alerts import api as alerts_api
from resilience.monitoring import api as monitoring_api
from resilience.risks import api as risks_api
from resilience.risks.api import sources as risk_sources
from resilience.response import api as response_api
from resilience.shelters import api as shelters_api
from resilience.participation import api as participation_api
from resilience.health import api as health_api
from resilience.relief import api as relief_api
from resilience.street import api as street_api
from resilience.street import api_urls_rollups as street_rollup_urls
from resilience.assessment import api as assessment_api

router = DefaultRouter()
router.register("regions", places_api.RegionViewSet, basename="region")
router.register("communities", places_api.CommunityViewSet, basename="community")
router.register("grids", places_api.GridViewSet, basename="grid")
router.register("buildings", places_api.BuildingViewSet, basename="building")
router.register("units", places_api.UnitViewSet, basename="unit")
router.register("facilities", places_api.FacilityViewSet, basename="facility")
router.register("organisations", people_api.OrganisationViewSet, basename="organisation")
router.register("households", people_api.HouseholdViewSet, basename="household")
router.register("residents", people_api.ResidentViewSet, basename="resident")
router.register("volunteers", people_api.VolunteerViewSet, basename="volunteer")
router.register("pairings", people_api.PairingViewSet, basename="pairing")
router.register("memberships", people_api.MembershipViewSet, basename="membership")
risks_api.register(router)
monitoring_api.register(router)
alerts_api.register(router)
response_api.register(router)
shelters_api.register(router)
participation_api.register(router)
health_api.register(router)
relief_api.register(router)
street_api.register(router)
assessment_api.register(router)

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("auth/token/revoke/", revoke_token, name="api-token-revoke"),
    path("me/", me, name="api-me"),
    path("geo/risks/", risk_sources.risk_layer, name="api-geo-risks"),
    re_path(r"^geo/(?P<layer>%s)/$" % "|".join(geo.LAYERS), geo.layer, name="api-geo-layer"),
    *street_rollup_urls.urlpatterns,
    *router.urls,
]
