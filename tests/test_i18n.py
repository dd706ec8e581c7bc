"""The Simplified Chinese catalogue is complete and compiled (every user-facing string)."""
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

from tests.services import require

SRC = Path(__file__).resolve().parents[1] / "src" / "resilience"
PO = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_catalogue_covers_every_string_in_the_source(tmp_path):
    require(shutil.which("xgettext"), "gettext (xgettext) is not installed: apt-get install gettext")
    copy = tmp_path / "resilience"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    result = subprocess.run(
        ["django-admin", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location",
         "--settings=resilience.settings_test"],
        cwd=copy, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    catalogue = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in catalogue if not e.translated() and not e.obsolete]
    assert not missing, f"{len(missing)} strings lack a zh-Hans translation, e.g. {missing[:10]}"


def test_compiled_catalogue_matches_the_source_catalogue():
    po = polib.pofile(str(PO))
    mo = polib.mofile(str(MO))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"not compiled: {entry.msgid!r} — run `resilience manage compilemessages`"


@pytest.mark.django_db
def test_dashboard_speaks_chinese(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "", "pw-123456789")
    client.force_login(user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "居民" in html or "社区" in html
