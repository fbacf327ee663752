"""Helpers shared by the partner-source tests: extract files as a partner would send them, and raw-reference scans."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

SCANNED_SCHEMAS = ("staging", "core", "audit", "mart")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A CSV extract: the header, then the rows, "\\n" line endings, UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def typed_cell(value: str) -> Any:
    """A cell as a partner would type it: empty as empty, ISO dates as dates, whole numbers as numbers, else text."""
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[str]], *, sheet: str = "Sheet1",
               cell: Callable[[str], Any] = typed_cell) -> bytes:
    """An .xlsx extract: one sheet named ``sheet``, the header, then each row's values through ``cell``."""
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(list(header))
    for row in rows:
        worksheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def values_containing(warehouse, needles: set[str]) -> list[tuple[str, str, str]]:
    """Every text value, in any column of any table in the warehouse schemas, that contains one of ``needles``.

    The match ignores case. Returns (schema, table, value) for each hit; an empty list means none was found.
    """
    wanted = {needle.upper() for needle in needles}
    found = []
    for schema in SCANNED_SCHEMAS:
        columns = warehouse.query(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = :schema",
            {"schema": schema})
        for column in columns:
            values = warehouse.query(
                f'SELECT CAST("{column["column_name"]}" AS VARCHAR) AS v FROM {schema}.{column["table_name"]}')
            found += [(schema, column["table_name"], v["v"]) for v in values
                      if v["v"] and any(needle in v["v"].upper() for needle in wanted)]
    return found


def deliver_file(home, source: str, period: str, content: bytes, ext: str = "csv") -> None:
    """Put a partner's file for a period where the registry says it goes (the drop folder of the
    ``home`` fixture), removing the period's file in any other accepted format first."""
    from pathlib import Path

    from safer_communities.periods import parse_any
    from safer_communities.registry import get_source

    locations = [Path(p) for p in get_source(source).locations_for(parse_any(period), home / "drop")]
    for location in locations:
        location.unlink(missing_ok=True)
    target = next(location for location in locations if location.suffix == f".{ext}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
