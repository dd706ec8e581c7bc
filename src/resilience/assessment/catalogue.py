"""The indicator catalogue: what each indicator means and how it is obtained.

An indicator is declared once, in code, with ``@indicator(...)`` on a function that computes it
for many communities at once from the platform's live data (a few grouped queries, never one
query per community, so 1,000 communities are assessed in seconds):

    @indicator("shelter_places_per_resident", Dimension.PHYSICAL, unit=_("places per resident"),
               name=_("Shelter places per resident"), definition=_("…"), target=0.2, worst=0,
               recommendations=((50, _("…")), (80, _("…"))))
    def shelter_places(community_ids, at):
        return {cid: Measurement(value, {"places": p, "residents": r}) for …}

Indicators with ``source`` SURVEY or IMPORTED have no function: their value is the newest
``IndicatorEntry`` on or before the assessment time.

Scoring (the target-normalised method): ``score = 100 · (value − worst) / (target − worst)``,
clamped to 0–100 — the same formula for "lower is better" indicators, where ``target`` is below
``worst`` (e.g. median acknowledgement minutes: target 5, worst 60).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from resilience.assessment.vocab import Dimension, Direction, Source


@dataclass(frozen=True)
class Measurement:
    """An indicator's value for one community and what it was computed from. ``value`` is None
    when there is nothing to measure (no residents, no sensors…): the indicator is then left out
    of the score, and the inputs say why."""

    value: float | None
    inputs: dict = field(default_factory=dict)


Compute = Callable[[list[int], dt.datetime], dict[int, Measurement]]


@dataclass(frozen=True)
class Indicator:
    code: str
    dimension: str
    name: str
    definition: str
    unit: str
    target: float
    worst: float
    source: str = Source.COMPUTED
    recommendations: tuple[tuple[float, str], ...] = ()
    compute: Compute | None = None

    @property
    def direction(self) -> int:
        return Direction.HIGHER_BETTER if self.target >= self.worst else Direction.LOWER_BETTER

    def score(self, value: float | None) -> float | None:
        """0–100: how far the value is from ``worst`` towards ``target``."""
        if value is None:
            return None
        if self.target == self.worst:
            return 100.0 if value == self.target else 0.0
        share = (value - self.worst) / (self.target - self.worst)
        return round(100.0 * min(1.0, max(0.0, share)), 2)

    def recommendation(self, score: float | None) -> str:
        """The advice for the band the score falls in: the first band whose upper bound is
        above the score; none once the target is met."""
        if score is None:
            return ""
        for upper, text in sorted(self.recommendations, key=lambda band: band[0]):
            if score < upper:
                return str(text)
        return ""


_CATALOGUE: dict[str, Indicator] = {}


def indicator(code: str, dimension: str, *, name, definition, unit, target: float,
              worst: float = 0.0, source: str = Source.COMPUTED,
              recommendations: Iterable[tuple[float, str]] = ()):
    """Declare an indicator; used as a decorator on its compute function (computed ones) or
    called directly (survey or imported ones)."""
    if dimension not in Dimension.values:
        raise ValueError(f"unknown dimension {dimension!r} for {code}")

    def register(function: Compute | None) -> Compute | None:
        if code in _CATALOGUE:
            raise ValueError(f"indicator {code} declared twice")
        _CATALOGUE[code] = Indicator(code, dimension, name, definition, unit, target, worst,
                                     source, tuple(recommendations), function)
        return function

    if source != Source.COMPUTED:
        register(None)
        return None
    return register


def catalogue() -> dict[str, Indicator]:
    """Every declared indicator by code (importing the modules that declare them)."""
    from resilience.assessment import indicators  # noqa: F401  (declares on import)

    return dict(_CATALOGUE)
