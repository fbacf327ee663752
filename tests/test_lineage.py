"""Lineage through Airflow's OpenLineage provider: the real DAGs, run by dag.test() with the provider's HTTP transport
pointed at a real receiver on loopback, name the chain origin file -> landed file -> validated file -> staging and
core tables -> mart tables in their COMPLETE events; with the default configuration nothing is sent at all.

The runs are in a subprocess: the provider decides when its plugin is imported, once a process, whether to listen.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.conftest import ENGINES, POLICE_FIXTURES, PROJECT, drop_police

MONTH, QUARTER = "2020-01", "2019/20 Q4"
SECRETS = {"warehouse": f"wh-pw-{uuid.uuid4().hex}", "pseudonymisation": f"pk-{uuid.uuid4().hex}",
           "lineage_api_key": f"ol-key-{uuid.uuid4().hex}"}
RUN = """
import json, sys
from airflow.dag_processing.dagbag import DagBag

dags = DagBag(dag_folder={dags!r}).dags
states = {{"ingest_police": dags["ingest_police"].test(run_conf={{"period": {month!r}}}).state}}
if {dashboard!r}:  # the board report (no lineage of its own, and slow: Chromium) is marked done, not run
    states["quarterly_dashboard"] = dags["quarterly_dashboard"].test(run_conf={{"quarter": {quarter!r}}},
                                                                     mark_success_pattern="report").state
