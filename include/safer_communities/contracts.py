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
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from safer_communities.settings import CONTRACTS_DIR

if TYPE_CHECKING:
    import pandas as pd

Severity = Literal["critical", "warning", "info"]
Scope = Literal["file", "row"]


class ContractError(ValueError):
    """A contract file that is missing or breaks the contract schema."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    name: str
    field: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: Literal["string", "float", "integer"]


class Unless(_Strict):
    column: str
    equals: str


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    expect: Literal[
        "columns_in_order",
        "row_count_at_least",
        "equals_period",
        "not_null",
        "in_set",
        "matches_regex",
        "unique",
        "between",
    ]
    severity: Severity
    scope: Scope
    description: str
    column: str | None = None
    values: list[str] | None = None
    regex: str | None = None
    min: float | None = None
    max: float | None = None
    unless: Unless | None = None

    @property
    def is_table_rule(self) -> bool:
        return self.expect in ("columns_in_order", "row_count_at_least")

    @model_validator(mode="after")
    def _arguments(self) -> Rule:
        needs = {
            "in_set": ["column", "values"],
            "matches_regex": ["column", "regex"],
            "between": ["column", "min", "max"],
            "row_count_at_least": ["min"],
            "equals_period": ["column"],
            "not_null": ["column"],
            "unique": ["column"],
        }.get(self.expect, [])
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"rule {self.id!r} ({self.expect}) needs {', '.join(missing)}")
        if self.regex is not None:
            re.compile(self.regex)
        if self.is_table_rule and self.scope != "file":
            raise ValueError(f"rule {self.id!r}: a table rule can only have scope 'file'")
        return self


class Contract(_Strict):
    name: str
    version: int = Field(ge=1)
    description: str
    header: Literal["exact"]
    staging_table: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    columns: list[Column]
    rules: list[Rule]

    @model_validator(mode="after")
    def _references(self) -> Contract:
        names = {column.name for column in self.columns}
        for rule in self.rules:
            for column in (rule.column, rule.unless.column if rule.unless else None):
                if column is not None and column not in names:
                    raise ValueError(f"rule {rule.id!r} names unknown column {column!r}")
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return self

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
    path = directory / f"{name}.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Contract(**document)
    except (OSError, yaml.YAMLError, TypeError) as error:
        raise ContractError(f"{path}: cannot read contract: {error}") from error
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ContractError(f"{path}: {problems}") from error


# Parse-stage rules: problems found before Great Expectations can look at a row.
@dataclass(frozen=True)
class ParseRule:
    id: str
    description: str
    severity: Severity = "critical"
    scope: Scope = "row"


UTF8 = ParseRule("parse_utf8", "the row is valid UTF-8")
FIELD_COUNT = ParseRule("parse_field_count", "the row has as many fields as the header")
TYPED = ParseRule("parse_type", "numeric columns hold numbers")
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


def _record(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return _printable(buffer.getvalue())


def parse_csv(path: Path, contract: Contract, name: str | None = None) -> ParsedFile:
    """Read a CSV extract: every row kept, either in the frame or as a :class:`RowIssue`.

    Invalid UTF-8 and wrong field counts are row problems (the line is named);
    a numeric column that does not hold a number is a row problem too. Empty
    strings become nulls so that "when present" rules skip them. ``name`` is the
    file's name as delivered, used in every message (default: the path's name).
    """
    import pandas as pd

    raw = Path(path).read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
        bad_bytes = False
    except UnicodeDecodeError:
        bad_bytes = True
    # Read through a wrapper rather than a decoded copy in io.StringIO (4 bytes a character).
    text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    header = next(reader, [])
    width = len(header)
    lines: list[int] = []
    rows: list[list[str]] = []
    issues: list[RowIssue] = []
    start = reader.line_num + 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if not record:
            continue  # blank line
        if bad_bytes and _SURROGATE.search("\x1f".join(record)):
            issues.append(RowIssue(line, UTF8.id, "the row has bytes that are not UTF-8", _record(record)))
            continue
        if len(record) != width:
            issues.append(
                RowIssue(line, FIELD_COUNT.id, f"{len(record)} fields, header has {width}", _record(record))
            )
            continue
        lines.append(line)
        rows.append(record)

    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    frame = frame.where(frame != "", None)
    if header == contract.column_names:
        for column in contract.columns:
            if column.type == "string":
                continue
            values = pd.to_numeric(frame[column.name], errors="coerce")
            not_numbers = values.isna() & frame[column.name].notna()
            for line in frame.index[not_numbers]:
                issues.append(
                    RowIssue(
                        int(line),
                        TYPED.id,
                        f"{column.name} {frame.at[line, column.name]!r} is not a number",
                        _record(list(frame.loc[line].fillna(""))),
                    )
                )
            frame[column.name] = values
        if any(issue.rule == TYPED.id for issue in issues):
            frame = frame.drop(index=[i.line for i in issues if i.rule == TYPED.id])
    issues.sort(key=lambda issue: issue.line)
    return ParsedFile(path=Path(path), name=name or Path(path).name, header=header, frame=frame, issues=issues)
