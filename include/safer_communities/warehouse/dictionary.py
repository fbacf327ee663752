"""The data dictionary: every table, view and column of the warehouse with what it means, from the warehouse itself.

The meanings live in one place, the comments of ``sql/ddl/`` (``COMMENT ON TABLE`` / ``VIEW`` / ``COLUMN``; the
columns' in ``900_comments.sql``). :func:`read` takes them from a live catalogue (DuckDB's ``duckdb_tables()``,
``duckdb_views()`` and ``duckdb_columns()``; PostgreSQL's ``pg_class`` and ``pg_attribute``), so what is
documented is what the engine holds. :func:`generate` migrates a fresh DuckDB file and a scratch PostgreSQL
database, reads both, refuses when a table, view or column has no comment or the engines disagree, and writes
``docs/data-dictionary.md`` (``safer-communities dictionary``; ``--check`` says whether the file is out of date).
:func:`export_readme` is the same dictionary for the files of a dashboard export, written beside them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from safer_communities.settings import PROJECT_DIR

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

SCHEMAS = ("staging", "core", "mart", "audit")
DICTIONARY_PATH = PROJECT_DIR / "docs" / "data-dictionary.md"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
SCHEMA_WORDS = {
    "staging": "rows as delivered, typed, one slice per source and period (replaced whole by each load)",
    "core": "the conformed facts and dimensions the dashboard reads",
    "mart": "the dashboard: true values (dashboard_quarterly, monthly, summary) and what may be published "
            "(the *_published views)",
    "audit": "what happened to every file and period: pulls, validation, quarantine, loads, statuses, readiness",
}


class DictionaryError(RuntimeError):
    """A table, view or column without a comment, or engines that disagree."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str | None


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: str  # "table" or "view"
    comment: str | None
    columns: tuple[Column, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


_DUCKDB_RELATIONS = """
SELECT schema_name, table_name AS name, 'table' AS kind, comment FROM duckdb_tables()
WHERE schema_name IN ({schemas}) AND NOT temporary
UNION ALL
SELECT schema_name, view_name, 'view', comment FROM duckdb_views()
WHERE schema_name IN ({schemas}) AND NOT internal AND NOT temporary
"""
_DUCKDB_COLUMNS = """
SELECT schema_name, table_name AS name, column_name, data_type, comment FROM duckdb_columns()
WHERE schema_name IN ({schemas}) ORDER BY schema_name, table_name, column_index
"""
_POSTGRES_RELATIONS = """
SELECT n.nspname AS schema_name, c.relname AS name, CASE WHEN c.relkind = 'v' THEN 'view' ELSE 'table' END AS kind,
       obj_description(c.oid, 'pg_class') AS comment
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ({schemas}) AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
"""
_POSTGRES_COLUMNS = """
SELECT n.nspname AS schema_name, c.relname AS name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS data_type, col_description(c.oid, a.attnum) AS comment
FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ({schemas}) AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY n.nspname, c.relname, a.attnum
"""


def read(connection: Connection, schemas: tuple[str, ...] = SCHEMAS) -> list[Relation]:
    """Every table and view of ``schemas`` with its columns, types and comments, from the engine's catalogue, in
    schema order and then by name."""
    from safer_communities.warehouse import query

    postgres = connection.dialect.name == "postgresql"
    listed = ", ".join(f"'{schema}'" for schema in schemas)
    relations = query(connection, (_POSTGRES_RELATIONS if postgres else _DUCKDB_RELATIONS).format(schemas=listed))
    columns: dict[tuple[str, str], list[Column]] = {}
    for row in query(connection, (_POSTGRES_COLUMNS if postgres else _DUCKDB_COLUMNS).format(schemas=listed)):
        columns.setdefault((row["schema_name"], row["name"]), []).append(
            Column(row["column_name"], row["data_type"], _text(row["comment"])))
    found = [Relation(r["schema_name"], r["name"], r["kind"], _text(r["comment"]),
                      tuple(columns.get((r["schema_name"], r["name"]), ()))) for r in relations]
    return sorted(found, key=lambda r: (schemas.index(r.schema), r.name))


def _text(comment: str | None) -> str | None:
    return comment.strip() or None if comment else None


def undescribed(relations: list[Relation]) -> list[str]:
    """The tables, views and columns without a comment: ``mart.dashboard_quarterly``, ``core.dim_area.area_code``."""
    missing = []
    for relation in relations:
        if not relation.comment:
            missing.append(relation.qualified)
        missing += [f"{relation.qualified}.{column.name}" for column in relation.columns if not column.comment]
    return missing


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown(duckdb: list[Relation], postgres: list[Relation]) -> str:
    """The dictionary page: per schema, each table and view with its comment and a table of its columns (the type
    on each engine and the comment). Raises :class:`DictionaryError` when a comment is missing or the engines
    disagree on a relation, a column or a comment."""
    problems = [f"no comment on {name} ({engine})" for engine, relations in (("DuckDB", duckdb),
                                                                            ("PostgreSQL", postgres))
                for name in undescribed(relations)]
    on_postgres = {relation.qualified: relation for relation in postgres}
    for relation in duckdb:
        twin = on_postgres.pop(relation.qualified, None)
        if twin is None:
            problems.append(f"{relation.qualified} is on DuckDB only")
            continue
        if [c.name for c in relation.columns] != [c.name for c in twin.columns]:
            problems.append(f"{relation.qualified} has other columns on PostgreSQL")
        elif relation.comment != twin.comment or [c.comment for c in relation.columns] != [
                c.comment for c in twin.columns]:
            problems.append(f"{relation.qualified} has other comments on PostgreSQL")
    problems += [f"{name} is on PostgreSQL only" for name in on_postgres]
    if problems:
        raise DictionaryError("the data dictionary cannot be written: " + "; ".join(problems)
                              + " (comments belong in sql/ddl/, the columns' in sql/ddl/900_comments.sql)")
    types = {(r.qualified, c.name): c.type for r in postgres for c in r.columns}
    lines = ["# Data dictionary", "",
             "Every table, view and column of the warehouse, with what it means. Generated by "
             "`safer-communities dictionary` from the comments in `sql/ddl/` as a freshly migrated DuckDB file and "
             "PostgreSQL database hold them; do not edit it by hand (a test fails when it is out of date). How to "
             "connect and query: [warehouse.md](warehouse.md).", ""]
    for schema in SCHEMAS:
        lines += [f"- [`{schema}`](#schema-{schema}): {SCHEMA_WORDS[schema]}"]
    for schema in SCHEMAS:
        lines += ["", f"## Schema {schema}", "", SCHEMA_WORDS[schema][0].upper() + SCHEMA_WORDS[schema][1:] + "."]
        for relation in (r for r in duckdb if r.schema == schema):
            lines += ["", f"### `{relation.qualified}` ({relation.kind})", "", _cell(relation.comment), "",
                      "| column | type (DuckDB) | type (PostgreSQL) | meaning |", "|---|---|---|---|"]
            lines += [f"| `{c.name}` | {c.type} | {types[(relation.qualified, c.name)]} | {_cell(c.comment)} |"
                      for c in relation.columns]
    return "\n".join(lines) + "\n"


def generate(postgres_server: str = DEFAULT_POSTGRES) -> str:
    """The dictionary page from a fresh DuckDB file and a scratch database on ``postgres_server`` (created and
    dropped here; the login needs ``CREATEDB``), both migrated with ``sql/ddl/``."""
    import tempfile

    from sqlalchemy import create_engine, text

    from safer_communities.warehouse import Warehouse

    with tempfile.TemporaryDirectory(prefix="sc-dictionary-") as scratch:
        with Warehouse(f"duckdb:///{Path(scratch) / 'warehouse.duckdb'}") as warehouse:
            warehouse.migrate()
            with warehouse.snapshot() as connection:
                on_duckdb = read(connection)
    database = f"sc_dictionary_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{postgres_server.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        try:
            with Warehouse(f"{postgres_server.rstrip('/')}/{database}") as warehouse:
                warehouse.migrate()
                with warehouse.snapshot() as connection:
                    on_postgres = read(connection)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()
    return markdown(on_duckdb, on_postgres)


def export_readme(mart: list[Relation], files: dict[str, str], types: dict[str, dict[str, str]], title: str) -> str:
    """The README of an export folder: for each file (name -> the view it is read from, among the ``mart``
    relations :func:`read` gave), its columns with their type in the file and their meaning (the view's column
    comments)."""
    relations = {r.qualified: r for r in mart}
    lines = [f"# {title}", "",
             "Each file comes as CSV (UTF-8, a header row, whole numbers without a decimal point, empty = no value) "
             "and as Parquet with the types below (pandas: `pandas.read_parquet`, with pyarrow). A withheld figure "
             "is empty, and its `suppression` column says why; the data dictionary of the whole warehouse is "
             "docs/data-dictionary.md in the project.", ""]
    for name, view in files.items():
        relation = relations[view]
        lines += [f"## {name}.csv, {name}.parquet", "", f"From `{view}`: {_cell(relation.comment or '')}", "",
                  "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {types[name].get(c.name, 'VARCHAR')} | {_cell(c.comment or '')} |"
                  for c in relation.columns]
        lines.append("")
    return "\n".join(lines)