listening = "airflow.providers.openlineage.plugins.listener" in sys.modules
print("RESULT", json.dumps({{"states": states, "listener_imported": listening}}))
"""


def run_dags(env: dict[str, str], dashboard: bool) -> dict:
    """Run ingest_police for MONTH (and quarterly_dashboard for QUARTER) in a fresh process with ``env``."""
    script = RUN.format(dags=str(PROJECT / "dags"), month=MONTH, quarter=QUARTER, dashboard=dashboard)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])


def without_lineage_settings(environ) -> dict[str, str]:
    return {k: v for k, v in environ.items() if not k.startswith(("AIRFLOW__OPENLINEAGE__", "OPENLINEAGE"))}


@pytest.fixture
def receiver(webhook):
    """The loopback HTTP endpoint of the alert tests, also answering the OpenLineage HTTP transport's POSTs (at its
    default endpoint) and keeping every body."""
    from tests.http_server import Reply

    webhook.set("api/v1/lineage", Reply(200))
    return webhook


@pytest.fixture(params=ENGINES)
def warehouse_url(request, airflow_db, home, tmp_path, make_warehouse, monkeypatch) -> str:
    """A migrated warehouse the tasks reach through their connection, nobody else holding it; its URL. The
    PostgreSQL connection carries a password (trust authentication ignores it): it must appear in no event."""
    if request.param == "duckdb":
        from safer_communities.warehouse import Warehouse

        url = f"duckdb:///{tmp_path / 'lineage.duckdb'}"
        with Warehouse(url) as warehouse:
            warehouse.migrate()
        connection = json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}})
    else:
        warehouse = make_warehouse("postgres")
        warehouse.close()
        url = warehouse.url
        database = url.rsplit("/", 1)[1]
        connection = f"postgres://postgres:{SECRETS['warehouse']}@127.0.0.1:5432/{database}"
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE", connection)
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION",
                       json.dumps({"conn_type": "generic", "password": SECRETS["pseudonymisation"]}))
    return url


def completes(events: list[dict]) -> dict[str, dict]:
    """The COMPLETE event of each task (job name ``<dag_id>.<task_id>``)."""
    found = {}
    for event in events:
        if event["eventType"] == "COMPLETE":
            assert event["job"]["name"] not in found, f"two COMPLETE events for {event['job']['name']}"
            found[event["job"]["name"]] = event
    return found


def names(event: dict, side: str) -> set[tuple[str, str]]:
    return {(dataset["namespace"], dataset["name"]) for dataset in event[side]}


def test_the_runs_name_the_chain_from_the_file_to_the_mart(warehouse_url, home, receiver, monkeypatch):
    drop = drop_police(home, MONTH)
    sha256 = hashlib.sha256((POLICE_FIXTURES / drop.name).read_bytes()).hexdigest()
    env = dict(without_lineage_settings(os.environ),
               AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps({
                   "type": "http", "url": receiver.base_url,
                   "auth": {"type": "api_key", "apiKey": SECRETS["lineage_api_key"]}}),
               AIRFLOW__OPENLINEAGE__NAMESPACE="safer-communities")
    result = run_dags(env, dashboard=True)
    assert result == {"states": {"ingest_police": "success", "quarterly_dashboard": "success"},
                      "listener_imported": True}

    requests = receiver.requests_for("api/v1/lineage")
    assert requests and all(r.header("authorization") == f"Bearer {SECRETS['lineage_api_key']}" for r in requests)
    events = receiver.posted()
    done = completes(events)
    assert {event["job"]["namespace"] for event in events} == {"safer-communities"}

    if warehouse_url.startswith("duckdb"):
        namespace, catalog = f"duckdb://{home / 'lineage.duckdb'}", "lineage"
    else:
        namespace, catalog = "postgres://127.0.0.1:5432", warehouse_url.rsplit("/", 1)[1]

    def tables(*names: str) -> set[tuple[str, str]]:
        return {(namespace, f"{catalog}.{name}") for name in names}

    var = home / "var"
    landed = ("file", str(var / "landing" / "police_street_crime" / MONTH / f"{sha256}.csv"))
    validated = ("file", str(var / "validated" / "police_street_crime" / MONTH / f"{sha256}.parquet"))

    pull, validate, load = (done[f"ingest_police.{step}"] for step in ("pull", "validate", "load"))
    assert names(pull, "inputs") == {("file", str(drop))}  # the file in the drop folder the registry declares
    assert names(pull, "outputs") == {landed}
    assert names(validate, "inputs") == {landed}
    assert names(validate, "outputs") == {validated}
    assert names(load, "inputs") == {validated}
    # the staging table, the core tables sql/load/police_street.sql writes, and the view over them
    assert names(load, "outputs") == tables("staging.police_street", "core.fact_police_crime",
                                            "core.fact_police_crime_unallocated", "core.police_crime_district")
    # the steps that move no data name none
    assert all(not done[f"ingest_police.{step}"]["inputs"] and not done[f"ingest_police.{step}"]["outputs"]
               for step in ("plan", "check_availability", "record_status"))

    compute = done["quarterly_dashboard.compute"]
    # read: the core tables under the views the mart's SQL reads (so the chain joins where the loads write)
    assert tables("core.fact_police_crime", "core.dim_area", "core.area_population", "core.fact_marac_referral",
                  "core.fact_iom_offender") <= names(compute, "inputs")
    assert all(n == namespace and name.startswith(f"{catalog}.core.") for n, name in names(compute, "inputs"))
    assert not tables("core.police_crime_district", "core.marac_referral_repeat") & names(compute, "inputs")
    exports = var / "exports" / "dashboard" / "2019-20-Q4" / "v1"
    assert names(compute, "outputs") == tables(
        "mart.dashboard_quarterly", "mart.dashboard_monthly", "mart.dashboard_summary",
        "mart.dashboard_published", "mart.dashboard_monthly_published",
    ) | {("file", str(exports / f"{name}.{suffix}")) for name in ("dashboard", "monthly", "summary")
         for suffix in ("csv", "parquet")}
    # the chain: each step reads what the one before wrote
    assert names(pull, "outputs") == names(validate, "inputs") and names(validate, "outputs") == names(load, "inputs")
    assert tables("core.fact_police_crime") <= names(load, "outputs") & names(compute, "inputs")

    posted = b"".join(receiver.bodies) + "".join(r.target for r in requests).encode()
    for name, secret in SECRETS.items():
        assert secret.encode() not in posted, f"the {name} secret is in an event"
    assert b"@127.0.0.1" not in posted  # no URL with a login either


def test_by_default_nothing_is_sent_and_the_provider_does_not_listen(airflow_db, home, tmp_path, receiver,
                                                                     monkeypatch):
    """No transport configured (the project's default): the provider's plugin registers no listener, so the run
    sends nothing and never loads the listener's code; the receiver, where a configured transport would post,
    hears nothing."""
    from safer_communities.warehouse import Warehouse

    url = f"duckdb:///{tmp_path / 'default.duckdb'}"
    with Warehouse(url) as warehouse:
        warehouse.migrate()
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}}))
    drop_police(home, MONTH)
    result = run_dags(without_lineage_settings(os.environ), dashboard=False)
    assert result == {"states": {"ingest_police": "success"}, "listener_imported": False}
    assert receiver.requests == []


def test_names_carry_no_credentials():
    from safer_communities.orchestration.lineage import file_dataset, table_datasets, warehouse_namespace

    assert file_dataset("https://analyst:hunter2@data.example.gov.uk:8443/leics/2020-01.csv?token=abc#x") == (
        "https://data.example.gov.uk:8443", "/leics/2020-01.csv")
    assert file_dataset("s3://safer_communities_storage@safer-communities/pipeline/landing/p/2020-01/a.csv") == (
        "s3://safer-communities", "pipeline/landing/p/2020-01/a.csv")
    assert file_dataset("/srv/var/landing/p/2020-01/a.csv") == ("file", "/srv/var/landing/p/2020-01/a.csv")
    assert warehouse_namespace("postgresql+psycopg://sc_pipeline:s3cret@db.example:6543/warehouse") == (
        "postgres://db.example:6543", "warehouse")
    assert table_datasets("postgresql+psycopg://u:p@db/warehouse", ["core.dim_area"]) == [
        ("postgres://db:5432", "warehouse.core.dim_area")]
    assert warehouse_namespace("duckdb:////srv/var/warehouse.duckdb?motherduck_token=s3cret") == (
        "duckdb:///srv/var/warehouse.duckdb", "warehouse")


def test_a_source_with_people_also_names_its_pseudonym_links():
    """MARAC's load writes its fact table, the pseudonym links, and the views over both (read from the SQL)."""
    from safer_communities.orchestration.lineage import load_tables

    assert load_tables("marac_referrals") == {
        "staging.marac_referrals", "core.fact_marac_referral", "staging.pseudonym_link", "core.pseudonym_link",
        "core.marac_referral", "core.marac_referral_repeat", "core.marac_quarterly"}


@pytest.mark.parametrize("dag_file", ["ingest_police.py", "quarterly_dashboard.py"])
def test_parsing_a_dag_file_imports_nothing_of_openlineage(dag_file):
    """Beyond what Airflow's configuration reads of every installed provider (its provider info)."""
    probe = (
        "import sys, runpy, json\n"
        "import airflow.sdk\n"
        "before = set(sys.modules)\n"
        f"runpy.run_path({str(PROJECT / 'dags' / dag_file)!r})\n"
        "print(json.dumps(sorted(m for m in set(sys.modules) - before if 'openlineage' in m)))\n"
    )
    env = dict(os.environ, AIRFLOW__OPENLINEAGE__TRANSPORT='{"type": "console"}')  # even when it is on
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert json.loads(done.stdout.splitlines()[-1]) == []

