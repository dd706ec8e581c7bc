"""Services of the risk register: assess (and re-assess) a risk source, count risks by grade."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from resilience.risks.grading import grade
from resilience.risks.models import RiskAssessment, RiskSource
from resilience.risks.vocab import GRADE_ORDER


def assess(risk: RiskSource, method: str, inputs: dict, user=None, note: str = "") -> RiskAssessment:
    """Grade ``risk`` by ``method`` from ``inputs``, keep the assessment in its history, return it.

    Raises ``ValidationError`` (keyed ``method`` or by input name) before anything is written. The
    risk is saved with its new method, inputs, score, grade and time — together with any other
    unsaved change on the instance, so a new risk is created already graded.
    """
    score, graded = grade(method, inputs)
    now = timezone.now()
    with transaction.atomic():
        risk.method, risk.inputs, risk.score, risk.grade = method, dict(inputs), score, graded
        risk.assessed_at = now
        risk.save()  # one save, so the change log holds one entry per assessment
        assessment = RiskAssessment.objects.create(
            risk=risk, method=method, inputs=dict(inputs), score=score, grade=graded,
            assessed_by=user if user is not None and getattr(user, "pk", None) else None, note=note)
        # assessed_at is auto_now_add: align it with the risk's in the same transaction
        RiskAssessment.objects.filter(pk=assessment.pk).update(assessed_at=now)
        assessment.assessed_at = now
    return assessment


def grade_counts(queryset) -> dict[str, int]:
    """Risk sources of ``queryset`` per grade, most severe first, every grade present (0 if none)."""
    counts = dict(queryset.exclude(grade="").values_list("grade").annotate(n=Count("pk"))
                  .order_by())
    return {str(g): counts.get(g, 0) for g in GRADE_ORDER}
