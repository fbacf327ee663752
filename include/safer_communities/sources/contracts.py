"""Data contracts: what a source's extract looks like, used both to parse it and to validate it.

A contract (``include/contracts/<name>.yaml``) lists the columns in order with a
type and the staging field each becomes, and the rules that make up its Great
Expectations suite. ``safer_communities.sources.extract`` parses a file by it (every row
keeps its line number, so every problem found later can name the line it is on);
``safer_communities.sources.validation`` runs its rules.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from safer_communities.config_files import Strict, load_model
from safer_communities.settings import CONTRACTS_DIR

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


@dataclass
class RowIssue:
    line: int
    rule: str
    message: str
    raw: str


def printable(text: str) -> str:
    """Undo surrogate escapes so a raw record can be stored and shown: bad bytes read as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def record_line(fields: list) -> str:
    """A record as one CSV line (empty for missing values), bad bytes shown as \\xNN."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["" if f is None else f for f in fields])
    return printable(buffer.getvalue())


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
