"""Group endpoint pages (placeholder, replaced by the endpoint work)."""


def urls() -> list:
    return []
