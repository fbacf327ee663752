"""Data contracts: what a source's extract looks like, used both to parse it and to validate it.

A contract (``include/contracts/<name>.yaml``) lists the columns in order with a
type and the staging field each becomes, and the rules that make up its Great
Expectations suite. Parsing reads the raw bytes into a frame indexed by the
file's line number, so every problem found later can name the line it is on.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from safer_communities.config_files import Strict, load_model
from safer_communities.settings import CONTRACTS_DIR

if TYPE_CHECKING:
    import pandas as pd

Severity = Literal["critical", "warning", "info"]
Scope = Literal["file", "row"]


class ContractError(ValueError):
    """A contract file that is missing or breaks the contract schema."""


class Column(Strict):
    name: str
    field: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: Literal["string", "float", "integer", "date"]
    required: bool = True
    person_ref: bool = False  # pseudonymised on arrival (HMAC-SHA256); the raw value never leaves parsing


def normalise_name(name: str) -> str:
    """Column names as a forgiving header compares them: case, spaces, underscores and hyphens ignored."""
    return re.sub(r"[\s_\-]+", " ", name).strip().lower()


class Unless(Strict):
    column: str
    equals: str


class Rule(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    expect: Literal[
        "columns_in_order",
        "columns_match",
        "row_count_at_least",
        "equals_period",
        "not_null",
        "in_set",
        "matches_regex",
        "unique",
        "between",
        "within_period",
        "not_greater_than",
    ]
    severity: Severity
    scope: Scope
    description: str
    column: str | None = None
    other_column: str | None = None  # not_greater_than: column <= other_column, row by row
    values: list[str] | None = None
    regex: str | None = None
    min: float | None = None
    max: float | None = None
    unless: Unless | None = None

    @property
    def is_table_rule(self) -> bool:
        return self.expect in ("columns_in_order", "columns_match", "row_count_at_least")

    @model_validator(mode="after")
    def _arguments(self) -> Rule:
        needs = {
            "in_set": ["column", "values"],
            "matches_regex": ["column", "regex"],
            "between": ["column"],
            "row_count_at_least": ["min"],
            "equals_period": ["column"],
            "within_period": ["column"],
            "not_null": ["column"],
            "unique": ["column"],
            "not_greater_than": ["column", "other_column"],
        }.get(self.expect, [])
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"rule {self.id!r} ({self.expect}) needs {', '.join(missing)}")
        if self.expect == "between" and self.min is None and self.max is None:
            raise ValueError(f"rule {self.id!r} (between) needs min, max or both")
        if self.other_column is not None and self.expect != "not_greater_than":
            raise ValueError(f"rule {self.id!r}: other_column is only for not_greater_than")
        if self.regex is not None:
            re.compile(self.regex)
        if self.is_table_rule and self.scope != "file":
            raise ValueError(f"rule {self.id!r}: a table rule can only have scope 'file'")
        return self


# Rules that admit only known values: a value that passes one cannot be a person's reference.
CLOSED = ("in_set", "matches_regex", "equals_period")


class Contract(Strict):
    name: str
    version: int = Field(ge=1)
    description: str
    header: Literal["exact", "forgiving"]
    sheet: str | None = None  # for .xlsx extracts: the sheet to read (default: the first)
    staging_table: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    columns: list[Column]
    rules: list[Rule]

    @model_validator(mode="after")
    def _references(self) -> Contract:
        names = {column.name for column in self.columns}
        for rule in self.rules:
            for column in (rule.column, rule.other_column, rule.unless.column if rule.unless else None):
                if column is not None and column not in names:
                    raise ValueError(f"rule {rule.id!r} names unknown column {column!r}")
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        header_rule = {"exact": "columns_in_order", "forgiving": "columns_match"}[self.header]
        if header_rule not in {rule.expect for rule in self.rules}:
            raise ValueError(f"a contract with header {self.header!r} needs a {header_rule!r} rule")
        if self.has_person_refs:
            # A person's reference shifted into a free-text column would load as it is: in a file that holds
            # people, every text column is a pseudonym or takes its values from a closed list.
            closed = {rule.column for rule in self.rules if rule.expect in CLOSED}
            free = [c.name for c in self.columns if c.type == "string" and not c.person_ref and c.name not in closed]
            if free:
                raise ValueError(f"the contract holds people, so each text column needs a rule of kind "
                                 f"{' or '.join(CLOSED)} (or person_ref: true): {free} have none")
        return self

    @property
    def has_person_refs(self) -> bool:
        return any(column.person_ref for column in self.columns)

    @property
    def suite_name(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def fields(self) -> list[str]:
        return [column.field for column in self.columns]


@cache
def load_contract(name: str, directory: Path = CONTRACTS_DIR) -> Contract:
    return load_model(directory / f"{name}.yaml", Contract, ContractError, "contract")


# Parse-stage rules: problems found before Great Expectations can look at a row.
@dataclass(frozen=True)
class ParseRule:
    id: str
    description: str
    severity: Severity = "critical"
    scope: Scope = "row"


UTF8 = ParseRule("parse_utf8", "the row is valid UTF-8")
FIELD_COUNT = ParseRule("parse_field_count", "the row has as many fields as the header")
TYPED = ParseRule("parse_type", "every value is of its column's type (number, whole number, date)")
PARSE_RULES = (UTF8, FIELD_COUNT, TYPED)

_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class RowIssue:
    line: int
    rule: str
    message: str
    raw: str


@dataclass
class ParsedFile:
    """A raw extract read into a frame indexed by line number, plus what could not be read."""

    path: Path
    name: str
    header: list[str]
    frame: pd.DataFrame
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len({issue.line for issue in self.issues})


def _printable(text: str) -> str:
    """Undo surrogate escapes so a raw record can be stored and shown: bad bytes read as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def record_line(fields: list) -> str:
    """A record as one CSV line (empty for missing values), bad bytes shown as \\xNN."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["" if f is None else f for f in fields])
    return _printable(buffer.getvalue())


WITHHELD = "(withheld: the record holds personal identifiers; see the landed file)"


def described(value: object) -> str:
    """A value of a file that holds people, told without quoting it (it may be a person's reference in the
    wrong column): its kind and length, e.g. ``text of 9 characters``."""
    if value is None or value == "":
        return "empty"
    if isinstance(value, bool | int | float) and not isinstance(value, str):
        return "a number"
    text = str(value)
    kind = "digits" if text.isdigit() else "text"
    return f"{kind} of {len(text)} character{'s' if len(text) != 1 else ''}"


@dataclass
class _Records:
    header: list[str]
    lines: list[int]
    rows: list[list]
    issues: list[RowIssue]


def _csv_records(raw: bytes) -> _Records:
    """Rows of a CSV file with their line numbers; bad bytes and wrong field counts become issues."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
        bad_bytes = False
    except UnicodeDecodeError:
        bad_bytes = True
    # Read through a wrapper rather than a decoded copy in io.StringIO (4 bytes a character).
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="surrogateescape", newline=""))
    header = next(reader, [])
    width = len(header)
    records = _Records(header, [], [], [])
    start = reader.line_num + 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if not record:
            continue  # blank line
        if bad_bytes and _SURROGATE.search("\x1f".join(record)):
            records.issues.append(RowIssue(line, UTF8.id, "the row has bytes that are not UTF-8", record_line(record)))
        elif len(record) != width:
            records.issues.append(
                RowIssue(line, FIELD_COUNT.id, f"{len(record)} fields, header has {width}", record_line(record))
            )
        else:
            records.lines.append(line)
            records.rows.append(record)
    return records


