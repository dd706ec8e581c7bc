def register(router) -> None:
    """Register this module's viewsets (to be written)."""
