"""Staging slices: the rows of one (source, period), replaced whole by every load of it
(:func:`safer_communities.warehouse.replace_slice`); this module makes PostgreSQL's partitions for them.

On DuckDB a slice is found by its values: the slice's rows are deleted and the new ones appended (they arrive
together, so DuckDB's per-row-group min/max skips the rest of the table). On PostgreSQL every contract's staging
table is partitioned by slice, by ``source`` and then by ``period`` (:func:`partition_by_slice`, run by
``migrate``): replacing a slice empties its own partition (``TRUNCATE``) instead of deleting its rows one by one
from a table that holds every slice (600,000 rows: 0.4-0.6 s, more as the table grows), and the load's SQL,
completeness checks and statistics read that partition alone. The parent tables keep the names and columns
every query uses.

Partitions are made the way that does not stop readers of the parent: a table of its own with a ``CHECK`` that
matches its bounds, attached (``SHARE UPDATE EXCLUSIVE`` on the parent, not ``ACCESS EXCLUSIVE``). A new
source's partition commits at once in a transaction of its own; a new slice's is made in the load's transaction,
so two loads of one source's new periods take turns from the attach to the commit. ``TRUNCATE`` holds the
slice's own partition until the load commits; a query of the whole parent waits for it.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_SLICE_COLUMNS = ("source", "period")  # a staging table is partitioned by the first, then by the second
_MAX_NAME = 63  # PostgreSQL's identifier length


def partition_name(table: str, *values: str) -> str:
    """The name of a staging table's partition for a source, or for a (source, period) slice: readable, and
    unique by a digest of the values (a long name is cut to PostgreSQL's 63 characters before the digest)."""
    digest = hashlib.sha256("\0".join(values).encode()).hexdigest()[:10]
    readable = re.sub(r"[^a-z0-9]+", "_", "_".join(values).lower()).strip("_")
    return f"{table}__{readable}"[: _MAX_NAME - len(digest) - 1] + f"_{digest}"


def _qualified(table: str, *values: str) -> str:
    """``schema.name`` of the partition of a staging table (``schema.table``) for a source or a slice."""
    schema, root = table.split(".")
    return f"{schema}.{partition_name(root, *values)}"


def _literal(connection: Connection, value: str) -> str:
    """A value as a literal of the connection's dialect, for DDL, which takes no bound parameters (run it with
    ``exec_driver_sql``: ``text()`` would read a colon in the value as a parameter)."""
    from sqlalchemy import String, literal

    return str(literal(value, String()).compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))


def _kind(connection: Connection, table: str) -> str | None:
    """PostgreSQL's relkind of a table: 'r' (a plain table), 'p' (partitioned), or None if there is none."""
    from sqlalchemy import text

    return connection.execute(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:table)"),
                              {"table": table}).scalar()


def _partition(connection: Connection, table: str, parent: str, values: tuple[str, ...]) -> str:
    """The partition of the staging table ``table`` (``schema.name``) for a source (``values``: the source) or a
    slice (the source and the period), made empty and attached to ``parent`` unless it exists. A source's
    partition is itself partitioned by period."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    name = _qualified(table, *values)
    if _kind(connection, name) is not None:
        return name
    column, value = _SLICE_COLUMNS[len(values) - 1], _literal(connection, values[-1])
    try:
        with connection.begin_nested():
            # Made like its parent, with the parent's CHECK (a slice's partition: its source's), and a CHECK of its
            # own that, with it, matches its bounds: ATTACH need not scan it, and a row of another slice is refused.
            connection.exec_driver_sql(f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                                       + (" PARTITION BY LIST (period)" if len(values) == 1 else ""))
            connection.exec_driver_sql(f"ALTER TABLE {name} ADD CONSTRAINT slice_{column} CHECK ({column} = {value})")
            connection.exec_driver_sql(f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES IN ({value})")
    except (IntegrityError, ProgrammingError):
        # Another load of the source made its partition meanwhile: this one waited for it to commit, and uses it.
        if _kind(connection, name) is None:
            raise
    return name


def slice_partition(connection: Connection, table: str, source: str, period: str) -> str | None:
    """The (source, period) partition of a staging table partitioned by slice, made (empty) if it is new; None if
    the table is not partitioned (DuckDB, or a table that holds no file's rows)."""
    if connection.dialect.name != "postgresql" or _kind(connection, table) != "p":
        return None
    by_source = _qualified(table, source)
    if _kind(connection, by_source) is None:
        # A new source's partition commits on its own at once: attaching it locks the table against other new
        # sources' until commit, which the load's transaction would hold for the whole load.
        with connection.engine.begin() as own:
            _partition(own, table, table, (source,))
    return _partition(connection, table, by_source, (source, period))


def file_tables(connection: Connection) -> list[str]:
    """The staging tables that hold files' validated rows (a slice's rows with their lines: every contract's
    staging table), plain or partitioned, from PostgreSQL's catalogue."""
    from sqlalchemy import text

    return list(connection.execute(text(
        "SELECT n.nspname || '.' || c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'staging' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND (SELECT count(*) "
        "FROM pg_attribute AS a WHERE a.attrelid = c.oid AND a.attname IN ('source', 'period', 'line') "
        "AND NOT a.attisdropped) = 3 ORDER BY 1")).scalars())


def partition_by_slice(connection: Connection, table: str) -> None:
    """Make a PostgreSQL staging table partitioned by slice, if it is not yet: its rows move into the partitions
    of their slices and its comments stay with its name (``migrate`` gives the roles their grants afterwards)."""
    from sqlalchemy import text

    if _kind(connection, table) != "r":
        return
    old = f"{table}__unpartitioned"  # no partition's name: theirs end in a digest
    comment = connection.execute(text("SELECT obj_description(to_regclass(:t), 'pg_class')"), {"t": table}).scalar()
    connection.execute(text(f"ALTER TABLE {table} RENAME TO {old.split('.')[1]}"))
    connection.execute(text(f"CREATE TABLE {table} (LIKE {old} INCLUDING ALL) PARTITION BY LIST (source)"))
    if comment is not None:
        connection.exec_driver_sql(f"COMMENT ON TABLE {table} IS {_literal(connection, comment)}")
    for source, period in connection.execute(text(f"SELECT DISTINCT source, period FROM {old}")).all():
        # in this transaction, which holds the new table until it commits
        _partition(connection, table, _partition(connection, table, table, (source,)), (source, period))
    connection.execute(text(f"INSERT INTO {table} SELECT * FROM {old}"))
    connection.execute(text(f"DROP TABLE {old}"))