def _xlsx_records(path: Path, sheet: str | None) -> _Records:
    """Rows of a worksheet (the named one, or the first) with their Excel row numbers."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
        while header and header[-1] == "":
            header.pop()
        width = len(header)
        records = _Records(header, [], [], [])
        for line, values in enumerate(rows, start=2):
            cells = ["" if v is None else v.date().isoformat() if hasattr(v, "date") else str(v) for v in values]
            extra = [cell for cell in cells[width:] if cell != ""]
            cells = cells[:width] + [""] * (width - len(cells))
            if not any(cells) and not extra:
                continue  # empty row
            if extra:
                message = f"values beyond the {width} header columns"
                records.issues.append(RowIssue(line, FIELD_COUNT.id, message, record_line(cells + extra)))
                continue
            records.lines.append(line)
            records.rows.append(cells)
        return records
    finally:
        workbook.close()


def workbook_rows(path: Path, sheet: str | None = None) -> int:
    """The data rows of a worksheet as the parser reads them (empty rows skipped)."""
    records = _xlsx_records(Path(path), sheet)
    return len(records.lines) + len(records.issues)


def _column_map(header: list[str], contract: Contract) -> dict[str, str]:
    """File column -> contract column. Exact headers keep their names; forgiving ones match normalised names."""
    if contract.header == "exact":
        return {name: name for name in header}
    by_name = {normalise_name(column.name): column.name for column in contract.columns}
    return {name: by_name.get(normalise_name(name), name) for name in header}


def _parse_dates(values):
    import pandas as pd

    iso = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(values, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk).dt.date.astype(object).where(iso.notna() | uk.notna(), None)


def parse_extract(
    path: Path, contract: Contract, name: str | None = None, pseudonymise: Callable[[str], str] | None = None
) -> ParsedFile:
    """Read an extract (CSV, or .xlsx by its suffix): every row kept, in the frame or as a :class:`RowIssue`.

    The frame is indexed by the file's line (Excel: row) number, the header
    being line 1. Invalid UTF-8, wrong field counts and values that are not of
    their column's type are row problems. Empty strings become nulls so that
    "when present" rules skip them. A forgiving header is matched ignoring case,
    spaces and underscores; optional columns the file lacks are added empty.
    Person references are replaced by ``pseudonymise`` before anything else sees
    them, and raw records of such files are withheld from issues. ``name`` is
    the file's name as delivered, used in every message.
    """
    import pandas as pd

    name = name or Path(path).name
    if contract.has_person_refs and pseudonymise is None:
        raise ValueError(f"contract {contract.name} has person references: a pseudonymiser is required")
    if Path(name).suffix.lower() == ".xlsx":
        records = _xlsx_records(Path(path), contract.sheet)
    else:
        records = _csv_records(Path(path).read_bytes())
    issues = records.issues
    if contract.has_person_refs:
        issues = [RowIssue(i.line, i.rule, i.message, WITHHELD) for i in issues]

    columns = _column_map(records.header, contract)
    frame = pd.DataFrame(
        records.rows, columns=[columns[c] for c in records.header], index=pd.Index(records.lines, name="line"),
        dtype=object,
    )
    frame = frame.where(frame != "", None)
    present = set(frame.columns)
    for column in contract.columns:
        if column.person_ref and column.name in present:  # first, whatever else the file lacks
            frame[column.name] = frame[column.name].map(pseudonymise, na_action="ignore")
        if column.name not in present and not column.required:
            frame[column.name] = None
    if set(contract.column_names) <= set(frame.columns):
        if contract.header == "forgiving":
            frame = frame[[*contract.column_names, *(c for c in frame.columns if c not in contract.column_names)]]
        for column in contract.columns:
            if column.type == "string":
                continue
            original = frame[column.name]
            if column.type == "date":
                values = _parse_dates(original)
                wrong = "is not a date (YYYY-MM-DD or DD/MM/YYYY)"
            else:
                values = pd.to_numeric(original, errors="coerce")
                wrong = "is not a number"
                if column.type == "integer":
                    values = values.where(values % 1 == 0)
                    wrong = "is not a whole number"
            for line in frame.index[values.isna() & original.notna()]:
                raw = WITHHELD if contract.has_person_refs else record_line(list(frame.loc[line].fillna("")))
                shown = described(original[line]) if contract.has_person_refs else repr(original[line])
                issues.append(RowIssue(int(line), TYPED.id, f"{column.name} {shown} {wrong}", raw))
            frame[column.name] = values.astype("Int64") if column.type == "integer" else values
        if any(issue.rule == TYPED.id for issue in issues):
            frame = frame.drop(index=sorted({i.line for i in issues if i.rule == TYPED.id}))
    issues.sort(key=lambda issue: issue.line)
    return ParsedFile(path=Path(path), name=name, header=records.header, frame=frame, issues=issues)
