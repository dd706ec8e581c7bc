"""The outcome of an import: every problem with its row, column, value and reason."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext

# What an import can create, as the report names it.
CREATED_LABELS = {
    "units": _l("units"), "households": _l("households"), "residents": _l("residents"),
    "buildings": _l("buildings"), "facilities": _l("facilities"), "volunteers": _l("volunteers"),
}


@dataclass
class Problem:
    """One thing wrong with the file; ``row`` is None for a problem with the whole file."""

    row: int | None
    column: str
    value: str
    reason: str


@dataclass
class Report:
    """What an import found and did. Nothing is written unless ``ok``."""

    kind: str
    file_name: str = ""
    rows: int = 0
    imported: int = 0
    created: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def file_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.row is None]

    @property
    def row_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.row is not None]

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.row_problems})

    def add(self, row: int | None, column: str, value, reason) -> None:
        self.problems.append(Problem(row, _printable(column), "" if value is None else _printable(value),
                                     _printable(reason)))

    def created_labels(self) -> list[tuple[str, int]]:
        """(translated name, count) of what was created, e.g. ("households", 3)."""
        return [(str(CREATED_LABELS.get(name, name)), count) for name, count in self.created.items()]

    def summary(self) -> str:
        if self.problems:
            return ngettext("Nothing imported: %(n)d error.", "Nothing imported: %(n)d errors.",
                            len(self.problems)) % {"n": len(self.problems)}
        if self.dry_run:
            return ngettext("Dry run: %(n)d row would be imported; nothing was written.",
                            "Dry run: %(n)d rows would be imported; nothing was written.",
                            self.rows) % {"n": self.rows}
        return ngettext("%(n)d row imported.", "%(n)d rows imported.", self.imported) % {"n": self.imported}

    def as_text(self) -> str:
        """Every problem on its own line (row, column, value, reason), then the summary."""
        lines = []
        for p in self.problems:
            where = _("file") if p.row is None else _("row %(row)d") % {"row": p.row}
            if p.column:
                where += f", {p.column}"
            value = f" {p.value!r}" if p.value else ""
            lines.append(f"{where}{value}: {p.reason}")
        if self.ignored_columns:
            lines.append(_("Ignored columns: %(columns)s") % {"columns": ", ".join(self.ignored_columns)})
        if self.created and not self.problems:
            lines.append(", ".join(f"{label}: {count}" for label, count in self.created_labels()))
        lines.append(self.summary())
        return "\n".join(lines)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        data["problems"] = [Problem(**p) for p in data.get("problems", [])]
        return cls(**data)


def _printable(value) -> str:
    # The report is kept in a JSON column, and PostgreSQL refuses NUL in JSON text; a damaged
    # file's error message may quote one.
    return str(value).replace("\x00", "\\x00")
