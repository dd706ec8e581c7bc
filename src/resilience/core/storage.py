"""Uploaded files on disk: a file in MEDIA_ROOT is either whole or not there at all.

Django's ``FileSystemStorage`` writes an upload straight to its final name, so a write that stops
half-way (the disk is full) leaves a truncated photo that a record may later point to. Here the
bytes go to a staging file beside MEDIA_ROOT's folders first and are renamed into place only when
complete; a failed write removes the staging file and raises the ``OSError`` unchanged, for
``core.middleware.DiskFullMiddleware`` to answer.
"""
from __future__ import annotations

import errno
import os
import tempfile

from django.core.files.storage import FileSystemStorage

# "No space left on device" and "disk quota exceeded": both mean the write cannot fit.
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an error it was raised from, says the disk (or quota) is full."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _Staged:
    """A complete file waiting in the staging folder; ``FileSystemStorage`` moves a content
    object with a ``temporary_file_path`` into place by renaming it."""

    def __init__(self, path: str):
        self.path = path

    def temporary_file_path(self) -> str:
        return self.path


class MediaStorage(FileSystemStorage):
    """The default storage: ``FileSystemStorage`` that never leaves a partial file behind."""

    STAGING = ".incoming"  # inside MEDIA_ROOT: the same filesystem, so the final move is a rename

    def _save(self, name, content):
        folder = os.path.join(self.location, self.STAGING)
        os.makedirs(folder, exist_ok=True)
        handle, staged = tempfile.mkstemp(dir=folder, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk.encode() if isinstance(chunk, str) else chunk)
            return super()._save(name, _Staged(staged))
        finally:
            # Renamed into place when all went well; otherwise this is the partial copy.
            if os.path.lexists(staged):
                os.remove(staged)
