"""Small police street files built from real rows of the January 2020 fixture, to break on purpose."""

from __future__ import annotations

import csv
import io

from tests.conftest import POLICE_FIXTURES

JANUARY = POLICE_FIXTURES / "2020-01-leicestershire-street.csv"
COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]


def january_rows(rows: int) -> list[list[str]]:
    """The header and the first ``rows`` data rows of the real January 2020 file, as field lists."""
    with JANUARY.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        return [next(reader) for _ in range(rows + 1)]


def first_row(rows: list[list[str]], start: int = 1, **equals) -> int:
    """Index of the first data row from ``start`` whose named columns (snake_case header) have these values."""
    wanted = {COLUMNS[[c.lower().replace(" ", "_") for c in COLUMNS].index(k)]: v for k, v in equals.items()}
    return next(
        i for i, row in enumerate(rows)
        if i >= start and all(row[COLUMNS.index(c)] == v for c, v in wanted.items())
    )


def crime_row(rows: list[list[str]]) -> int:
    return next(i for i, row in enumerate(rows) if i > 0 and row[0])


def to_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def line_of(index: int) -> int:
    """The file line of data row ``index`` (the header is line 1 and row 0)."""
    return index + 1
