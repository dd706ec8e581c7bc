"""docs/indicators.md holds exactly the table the catalogue generates."""
from pathlib import Path

from resilience.assessment.indicators.doc import markdown_table

DOCS = Path(__file__).resolve().parents[4] / "docs"


def test_indicators_doc_matches_the_catalogue():
    table = markdown_table()
    assert table.count("\n") >= 27
    assert table in (DOCS / "indicators.md").read_text(encoding="utf-8"), (
        "docs/indicators.md is out of date: paste the output of "
        "resilience.assessment.indicators.doc.markdown_table()")


def test_table_lists_every_indicator_once():
    from resilience.assessment.catalogue import catalogue

    table = markdown_table()
    for code in catalogue():
        assert table.count(f"| `{code}` |") == 1
