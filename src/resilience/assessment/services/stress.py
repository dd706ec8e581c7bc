"""Run a stress scenario on a community and keep the result (``StressTest``), so it can be
compared with the previous run of the same scenario after improvements. The arithmetic is in
``assessment.stress``."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from resilience.assessment.models import StressTest


def _engine():
    from resilience.assessment import stress as engine

    return engine


def run_stress_test(community, kind: str, parameters: dict | None = None, *, by=None,
                    at=None) -> StressTest:
    """Compute scenario ``kind`` with ``parameters`` on ``community`` and save it.

    Raises ``ValidationError`` naming ``kind`` or the bad parameter; nothing is saved then.
    """
    engine = _engine()
    parameters = dict(parameters or {})
    at = at or timezone.now()
    try:
        result = engine.run(community, kind, parameters, at=at)
    except ValidationError:
        raise
    except (TypeError, ValueError) as exc:
        raise ValidationError({"parameters": str(exc)}) from None
    with transaction.atomic():
        cleaned = (result.get("details") or {}).get("parameters", parameters)
        return StressTest.objects.create(community=community, kind=kind, parameters=cleaned,
                                         result=result, at=at, by=by)


def previous_test(test: StressTest) -> StressTest | None:
    """The run of the same scenario on the same community just before ``test``."""
    earlier = StressTest.objects.filter(community_id=test.community_id, kind=test.kind)
    return (earlier.filter(at__lt=test.at) | earlier.filter(at=test.at, pk__lt=test.pk)).order_by(
        "-at", "-id").first()


def comparison(test: StressTest, previous: StressTest | None = None) -> list[dict]:
    """Key figures of ``test`` against the previous run of its scenario (the engine's
    ``compare``), each with a ``verdict``: better, worse or same."""
    previous = previous if previous is not None else previous_test(test)
    if previous is None:
        return []
    rows = _engine().compare(previous.result or {}, test.result or {})
    for row in rows:
        if row["better"]:
            row["verdict"] = "better"
        elif row["before"] is not None and row["after"] is not None and \
                row["before"] != row["after"]:
            row["verdict"] = "worse"
        else:
            row["verdict"] = "same"
    return rows
