"""The one check on images staff and residents upload (notice attachments, report photos):
an image by its content, not its name, and at most ``MAX_IMAGE_BYTES``."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_IMAGE_BYTES = 5 * 1024 * 1024

try:  # Pillow is optional: without it the first bytes decide
    from PIL import Image
except ImportError:  # pragma: no cover - depends on the installation
    Image = None


def _magic_kind(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def image_kind(upload) -> str | None:
    """``png``, ``jpeg``, ``webp``… when the file's content is an image, else None."""
    upload.seek(0)
    try:
        if Image is not None:
            try:
                with Image.open(upload) as image:
                    image.verify()
                    return (image.format or "").lower() or None
            except Exception:  # Pillow raises many kinds on a non-image
                return None
        return _magic_kind(upload.read(16))
    finally:
        upload.seek(0)


def check_image(upload, field: str = "photo") -> None:
    """Refuse (ValidationError on ``field``) an empty, too large or non-image upload."""
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise ValidationError({field: _("The file is empty.")})
    if size > MAX_IMAGE_BYTES:
        raise ValidationError({field: _("The image is larger than %(mb)d MB.") % {
            "mb": MAX_IMAGE_BYTES // (1024 * 1024)}})
    if image_kind(upload) is None:
        raise ValidationError({field: _("The file is not an image (PNG, JPEG or WebP).")})
