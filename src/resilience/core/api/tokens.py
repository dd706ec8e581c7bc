"""Revoking one's own API token (the token itself comes from ``POST /api/auth/token/``)."""
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view
from rest_framework.response import Response


@extend_schema(summary="Revoke my API token", request=None, responses={204: None})
@api_view(["POST"])
def revoke_token(request):
    """Delete the caller's token: it is refused from the next request on. Idempotent."""
    Token.objects.filter(user=request.user).delete()
    return Response(status=status.HTTP_204_NO_CONTENT)
