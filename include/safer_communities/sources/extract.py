"""Reading an extract into the engine: each file is parsed into a scratch DuckDB database of its own.

The scratch database (:class:`Scratch`, in memory) holds the table ``parsed``: the file's line number (the
header is line 1) and its columns, typed as the contract says, and the view ``file_columns`` (the same
without the line number) that the header rules look at. Validation (``safer_communities.sources.validation``) runs
the contract's Great Expectations suite on it and routes rows with set-based SQL; the accepted rows leave it
as a Parquet file for the load. Nothing of the file is held as Python objects: a parse uses DuckDB's memory,
capped at ``SCRATCH_MEMORY`` (DuckDB spills beyond it), whatever the file's size.

CSV files are read by DuckDB's ``read_csv`` with the dialect fixed (comma, double quote; nothing sniffed),
every value read as text and rows that cannot be read kept aside (``store_rejects``: invalid UTF-8, too many
or too few fields). DuckDB numbers records, not lines; when every record is one line (no line break inside
quotes, no blank line before the end) the two agree, and that is checked on every file. A file where they do
not, and a workbook (``.xlsx``), is read in Python a batch at a time into the same table: slower, never wrong.
The contract's types are cast in the statement that reads the rows; a value that is not of its column's type
is a row problem naming its line.

Person references are pseudonymised in the statement that reads them (a Python function registered with
DuckDB), so no raw reference is written to the scratch database or held beyond one batch.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from safer_communities.sources.contracts import (
    FIELD_COUNT,
    TYPED,
    UTF8,
    WITHHELD,
    Contract,
    RowIssue,
    described,
    normalise_name,
    printable,
    record_line,
)

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

SCRATCH_MEMORY = "256MB"  # DuckDB's cap for one parse; beyond it DuckDB spills to the scratch folder
BATCH_ROWS = 20_000  # rows per batch on the Python path
_SURROGATE = re.compile("[\udc80-\udcff]")
_REJECTED = {"INVALID ENCODING": UTF8, "MISSING COLUMNS": FIELD_COUNT, "TOO MANY COLUMNS": FIELD_COUNT}


def quoted(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """A value as an SQL literal (for values from contracts and periods, never from a file)."""
    return "'" + str(value).replace("'", "''") + "'"


class Scratch:
    """The scratch database of one extract: DuckDB in memory, spilling beyond ``SCRATCH_MEMORY`` to a folder
    of its own. GX reaches it through the URL ``duckdb+scratch:///<key>`` (``safer_communities.sources.validation``)."""

    registered: ClassVar[dict[str, Scratch]] = {}

    def __init__(self, parent: Path | None = None) -> None:
        import duckdb

        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="scratch-", dir=parent))
        self.key = self.folder.name
        self._database = duckdb.connect(":memory:", config={
            "memory_limit": SCRATCH_MEMORY, "temp_directory": str(self.folder), "preserve_insertion_order": True})
        self._others: list[duckdb.DuckDBPyConnection] = []
        Scratch.registered[self.key] = self

    @property
    def url(self) -> str:
        return f"duckdb+scratch:///{self.key}"

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the database (close it when done)."""
        return self._database.cursor()

    def connect_kept(self) -> duckdb.DuckDBPyConnection:
        """A connection that :meth:`close` closes: for GX, which keeps its connections in its caches."""
        connection = self._database.cursor()
        self._others.append(connection)
        return connection

    def close(self) -> None:
        """Close the database (DuckDB keeps it while any connection is open) and delete what it spilled."""
        for connection in (*self._others, self._database):
            connection.close()
        Scratch.registered.pop(self.key, None)
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class ParsedFile:
    """An extract read into its scratch database (table ``parsed``), plus what could not be read."""

    path: Path
    name: str  # as delivered: every message names it
    header: list[str]  # the header as read
    columns: list[str]  # the columns of ``parsed``: the header's, as the contract names them, and optional ones added
    scratch: Scratch
    rows_read: int = 0
    issues: list[RowIssue] = field(default_factory=list)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return self.scratch.connect()

    def frame(self, table: str = "parsed") -> pd.DataFrame:
        """A table of the scratch database as a frame indexed by line, for small files and tests."""
        with self.connect() as connection:
            return connection.sql(f"SELECT * FROM {table} ORDER BY line").df().set_index("line")

    def remove(self) -> None:
        """Close the scratch database: nothing of the extract is left."""
        self.scratch.close()


def parse_extract(
    path: Path,
    contract: Contract,
    name: str | None = None,
    pseudonymise: Callable[[str], str] | None = None,
    scratch_folder: Path | None = None,
) -> ParsedFile:
    """Read an extract (CSV, or .xlsx by its suffix) into a fresh scratch database (spilling, if it must, under
    ``scratch_folder``; default: the system's temporary folder): every row kept, in ``parsed`` or as a
    :class:`RowIssue`. Call :meth:`ParsedFile.remove` when done.

    Empty values are NULL, so that "when present" rules skip them. A forgiving header is matched ignoring
    case, spaces and underscores; optional columns the file lacks are added empty. Invalid UTF-8, wrong field
    counts and values not of their column's type are row problems. ``name`` is the file's name as delivered.
    """
    path = Path(path)
    name = name or path.name
    if contract.has_person_refs and pseudonymise is None:
        raise ValueError(f"contract {contract.name} has person references: a pseudonymiser is required")
    parsed = ParsedFile(path, name, [], [], Scratch(scratch_folder))
    person = {column.name for column in contract.columns if column.person_ref}
    try:
        with parsed.connect() as connection:
            if pseudonymise is not None:
                connection.create_function("pseudonymise", pseudonymise, ["VARCHAR"], "VARCHAR", side_effects=False)
            issues = None
            if Path(name).suffix.lower() == ".xlsx":
                header, records = _xlsx_records(path, contract.sheet)
                columns = _column_names(header, contract)
            else:
                header, header_lines = _csv_header(path)
                columns = _column_names(header, contract)
                records = _csv_records(path, len(header))
                issues = _read_csv(connection, path, contract, columns, person, header_lines)
            if issues is None:  # a workbook, or records and lines differ: read it in Python
                issues = _append_records(connection, records, columns, person)
                issues += _type(connection, contract, columns, "raw")
                connection.execute("DROP TABLE raw")
            if contract.has_person_refs:
                issues = [RowIssue(issue.line, issue.rule, issue.message, WITHHELD) for issue in issues]
            issues.sort(key=lambda issue: issue.line)
            rows = connection.execute("SELECT count(*) FROM parsed").fetchone()[0]
    except BaseException:
        parsed.remove()
        raise
    parsed.header, parsed.columns, parsed.issues = header, _columns(contract, columns), issues
    parsed.rows_read = rows + len({issue.line for issue in issues})
    return parsed


def _column_names(header: list[str], contract: Contract) -> list[str]:
    """The file's columns under the contract's names (a forgiving header matched ignoring case and spaces),
    made distinct for the engine: DuckDB names ignore case, so a repeated name gets a suffix (``Month~2``);
    the header rules then fail on it, and their message quotes the header as read."""
    if contract.header == "forgiving":
        by_name = {normalise_name(column.name): column.name for column in contract.columns}
        header = [by_name.get(normalise_name(column), column) for column in header]
    names: list[str] = []
    seen: set[str] = set()
    for number, column in enumerate(header, start=1):
        name = column or f"column {number}"
        while name.lower() in seen:
            name = f"{name}~{number}"
        seen.add(name.lower())
        names.append(name)
    return names


def _csv_header(path: Path) -> tuple[list[str], int]:
    """The header of a CSV file, and how many lines it takes (1 unless a name holds a quoted line break)."""
    with path.open("rb") as handle:
        reader = csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline=""))
        header = next(reader, [])
        return [printable(column) for column in header], reader.line_num


def _newlines(block: bytes) -> int:
    """The line breaks in a block of a file, counted by numpy (0.03 s for 122 MB; ``bytes.count``: 0.08 s)."""
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(block, np.uint8) == ord("\n")))


def _data_lines(path: Path) -> int:
    """The lines after the header, blank lines at the end of the file not counted."""
    newlines = size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            newlines += _newlines(chunk)
            size += len(chunk)
        handle.seek(max(size - 65536, 0))
        tail = handle.read()
    stripped = tail.rstrip(b"\r\n")
    if not stripped and size <= 65536:
        return 0
    lines = newlines - tail[len(stripped):].count(b"\n") + 1
    return max(lines - 1, 0)


def _read_csv(connection, path: Path, contract: Contract, columns: list[str], person: set[str],
              header_lines: int) -> list[RowIssue] | None:
    """The fast path: DuckDB reads the file and the types are cast in the same statement. None if DuckDB cannot
    read it, or if its records and the file's lines differ (then only the Python path can give each row its line).
    """
    import duckdb

    if header_lines != 1 or not columns:
        return None
    selected = ", ".join(
        f"pseudonymise({quoted(column)}) AS {quoted(column)}" if column in person else quoted(column)
        for column in columns
    )
    # No line number here: a window function (row_number() OVER ()) would read the file on one thread. ``_type``
    # numbers the rows once they are in.
    source = (f"(SELECT {selected} FROM read_csv(?, header = true, "
              f"auto_detect = false, columns = ?, delim = ',', quote = '\"', escape = '\"', store_rejects = true, "
              f"strict_mode = true, null_padding = false))")
    try:
        issues = _type(connection, contract, columns, source, [str(path), dict.fromkeys(columns, "VARCHAR")],
                       settle=lambda: _settle_lines(connection, path, columns), numbered=False)
    except duckdb.Error:
        issues = None
    if issues is None:
        connection.execute("DROP TABLE IF EXISTS parsed")
    return issues


def _settle_lines(connection, path: Path, columns: list[str]) -> list[RowIssue] | None:
    """Once DuckDB has read the file into ``parsed`` (its rows numbered as if no record was rejected): give the rows
    their lines and return the rejected records as issues; None if records and lines differ."""
    rejected: dict[int, set[str]] = {}
    for line, error in connection.execute("SELECT line, error_type FROM reject_errors").fetchall():
        rejected.setdefault(int(line), set()).add(error)
    accepted = connection.execute("SELECT count(*) FROM parsed").fetchone()[0]
    known = all(errors <= set(_REJECTED) for errors in rejected.values())
    if not known or accepted + len(rejected) != _data_lines(path):
        return None
    if rejected:
        # the n-th record read is the n-th line after the header that was not rejected
        connection.execute(
            "CREATE TEMP TABLE line_of AS SELECT row_number() OVER (ORDER BY line) + 1 AS numbered, line "
            "FROM range(2, ?) AS lines(line) WHERE line NOT IN (SELECT UNNEST(?::BIGINT[]))",
            [accepted + len(rejected) + 2, sorted(rejected)],
        )
        connection.execute("UPDATE parsed SET line = line_of.line FROM line_of WHERE parsed.line = line_of.numbered")
        connection.execute("DROP TABLE line_of")
    issues = []
    texts = raw_records(path, set(rejected)) if rejected else {}
    for line, errors in sorted(rejected.items()):
        text = texts.get(line, "")
        if "INVALID ENCODING" in errors:
            issues.append(RowIssue(line, UTF8.id, "the row has bytes that are not UTF-8", text))
        else:
            fields = len(next(csv.reader([text]), []))
            issues.append(RowIssue(line, FIELD_COUNT.id, f"{fields} fields, header has {len(columns)}", text))
    return issues


@dataclass
class _Row:
    line: int
    cells: list[str]


def _csv_records(path: Path, width: int) -> Iterator[_Row | RowIssue]:
    """Rows of a CSV file with their line numbers, read in Python; bad bytes and wrong field counts are issues."""
    with path.open("rb") as handle:
        reader = csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline=""))
        next(reader, None)
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record:
                continue  # blank line
            if _SURROGATE.search("\x1f".join(record)):
                yield RowIssue(line, UTF8.id, "the row has bytes that are not UTF-8", record_line(record))
            elif len(record) != width:
                yield RowIssue(line, FIELD_COUNT.id, f"{len(record)} fields, header has {width}", record_line(record))
            else:
                yield _Row(line, record)


def _xlsx_records(path: Path, sheet: str | None) -> tuple[list[str], Iterator[_Row | RowIssue]]:
    """The header of a worksheet (the named one, or the first) and its rows with their Excel row numbers."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    rows = worksheet.iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
    while header and header[-1] == "":
        header.pop()
    width = len(header)

    def records() -> Iterator[_Row | RowIssue]:
        try:
            for line, values in enumerate(rows, start=2):
                cells = ["" if v is None else v.date().isoformat() if hasattr(v, "date") else str(v) for v in values]
                extra = [cell for cell in cells[width:] if cell != ""]
                cells = cells[:width] + [""] * (width - len(cells))
                if not any(cells) and not extra:
                    continue  # empty row
                if extra:
                    message = f"values beyond the {width} header columns"
                    yield RowIssue(line, FIELD_COUNT.id, message, record_line(cells + extra))
                    continue
                yield _Row(line, cells)
        finally:
            workbook.close()

    return header, records()


def workbook_rows(path: Path, sheet: str | None = None) -> int:
    """The data rows of a worksheet as the parser reads them (empty rows skipped)."""
    _, records = _xlsx_records(Path(path), sheet)
    return sum(1 for _ in records)


def _append_records(connection, records: Iterator[_Row | RowIssue], columns: list[str],
                    person: set[str]) -> list[RowIssue]:
    """The Python path: rows appended to table ``raw`` a batch at a time (person references pseudonymised in
    the statement that inserts them); issues returned."""
    import pandas as pd

    definition = ", ".join(f"{quoted(column)} VARCHAR" for column in columns)
    connection.execute(f"CREATE TABLE raw (line BIGINT{', ' if columns else ''}{definition})")
    positional = [f"c{number}" for number in range(len(columns))]
    selected = ", ".join(
        f"pseudonymise(NULLIF({p}, '')) " if column in person else f"NULLIF({p}, '')"
        for p, column in zip(positional, columns, strict=True)
    )
    insert = f"INSERT INTO raw SELECT line{', ' if columns else ''}{selected} FROM batch"
    issues: list[RowIssue] = []
    batch: list[_Row] = []

    def flush() -> None:
        if batch:
            frame = pd.DataFrame([row.cells for row in batch], columns=positional, dtype=object)
            frame.insert(0, "line", [row.line for row in batch])
            connection.register("batch", frame)
            connection.execute(insert)
            connection.unregister("batch")
            batch.clear()

    for record in records:
        if isinstance(record, RowIssue):
            issues.append(record)
            continue
        batch.append(record)
        if len(batch) >= BATCH_ROWS:
            flush()
    flush()
    return issues


def _typed(column, value: str) -> tuple[str, str]:
    """The SQL that casts a text value to the column's type (NULL if it is not of it), and what to say if not."""
    if column.type == "date":
        return (f"COALESCE(try_strptime({value}, '%Y-%m-%d'), try_strptime({value}, '%d/%m/%Y'))::DATE",
                "is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    number = f"TRY_CAST({value} AS DOUBLE)"
    if column.type == "integer":
        return (f"CASE WHEN {number} = floor({number}) THEN TRY_CAST({number} AS BIGINT) END",
                "is not a whole number")
    return f"CASE WHEN NOT isnan({number}) THEN {number} END", "is not a number"


def _columns(contract: Contract, columns: list[str]) -> list[str]:
    """The columns of ``parsed``: the file's, with optional ones it lacks added; in the contract's order for a
    forgiving header that has every contract column."""
    added = [column.name for column in contract.columns if column.name not in columns and not column.required]
    if contract.header == "forgiving" and set(contract.column_names) <= {*columns, *added}:
        return [*contract.column_names, *(column for column in columns if column not in contract.column_names)]
    return [*columns, *added]


def _type(connection, contract: Contract, columns: list[str], source: str, parameters=(),
          settle: Callable[[], list[RowIssue] | None] | None = None, numbered: bool = True) -> list[RowIssue] | None:
    """Build ``parsed`` from ``source`` (a table or a subquery with ``line`` and the file's columns as text) in
    one statement: the contract's types cast, optional columns the file lacks added empty, a forgiving header put
    in the contract's order. A row with a value not of its column's type is an issue, not a row. A source that is
    not ``numbered`` has no ``line``: its rows are numbered in the order they were read, from 2 (the header is
    line 1). ``settle``, run once the rows are in, may give them their lines and more issues (or None: the parse
    cannot stand)."""
    order = _columns(contract, columns)
    typed = set(contract.column_names) <= set(order)  # else the header rules reject the file
    by_name = {column.name: column for column in contract.columns}
    expressions: dict[str, str] = {}
    checks: list[str] = []
    wrong: dict[str, str] = {}
    for name in order:
        value = f"NULLIF({quoted(name)}, '')" if name in columns else "NULL::VARCHAR"
        column = by_name.get(name)
        if not typed or column is None or column.type == "string":
            expressions[name] = value
            continue
        expressions[name], wrong[name] = _typed(column, value)
        checks.append(f"CASE WHEN {value} IS NOT NULL AND {expressions[name]} IS NULL THEN {literal(name)} END")
    selected = "".join(f", {expression} AS {quoted(name)}" for name, expression in expressions.items())
    if checks:  # the columns a row fails, and its values as read (only on such a row)
        values = ", ".join(f"NULLIF({quoted(name)}, '')" if name in columns else "NULL" for name in order)
        selected += (f", list_filter([{', '.join(checks)}], lambda name: name IS NOT NULL) AS \"~failed\""
                     f", CASE WHEN len(\"~failed\") > 0 THEN [{values}] END AS \"~values\"")
    line = "line" if numbered else "NULL::BIGINT AS line"
    connection.execute(f"CREATE TABLE parsed AS SELECT {line}{selected} FROM {source}", list(parameters))
    if not numbered:
        # A new table's row ids are the order its rows were inserted in, which the scratch database's
        # preserve_insertion_order keeps as the order they were read (the file's, even when read in parallel).
        connection.execute("UPDATE parsed SET line = rowid + 2")
    issues: list[RowIssue] = []
    if settle is not None:
        settled = settle()
        if settled is None:
            return None
        issues += settled
    if checks:
        failed = connection.execute(
            'SELECT line, "~failed", "~values" FROM parsed WHERE "~values" IS NOT NULL ORDER BY line').fetchall()
        for line, names, values in failed:
            raw = WITHHELD if contract.has_person_refs else record_line(values)
            for name in names:
                value = values[order.index(name)]
                shown = described(value) if contract.has_person_refs else repr(value)
                issues.append(RowIssue(int(line), TYPED.id, f"{name} {shown} {wrong[name]}", raw))
        if failed:
            connection.execute('DELETE FROM parsed WHERE "~values" IS NOT NULL')
        connection.execute('ALTER TABLE parsed DROP COLUMN "~failed"; ALTER TABLE parsed DROP COLUMN "~values"')
    listed = ", ".join(quoted(name) for name in order)
    connection.execute(f"CREATE VIEW file_columns AS SELECT {listed or 'line'} FROM parsed")
    return issues


def raw_records(path: Path, lines: set[int]) -> dict[int, str]:
    """The original text of the given lines of a file, bad bytes shown as \\xNN. The file is read in blocks and
    only the blocks that hold a wanted line are split into lines."""
    targets = sorted(line for line in lines if line >= 1)
    wanted: dict[int, str] = {}
    index, number, carry = 0, 1, b""  # the next target; the line that ``carry`` (a line's start) belongs to
    with Path(path).open("rb") as handle:
        while index < len(targets) and (block := handle.read(1 << 20)):
            ends = _newlines(block)  # lines number .. number + ends - 1 end in this block (``carry`` has no break)
            if targets[index] < number + ends:
                *complete, carry = (carry + block).split(b"\n")
                while index < len(targets) and targets[index] < number + ends:
                    text = complete[targets[index] - number]
                    wanted[targets[index]] = text.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                    index += 1
            else:
                last = block.rfind(b"\n")
                carry = block[last + 1:] if last >= 0 else carry + block
            number += ends
    if carry and number in lines:  # the last line, without a line break
        wanted[number] = carry.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
    return wanted
