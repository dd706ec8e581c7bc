"""A small catalogue of test indicators with values set by the test, installed in place of the
real catalogue (``use_catalogue``), so the methods are checked against hand-computed cases."""
from __future__ import annotations

from resilience.assessment import catalogue as catalogue_module
from resilience.assessment.catalogue import Indicator, Measurement
from resilience.assessment.vocab import Source

VALUES: dict[str, dict[int, float | None]] = {}


def _compute(code: str):
    def compute(ids, at):
        given = VALUES.get(code, {})
        return {cid: Measurement(given.get(cid), {"given": given.get(cid)}) for cid in ids}
    return compute


def make(code: str, dimension: str, target: float, worst: float = 0.0,
         source: str = Source.COMPUTED, recommendations=()) -> Indicator:
    return Indicator(code, dimension, f"Name of {code}", f"Definition of {code}", "units",
                     target, worst, source, tuple(recommendations),
                     _compute(code) if source == Source.COMPUTED else None)


def use_catalogue(monkeypatch, *indicators: Indicator) -> None:
    """Replace the catalogue with ``indicators`` for one test (restored afterwards)."""
    catalogue_module.catalogue()  # import the real declarations first, into the real registry
    VALUES.clear()
    monkeypatch.setattr(catalogue_module, "_CATALOGUE", {i.code: i for i in indicators})


def set_values(code: str, values: dict) -> None:
    VALUES[code] = {getattr(k, "pk", k): v for k, v in values.items()}
