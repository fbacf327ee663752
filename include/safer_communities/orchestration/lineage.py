"""Lineage: the datasets each step read and wrote, told to a lineage server through Airflow's OpenLineage provider.

Off by default: the provider sends nothing until an operator configures a transport
(``AIRFLOW__OPENLINEAGE__TRANSPORT``, see docs/operating.md, "Lineage"). Then a task built with
:func:`lineage_task` names, in the COMPLETE event of each of its runs, what that run read and wrote, so a server
such as Marquez shows the chain origin file -> landed file -> validated file -> staging and core tables -> mart
tables and exports:

=========  ======================================  ==================================================
step       inputs                                  outputs
=========  ======================================  ==================================================
pull       the file at its origin (drop folder     the landed file
           or HTTP URL)
validate   the landed file                         the validated rows (Parquet; and the pseudonym
                                                   links of a file with people)
load       the validated files                     the staging table, the core tables the contract's
                                                   ``sql/load/<contract>.sql`` writes, and the views
                                                   over them
dashboard  the core tables the mart's SQL reads    the mart tables and the views over them, and the
                                                   export's files when a new version was published
=========  ======================================  ==================================================

A period a run did not pull, validate or load (declared outage, file not delivered, identical file already
loaded) names nothing. Views read are named by the tables under them, and views over the tables written are
named with them, so the chain joins where the loads write. The audit tables are bookkeeping, not data, and
are left out.

The mechanism is the provider's "OpenLineage methods": the task's operator has
``get_openlineage_facets_on_complete``, which the provider's listener calls when the task succeeds. A TaskFlow
``@task`` cannot carry that method, and the provider's other routes cannot name a PostgreSQL or DuckDB table:
inlets and outlets are fixed when the DAG is parsed and, like hook-level lineage, reach OpenLineage only as
Airflow assets with a converter for their scheme (``file`` alone here). So :func:`lineage_task` is ``@task``
with an operator that has the method. The datasets are worked out in the task's own process, after its
function returns, and only when lineage is on; the provider is never imported when a DAG file is parsed.

Dataset names follow OpenLineage's naming (``openlineage.client.naming.dataset``): PostgreSQL
``postgres://{host}:{port}`` and ``{database}.{schema}.{table}``; a local file ``file`` and its absolute path;
S3 ``s3://{bucket}`` and the key. DuckDB, which has no entry there, is named as OpenLineage's dbt integration
names it: ``duckdb://{file}`` and ``{catalog}.{schema}.{table}`` (the catalog is the file's stem). An HTTP origin
is ``{scheme}://{host}[:{port}]`` and its path. No name carries a login, a password, a query string or a
connection id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

# what @task itself builds (imported by any DAG file that uses @task, so nothing more to parse)
from airflow.providers.standard.decorators.python import _PythonDecoratedOperator
from airflow.sdk.bases.decorator import task_decorator_factory

from safer_communities.settings import SQL_DIR

if TYPE_CHECKING:
    from airflow.sdk.bases.decorator import TaskDecorator

log = logging.getLogger(__name__)

DatasetName = tuple[str, str]  # (namespace, name)
Lineage = tuple[list[DatasetName], list[DatasetName]]  # (inputs, outputs)

_VIEW = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?VIEW\s", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------------- the task


def enabled() -> bool:
    """Whether the OpenLineage provider will send events (a transport is configured and it is not disabled)."""
    try:
        from airflow.providers.openlineage import conf
    except ImportError:
        return False
    return not conf.is_disabled()


class LineageDecoratedOperator(_PythonDecoratedOperator):
    """``@task``'s operator, whose OpenLineage COMPLETE event names the datasets its step read and wrote."""

    def __init__(self, *, lineage_step: str, **kwargs) -> None:
        if lineage_step not in STEPS:
            raise ValueError(f"no lineage for step {lineage_step!r}; known: {sorted(STEPS)}")
        self.lineage_step = lineage_step
        self.lineage: Lineage | None = None
        super().__init__(**kwargs)

    def execute(self, context) -> Any:
        returned = super().execute(context)
        if enabled():
            try:  # lineage never fails the step
                self.lineage = STEPS[self.lineage_step](returned)
            except Exception:
                log.warning("the lineage of %s could not be worked out; its event names no datasets",
                            self.task_id, exc_info=True)
        return returned

    def get_openlineage_facets_on_complete(self, task_instance):
        """Called by the OpenLineage provider when the task succeeds (and, there being no ``_on_failure``, when it
        fails: then nothing was worked out and no dataset is named)."""
        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage

        inputs, outputs = self.lineage or ([], [])
        return OperatorLineage(inputs=[Dataset(namespace=namespace, name=name) for namespace, name in inputs],
                               outputs=[Dataset(namespace=namespace, name=name) for namespace, name in outputs])


