from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from resilience.core.scope import memberships_of


@extend_schema(summary="The signed-in user and their roles", responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def me(request):
    user = request.user
    return Response({
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "is_superuser": user.is_superuser,
        "memberships": [
            {"role": m.role, "region": m.region_id, "community": m.community_id,
             "grid": m.grid_id, "household": m.household_id, "organisation": m.organisation_id}
            for m in memberships_of(user)
        ],
    })
