"""Self-evaluation against the national comprehensive disaster-reduction demonstration
community criteria, saved as ``SelfEvaluation``. The criteria and evidence are in
``assessment.checklist``."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from resilience.assessment.models import SelfEvaluation


def evaluate_community(community, attestations: dict | None = None, *, by=None,
                       at=None) -> SelfEvaluation:
    """Evaluate ``community`` (with manual ``attestations``: item code → note) and save it."""
    from resilience.assessment import checklist

    at = at or timezone.now()
    attestations = {str(k): str(v) for k, v in (attestations or {}).items() if str(v).strip()}
    try:
        result = checklist.evaluate(community, attestations, at=at)
    except ValidationError:
        raise
    except (TypeError, ValueError) as exc:
        raise ValidationError({"attestations": str(exc)}) from None
    items = [dict(item, part="basic") for item in result.get("basic", [])]
    items += [dict(item, part="scored") for item in result.get("scored", [])]
    with transaction.atomic():
        return SelfEvaluation.objects.create(
            community=community, at=at, items=items, attestations=attestations,
            total=float(result.get("total") or 0), passed=bool(result.get("passed")), by=by)


def latest_evaluation(community) -> SelfEvaluation | None:
    return SelfEvaluation.objects.filter(community=community).order_by("-at", "-id").first()
