"""The docs stay true: the role table in docs/roles.md is the one the code prints."""
from io import StringIO
from pathlib import Path

from django.core.management import call_command

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_roles_doc_matches_the_access_declarations():
    out = StringIO()
    call_command("access_matrix", stdout=out)
    table = out.getvalue().strip()
    assert table in (DOCS / "roles.md").read_text(), (
        "docs/roles.md is out of date: paste the output of `resilience manage access_matrix`")
