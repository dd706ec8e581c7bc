"""REST API of the risks app; each module registers its viewsets on the shared router."""
from resilience.risks.api import hazards, inspections, sources


def register(router) -> None:
    sources.register(router)
    inspections.register(router)
    hazards.register(router)
