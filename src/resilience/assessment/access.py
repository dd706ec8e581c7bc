"""Which communities a user may assess: the same rule as ``AssessmentRun.objects.visible_to``
(its ``access``), applied to communities themselves, so a page can list the communities before
any run exists. Staff: their community; the street office: its communities; grid workers: the
community of their grid, to view; residents and volunteers: none."""
from __future__ import annotations

from django.http import Http404

from resilience.assessment.models.runs import ASSESSMENT_ACCESS
from resilience.core.scope import can_any, reached
from resilience.places.models import Community


class _CommunityScope:
    """A community seen as an assessment record: its path to itself is its primary key."""

    scope_paths = {"community": "pk"}
    access = ASSESSMENT_ACCESS


def communities_for(user, action: str = "view"):
    """The communities whose assessment ``user`` may ``action`` (view, add…)."""
    return reached(Community.objects.all(), user, action, rules=_CommunityScope)


def may(user, action: str, community) -> bool:
    return communities_for(user, action).filter(pk=getattr(community, "pk", community)).exists()


def community_or_404(user, pk, action: str = "view") -> Community:
    """The community if ``user`` may ``action`` its assessment; else 404 (not visible) — the
    caller turns "visible but not allowed" into 403."""
    community = communities_for(user, "view").filter(pk=pk).first()
    if community is None:
        raise Http404
    return community


def sees_assessment(user) -> bool:
    from resilience.assessment.models import AssessmentRun

    return can_any(user, "view", AssessmentRun)


__all__ = ["communities_for", "community_or_404", "may", "sees_assessment"]
