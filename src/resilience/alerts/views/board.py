"""The live board of an issued alert (placeholder, replaced by the board work)."""
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from resilience.alerts import delivery
from resilience.alerts.models import Alert


@login_required
def board(request, pk):
    alert = get_object_or_404(Alert.objects.visible_to(request.user, "view"), pk=pk)
    return JsonResponse(delivery.board(alert))


def urls() -> list:
    return [path("alerts/<int:pk>/board/", board, name="alert_board")]
