"""Indicator declarations, one module per dimension; importing this package fills the catalogue
(see ``assessment.catalogue``). ``common`` holds the grouped queries they share and ``doc`` the
table in ``docs/indicators.md``."""
from resilience.assessment.indicators import (  # noqa: F401  (declare on import)
    institutional,
    organisational,
    physical,
    social,
    technological,
)