def lineage_task(step: str, **kwargs) -> TaskDecorator:
    """``@task(**kwargs)`` for a step of :data:`STEPS`: the same task, which also tells the lineage server (when
    one is configured) what each run of it read and wrote."""
    return task_decorator_factory(decorated_operator_class=LineageDecoratedOperator, lineage_step=step, **kwargs)


# ---------------------------------------------------------------------------------------------------- names


def file_dataset(location: str) -> DatasetName:
    """A file by its location: a local path, an object-storage URL (``s3://[conn_id@]bucket/key``, as
    ``safer_communities.sources.storage`` names objects) or an HTTP URL."""
    parts = urlsplit(location)
    if parts.scheme in ("", "file"):  # a local path
        return "file", str(Path(parts.path if parts.scheme else location).absolute())
    host = parts.netloc.rsplit("@", 1)[-1]  # no login, password or connection id
    if parts.scheme in ("s3", "s3a", "gs", "gcs"):
        return f"{'gs' if parts.scheme.startswith('g') else 's3'}://{host}", parts.path.lstrip("/")
    return f"{parts.scheme}://{host}", parts.path or "/"  # no query string: it may hold a token


def warehouse_namespace(url: str) -> tuple[str, str]:
    """The warehouse's OpenLineage namespace and the database (catalog) its table names start with."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return f"postgres://{parsed.host or 'localhost'}:{parsed.port or 5432}", parsed.database or "postgres"
    if backend == "duckdb":
        database = parsed.database or ":memory:"
        if database == ":memory:":
            return "duckdb://:memory:", "memory"
        return f"duckdb://{Path(database).absolute()}", Path(database).stem
    return f"{backend}://{parsed.host or 'localhost'}{f':{parsed.port}' if parsed.port else ''}", parsed.database or ""


def table_datasets(url: str, tables: Iterable[str]) -> list[DatasetName]:
    """``schema.table`` names in the warehouse at ``url``."""
    namespace, database = warehouse_namespace(url)
    return [(namespace, f"{database}.{table}") for table in tables]


# ---------------------------------------------------------------------------------------------------- SQL read


@cache
def _parsed(statements: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The ``schema.table`` names some SQL reads and writes (OpenLineage's SQL parser, the provider's own). A table
    named without a schema is a temporary table of the statements' own, not a dataset."""
    import openlineage_sql

    parsed = openlineage_sql.parse(list(statements), dialect="postgres")
    return (frozenset(f"{t.schema}.{t.name}" for t in parsed.in_tables if t.schema),
            frozenset(f"{t.schema}.{t.name}" for t in parsed.out_tables if t.schema))


def sql_tables(sql: str | Path) -> tuple[frozenset[str], frozenset[str]]:
    """What a SQL file (or statement) reads and writes."""
    from safer_communities.warehouse import statements

    return _parsed(tuple(statements(sql)) if isinstance(sql, Path) else (sql,))


@cache
def views() -> dict[str, frozenset[str]]:
    """Every view ``sql/ddl`` creates, with the tables and views it reads."""
    from safer_communities.warehouse import statements

    found = {}
    for path in sorted((SQL_DIR / "ddl").glob("*.sql")):
        for statement in statements(path):
            if _VIEW.match(statement):
                read, written = _parsed((statement,))
                found.update({view: read for view in written})
    return found


def tables_under(names: Iterable[str]) -> set[str]:
    """The tables behind these names: a view becomes the tables it reads, through any views between."""
    tables, pending, seen = set(), list(names), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in views():
            pending.extend(views()[name])
        else:
            tables.add(name)
    return tables


