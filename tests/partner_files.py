"""Helpers shared by the partner-source tests: extract files as a partner would send them, and raw-reference scans."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
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
    return [(schema, table, value) for schema, table, _, values in column_values(warehouse) for value in values
            if any(needle in value.upper() for needle in wanted)]


def column_values(warehouse) -> Iterator[tuple[str, str, str, list[str]]]:
    """(schema, table, column, its values as text, nulls left out) for every column of the warehouse schemas."""
    for schema in SCANNED_SCHEMAS:
        columns = warehouse.query(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = :schema",
            {"schema": schema})
        for column in columns:
            values = warehouse.query(
                f'SELECT CAST("{column["column_name"]}" AS VARCHAR) AS v FROM {schema}.{column["table_name"]}')
            yield schema, column["table_name"], column["column_name"], [v["v"] for v in values if v["v"]]


def deliver_file(home, source: str, period: str, content: bytes, ext: str = "csv") -> None:
    """Put a partner's file for a period where the registry says it goes (the drop folder of the
    ``home`` fixture), removing the period's file in any other accepted format first."""
    from pathlib import Path

    from safer_communities.periods import parse_any
    from safer_communities.sources.registry import get_source

    locations = [Path(p) for p in get_source(source).locations_for(parse_any(period), home / "drop")]
    for location in locations:
        location.unlink(missing_ok=True)
    target = next(location for location in locations if location.suffix == f".{ext}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def raw_references(drop) -> set[str]:
    """Every person or case reference (upper case, trimmed) in the partner files of a drop folder: the values of
    the ``person_ref`` columns of each registered source's files, read with the contract's own parser."""
    import glob
    import re

    from safer_communities.sources.contracts import load_contract
    from safer_communities.sources.extract import parse_extract
    from safer_communities.sources.registry import default_registry

    refs: set[str] = set()
    for source in default_registry().values():
        contract = load_contract(source.contract)
        location = getattr(source.transport, "location", None)
        if not contract.has_person_refs or location is None:
            continue
        for path in map(Path, sorted(glob.glob(re.sub(r"\{[^}]*\}", "*", location.replace("{drop_dir}", str(drop)))))):
            frame = parse_extract(path, contract, pseudonymise=lambda ref: ref).frame()
            for column in contract.columns:
                if column.person_ref and column.name in frame.columns:
                    refs |= {str(ref).strip().upper() for ref in frame[column.name].dropna() if str(ref).strip()}
    return refs


def file_text(path: Path) -> str:
    """A written file as text to search: a Parquet file (the validated rows) as the CSV of its rows, since its
    columns are compressed; any other file as its bytes."""
    if path.suffix == ".parquet":
        import duckdb

        with duckdb.connect() as connection:
            rows = connection.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        return "\n".join(",".join("" if value is None else str(value) for value in row) for row in rows)
    return path.read_bytes().decode("utf-8", "replace")


def references_in(text: str, refs: set[str]) -> set[str]:
    """The references of ``refs`` that occur in ``text`` as whole tokens (case ignored): 'V123456' is found in
    'victim V123456,' and in 'x-V123456' but not in 'V1234567'. A token is a run of letters and digits, or a
    hyphenated run of them, any part of which may be a reference (a set lookup each: megabytes in a second)."""
    import re

    found = set()
    for token in set(re.findall(r"[A-Z0-9]+(?:-[A-Z0-9]+)*", text.upper())):
        parts = token.split("-")
        found |= {joined for start in range(len(parts)) for end in range(start + 1, len(parts) + 1)
                  if (joined := "-".join(parts[start:end])) in refs}
    return found


def references_in_warehouse(warehouse, refs: set[str]) -> dict[str, set[str]]:
    """``schema.table.column`` -> the references of ``refs`` found in it as whole tokens, for every column of every
    table in the warehouse schemas that holds one (an empty dict: none anywhere)."""
    found = {}
    for schema, table, column, values in column_values(warehouse):
        hits = references_in("\n".join(values), refs)
        if hits:
            found[f"{schema}.{table}.{column}"] = hits
    return found
