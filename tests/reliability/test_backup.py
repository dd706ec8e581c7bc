"""Backup and restore round-trip a populated instance: every row and file identical (issue 10)."""
import json
import tarfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from resilience.core import backup
from resilience.people.models import Resident


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_round_trip_brings_back_every_row_and_file(transactional_db, media, tmp_path):
    from resilience.core.testing import build_world

    build_world()
    default_storage.save("reports/photo.jpg", ContentFile(b"\xff\xd8 a photo"))
    before = backup.table_checksums()
    assert before["people_resident"]["rows"] > 0

    archive = tmp_path / "backup.tar.gz"
    manifest = backup.backup(archive)
    assert manifest["tables"] == before
    assert manifest["media"] == {"reports/photo.jpg": backup._file_sha256(media / "reports/photo.jpg")}

    # Lose data after the backup: a resident, a file, and change another file.
    Resident.objects.order_by("pk").first().delete()
    (media / "reports/photo.jpg").write_bytes(b"overwritten")
    default_storage.save("reports/later.jpg", ContentFile(b"after the backup"))
    assert backup.table_checksums() != before

    verification, warnings = backup.restore(archive)

    assert verification.identical, (verification.differing_tables, verification.differing_files)
    assert backup.table_checksums() == before
    assert (media / "reports/photo.jpg").read_bytes() == b"\xff\xd8 a photo"
    assert not (media / "reports/later.jpg").exists()
    kept = [w for w in warnings if "kept at" in w]
    assert kept, warnings  # the replaced media directory is kept, never lost


def test_archive_holds_keys_unless_asked_not_to(transactional_db, media, tmp_path, settings):
    with_keys = backup.backup(tmp_path / "a.tar.gz")
    without = backup.backup(tmp_path / "b.tar.gz", keys=False)
    assert with_keys["keys"] and not without["keys"]
    with tarfile.open(tmp_path / "a.tar.gz") as archive:
        keys = json.load(archive.extractfile("keys.json"))
        assert keys["field_keys"] == list(settings.RESILIENCE_FIELD_KEYS)
    with tarfile.open(tmp_path / "b.tar.gz") as archive:
        assert "keys.json" not in archive.getnames()


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(transactional_db, media, tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tar file")
    before = backup.table_checksums()
    with pytest.raises(backup.BackupError, match="not a Resilient Community backup"):
        backup.restore(bogus)
    assert backup.table_checksums() == before


def test_restore_refuses_another_database_vendor(transactional_db, media, tmp_path):
    archive = tmp_path / "x.tar.gz"
    backup.backup(archive)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    manifest = backup.read_manifest(archive)
    manifest["vendor"] = other
    rewritten = tmp_path / "other.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(rewritten, "w:gz") as target:
        for member in source.getmembers():
            if member.name == "manifest.json":
                backup._add_bytes(target, "manifest.json", json.dumps(manifest).encode())
            else:
                target.addfile(member, source.extractfile(member))
    with pytest.raises(backup.BackupError, match=f"backup is of a {other} database"):
        backup.restore(rewritten)