def with_views_over(tables: Iterable[str]) -> set[str]:
    """These tables and every view built on any of them (through any views between)."""
    found = set(tables)
    while more := {view for view, read in views().items() if read & found and view not in found}:
        found |= more
    return found


# ---------------------------------------------------------------------------------------------------- steps


def _sorted(inputs: Iterable[DatasetName], outputs: Iterable[DatasetName]) -> Lineage:
    return sorted(set(inputs)), sorted(set(outputs))


def pull_lineage(states: list[dict]) -> Lineage:
    """Each file pulled: from its origin to its landing place."""
    pulled = [state for state in states if state.get("landing_path") and state.get("origin")]
    return _sorted((file_dataset(s["origin"]) for s in pulled), (file_dataset(s["landing_path"]) for s in pulled))


def _with_links(state: dict) -> list[str]:
    """The validated rows' file, and the pseudonym links' beside it for a file with people."""
    from safer_communities.sources.contracts import load_contract
    from safer_communities.sources.ingest import _beside
    from safer_communities.sources.registry import get_source

    files = [state["validated_path"]]
    if load_contract(get_source(state["source"]).contract).has_person_refs:
        files.append(_beside(state["validated_path"], f"{state['sha256']}.links.csv"))
    return files


def validate_lineage(states: list[dict]) -> Lineage:
    """Each landed file validated: to its accepted rows (a rejected file's rows go nowhere downstream)."""
    validated = [state for state in states if state.get("landing_path") and state.get("results_path")]
    return _sorted((file_dataset(s["landing_path"]) for s in validated),
                   (file_dataset(f) for s in validated if s.get("validated_path") for f in _with_links(s)))


def load_tables(source: str) -> set[str]:
    """The warehouse tables a slice's load writes for this source, and the views over them."""
    from safer_communities.sources.contracts import load_contract
    from safer_communities.sources.registry import get_source

    contract = load_contract(get_source(source).contract)
    written = {f"staging.{contract.staging_table}", *sql_tables(SQL_DIR / "load" / f"{contract.name}.sql")[1]}
    if contract.has_person_refs:  # the pseudonym links commit with the slice (pseudonymise.load_links)
        written |= {"staging.pseudonym_link", *sql_tables(SQL_DIR / "load" / "pseudonym_link.sql")[1]}
    return with_views_over(written)


def load_lineage(states: list[dict], url: str | None = None) -> Lineage:
    """Each slice loaded by this run: from its validated files to its staging and core tables."""
    loaded = [state for state in states if state.get("recorded") and state.get("validated_path")]
    if not loaded:
        return [], []
    url = url or _warehouse_url()
    return _sorted((file_dataset(f) for s in loaded for f in _with_links(s)),
                   (d for source in {s["source"] for s in loaded} for d in table_datasets(url, load_tables(source))))


def dashboard_tables() -> tuple[set[str], set[str]]:
    """The tables a quarter's computation reads (views resolved to them) and the mart tables it replaces, with the
    views over them (``mart.dashboard_published`` ...)."""
    from safer_communities import dashboard

    read = set().union(*(sql_tables(sql)[0] for sql in (dashboard.OBSERVATIONS_SQL, dashboard.AREAS_SQL,
                                                         dashboard.POPULATION_SQL)))
    return tables_under(read), with_views_over(dashboard.MART_TABLES)


def dashboard_lineage(result: dict, url: str | None = None) -> Lineage:
    """A quarter computed: from the core tables to the mart tables, and to the export's files when this run
    published a new version of them."""
    read, written = dashboard_tables()
    url = url or _warehouse_url()
    files = [file_dataset(f) for f in result.get("files", [])] if result.get("new_version") else []
    return _sorted(table_datasets(url, read), [*table_datasets(url, written), *files])


def _warehouse_url() -> str:
    from safer_communities.warehouse import url_from_connection

    return url_from_connection()


STEPS: dict[str, Callable[[Any], Lineage]] = {
    "pull": pull_lineage,
    "validate": validate_lineage,
    "load": load_lineage,
    "dashboard": dashboard_lineage,
}
