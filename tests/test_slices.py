"""Staging slices (``warehouse.replace_slice``, ``warehouse.slices``): a load replaces its (source, period) slice
whole and touches no other, on both engines; on PostgreSQL each slice is a partition of its own, emptied and
filled again by a re-run, made without stopping the loads of other sources, and a warehouse migrated before
partitioning keeps every row."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from safer_communities.warehouse import dictionary, replace_slice, slices

COLUMNS = ["source", "period", "load_batch_id", "line", "crime_id", "month", "crime_type"]


def _csv(tmp_path, source: str, period: str, batch: str, lines: range):
    path = tmp_path / f"{source}-{period}-{batch}.csv"
    rows = [",".join(COLUMNS)] + [f"{source},{period},{batch},{line},id{line},{period},Burglary" for line in lines]
    path.write_text("\n".join(rows) + "\n")
    return path


def _replace(connection, tmp_path, source, period, batch, lines):
    replace_slice(connection, "staging.police_street", COLUMNS, _csv(tmp_path, source, period, batch, lines),
                  source=source, period=period)


def _slices(warehouse) -> dict[tuple[str, str], tuple[str, int, int]]:
    """(source, period) -> (batch, rows, sum of lines), read through the staging table everyone queries."""
    return {(r["source"], r["period"]): (r["batch"], r["rows"], r["lines"]) for r in warehouse.query(
        "SELECT source, period, min(load_batch_id) AS batch, count(*) AS rows, sum(line) AS lines "
        "FROM staging.police_street GROUP BY source, period")}


def _partitions(warehouse) -> list[str]:
    return [row["name"] for row in warehouse.query(
        "SELECT c.relname AS name FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid "
        "WHERE i.inhparent IN (SELECT 'staging.police_street'::regclass UNION SELECT inhrelid FROM pg_inherits "
        "WHERE inhparent = 'staging.police_street'::regclass) ORDER BY 1")]


def test_a_load_replaces_its_slice_whole_and_no_other(tmp_path, warehouse):
    with warehouse.begin() as connection:
        _replace(connection, tmp_path, "force_a", "2020-01", "b1", range(2, 102))
        _replace(connection, tmp_path, "force_a", "2020-02", "b2", range(2, 52))
        _replace(connection, tmp_path, "force_b", "2020-01", "b3", range(2, 12))
    with warehouse.begin() as connection:  # a re-run with fewer rows: none of the old ones is left
        _replace(connection, tmp_path, "force_a", "2020-01", "b4", range(2, 22))
    expected = {("force_a", "2020-01"): ("b4", 20, sum(range(2, 22))),
                ("force_a", "2020-02"): ("b2", 50, sum(range(2, 52))),
                ("force_b", "2020-01"): ("b3", 10, sum(range(2, 12)))}
    assert _slices(warehouse) == expected
    with pytest.raises(RuntimeError, match="rolled back"):  # a load that fails leaves the slice as it was
        with warehouse.begin() as connection:
            _replace(connection, tmp_path, "force_a", "2020-01", "b5", range(2, 1002))
            raise RuntimeError("the load failed after the copy: rolled back")
    assert _slices(warehouse) == expected
    if warehouse.dialect == "postgresql":
        # one partition per source and one per slice; a re-run reuses its slice's
        names = _partitions(warehouse)
        assert len(names) == 2 + 3
        assert {slices.partition_name("police_street", "force_a", "2020-01"),
                slices.partition_name("police_street", "force_b")} <= set(names)
        with warehouse.engine.connect() as connection:  # the dictionary lists the tables, not their partitions
            listed = {relation.qualified for relation in dictionary.read(connection, ("staging",))}
        assert "staging.police_street" in listed and not {f"staging.{name}" for name in names} & listed


def test_partition_names_are_short_and_apart():
    long = slices.partition_name("youth_first_time_entrants", "youth_offending_service_of_a_long_named_county",
                                 "2020/21")
    assert len(long) <= 63 and long.startswith("youth_first_time_entrants__youth_offending")
    # the same readable text from other values is another name
    assert slices.partition_name("t", "a-b", "2020") != slices.partition_name("t", "a_b", "2020")
    assert slices.partition_name("t", "a", "2020-01") == slices.partition_name("t", "a", "2020-01")


@pytest.fixture
def postgres(make_warehouse):
    return make_warehouse("postgres")


def test_a_row_of_another_slice_is_turned_away(tmp_path, postgres):
    with pytest.raises(Exception, match="slice_period|no partition|violates"):
        with postgres.begin() as connection:
            replace_slice(connection, "staging.police_street", COLUMNS,
                          _csv(tmp_path, "force_a", "2020-02", "b1", range(2, 5)), source="force_a", period="2020-01")
    assert _slices(postgres) == {}


def test_loads_of_new_slices_wait_only_for_their_own_sources_loads(tmp_path, postgres):
    """While the first load of a new source is open: a load of another new source goes through (the sources'
    partitions commit on their own), and a load of another period of the same source waits for the first to
    commit (both attach to the source's partition), then loads instead of failing on a name taken."""
    first_in = threading.Event()
    errors: list[BaseException] = []

    def load(source, period, batch, lines):
        def run():
            try:
                first_in.wait(30)
                with postgres.begin() as connection:
                    _replace(connection, tmp_path, source, period, batch, lines)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    same_source = load("force_new", "2020-02", "b2", range(2, 7))
    other_source = load("force_other", "2020-01", "b3", range(2, 4))
    with postgres.begin() as connection:
        _replace(connection, tmp_path, "force_new", "2020-01", "b1", range(2, 12))
        first_in.set()
        other_source.join(30)
        assert not other_source.is_alive() and not errors  # another new source did not wait
        assert same_source.is_alive()  # the same source's other period waits for this load
    same_source.join(30)
    assert not errors and not same_source.is_alive()
    assert _slices(postgres) == {("force_new", "2020-01"): ("b1", 10, sum(range(2, 12))),
                                 ("force_new", "2020-02"): ("b2", 5, sum(range(2, 7))),
                                 ("force_other", "2020-01"): ("b3", 2, 5)}


def test_a_warehouse_migrated_before_partitioning_keeps_every_row(tmp_path, postgres):
    with postgres.begin() as connection:  # the staging table as an earlier version made it: one plain table
        connection.execute(text("DROP TABLE staging.police_street"))
        connection.execute(text("CREATE TABLE staging.police_street (source VARCHAR NOT NULL, period VARCHAR(10) "
                                "NOT NULL, load_batch_id VARCHAR NOT NULL, line INTEGER NOT NULL, crime_id "
                                "VARCHAR(64), month VARCHAR(7), crime_type VARCHAR)"))
        connection.execute(text("COMMENT ON TABLE staging.police_street IS 'as it was'"))
        connection.execute(text("INSERT INTO staging.police_street SELECT 'force_' || (i % 2), "
                                "'2020-0' || (i % 3 + 1), 'old', i, 'id' || i, NULL, 'Burglary' "
                                "FROM generate_series(2, 601) AS i"))
    before = _slices(postgres)
    assert len(before) == 6
    with postgres.begin() as connection:
        slices.partition_by_slice(connection, "staging.police_street")
        slices.partition_by_slice(connection, "staging.police_street")  # a second migration changes nothing
    assert _slices(postgres) == before
    assert len(_partitions(postgres)) == 2 + 6
    assert postgres.query("SELECT obj_description('staging.police_street'::regclass, 'pg_class') AS c")[0]["c"] == \
        "as it was"
    with postgres.begin() as connection:  # and a load now replaces its slice's partition
        _replace(connection, tmp_path, "force_1", "2020-02", "new", range(2, 4))
    after = _slices(postgres)
    assert after.pop(("force_1", "2020-02")) == ("new", 2, 5)
    assert after == {key: value for key, value in before.items() if key != ("force_1", "2020-02")}


def test_a_table_name_that_is_not_a_plain_schema_table_is_refused_before_any_sql(tmp_path, postgres):
    path = _csv(tmp_path, "force_a", "2020-01", "b1", range(2, 4))
    for table in ("staging.police_street; DROP TABLE audit.load_batch", "police_street"):
        with pytest.raises(ValueError, match="not a safe"), postgres.begin() as connection:
            replace_slice(connection, table, COLUMNS, path, source="force_a", period="2020-01")
    assert postgres.query("SELECT count(*) AS n FROM audit.load_batch")[0]["n"] == 0
