"""Staff rich text (notice bodies) cleaned to a small tag set before it is stored or shown."""
from __future__ import annotations

import nh3

TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def clean_html(html: str) -> str:
    """Only ``TAGS``; links keep ``href`` with a safe scheme; scripts and styles go entirely."""
    return nh3.clean(html or "", tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     clean_content_tags={"script", "style"}, link_rel="noopener noreferrer")
