"""The warehouse's bulk load of validated rows (a Parquet file) on DuckDB and on PostgreSQL, where the rows go to
binary COPY a batch at a time: every value arrives as written, and a file that cannot be read fails the load
(naming the file) instead of loading part of it. The rows go in as a load puts them, as a staging slice
(``replace_slice``, which bulk-copies them into the slice's partition on PostgreSQL)."""

from __future__ import annotations

import duckdb
import pytest
from sqlalchemy import text

from safer_communities.warehouse import replace_slice

COLUMNS = ["source", "period", "load_batch_id", "line", "crime_id", "month", "reported_by", "falls_within",
           "longitude", "latitude", "location", "lsoa_code", "lsoa_name", "crime_type", "last_outcome_category",
           "context"]
# Values a CSV conversion could lose: empty against NULL, quotes, commas, line breaks, non-ASCII, big numbers.
AWKWARD = [
    ("police", "2020-01", "b1", 2, "a" * 64, "2020-01", "Leicestershire Police", None, -1.123456789012, 52.5,
     'On or near "The Green", Loughborough', "E01025587", "Charnwood 001A", "Burglary", None, "line one\nline two"),
    ("police", "2020-01", "b1", 3, None, "2020-01", "", "Leicestershire Police", None, None, "No Location", None,
     None, "Anti-social behaviour", "", "Café, naïve; \\ backslash"),
]


def _parquet(tmp_path, rows, more: int = 0):
    """The rows as a Parquet file, and ``more`` rows made by DuckDB as :func:`_more` describes them."""
    path = tmp_path / "rows.parquet"
    with duckdb.connect() as converter:
        types = {"line": "BIGINT", "longitude": "DOUBLE", "latitude": "DOUBLE"}
        definition = ", ".join(f"{column} {types.get(column, 'VARCHAR')}" for column in COLUMNS)
        converter.execute(f"CREATE TABLE rows ({definition})")
        if rows:
            converter.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(COLUMNS))})", rows)
        converter.execute("INSERT INTO rows SELECT 'police', '2020-01', 'b2', line, 'id' || line, '2020-01', 'x', "
                          "'y', line / 7, -line / 3, 'l,' || line, 'E01025587', 'n', 'Burglary', NULL, NULL "
                          "FROM range(10, 10 + ?) AS lines(line)", [more])
        converter.execute(f"COPY rows TO '{path}' (FORMAT parquet)")
    return path


def _more(line: int) -> tuple:
    return ("police", "2020-01", "b2", line, f"id{line}", "2020-01", "x", "y", line / 7, -line / 3, f"l,{line}",
            "E01025587", "n", "Burglary", None, None)


def _load(connection, path):
    replace_slice(connection, "staging.police_street", COLUMNS, path, source="police", period="2020-01")


def _staged(warehouse):
    return [tuple(row.values()) for row in warehouse.query(
        f"SELECT {', '.join(COLUMNS)} FROM staging.police_street ORDER BY line")]


def test_every_value_arrives_as_written(tmp_path, warehouse):
    more = 200_000  # several batches
    with warehouse.begin() as connection:
        _load(connection, _parquet(tmp_path, AWKWARD, more))
    staged = _staged(warehouse)
    assert staged[:2] == AWKWARD
    assert staged[2:] == [_more(line) for line in range(10, 10 + more)]


def test_a_file_that_cannot_be_read_fails_the_load_and_loads_nothing(tmp_path, warehouse):
    good = _parquet(tmp_path, AWKWARD)
    broken = tmp_path / "broken.parquet"
    data = good.read_bytes()
    broken.write_bytes(data[: len(data) // 2])  # a truncated upload
    with pytest.raises(Exception, match="broken.parquet"):
        with warehouse.begin() as connection:
            _load(connection, broken)
    assert _staged(warehouse) == []
    with warehouse.begin() as connection:  # the connection is usable after the failure
        connection.execute(text("SELECT 1"))


def test_a_value_that_does_not_fit_its_column_fails_the_load_and_loads_nothing(tmp_path, warehouse):
    too_big = (*AWKWARD[0][:3], 2**31, *AWKWARD[0][4:])  # staging's line is an INTEGER
    with pytest.raises(Exception, match="2147483648|out of range|overflow"):
        with warehouse.begin() as connection:
            _load(connection, _parquet(tmp_path, [AWKWARD[1], too_big], 10))
    assert _staged(warehouse) == []
