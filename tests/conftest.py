"""Shared test set-up: a private Airflow home, a scratch working area, and real warehouses.

Every warehouse test runs twice, on a DuckDB file and on a PostgreSQL database
that the fixture creates and drops (PostgreSQL at 127.0.0.1:5432, trust auth;
``SAFER_COMMUNITIES_TEST_PG`` overrides the server URL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

# Before anything imports Airflow: a throwaway Airflow home with SQLite metadata.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="sc-airflow-")
PROJECT = Path(__file__).resolve().parent.parent
os.environ.update(
    AIRFLOW_HOME=_AIRFLOW_HOME,
    AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT / "dags"),
    AIRFLOW__CORE__PLUGINS_FOLDER=str(PROJECT / "plugins"),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__UNIT_TEST_MODE="False",
    GX_ANALYTICS_ENABLED="False",
)
os.environ.pop("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE", None)
os.environ.pop("SAFER_COMMUNITIES_REGISTRY", None)

import pytest  # noqa: E402

FIXTURES = PROJECT / "tests" / "fixtures"
POLICE_FIXTURES = FIXTURES / "police_uk"
PG_SERVER = os.environ.get("SAFER_COMMUNITIES_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
ENGINES = ("duckdb", "postgres")
# The pseudonymisation key the ``key`` fixture sets; tests computing an expected HMAC use it.
PSEUDONYMISATION_KEY = "test-only-key-not-a-secret"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh working area (landing, quarantine, validated files) and drop folder for one test."""
    monkeypatch.setenv("SAFER_COMMUNITIES_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("SAFER_COMMUNITIES_DROP", str(tmp_path / "drop"))
    (tmp_path / "drop" / "police").mkdir(parents=True)
    return tmp_path


def set_pseudonymisation_key(monkeypatch, password: str = PSEUDONYMISATION_KEY, **extra) -> str:
    """Set the pseudonymisation key connection: the key as its password, ``extra`` (key_id, previous) as its extra."""
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION",
                       json.dumps({"conn_type": "generic", "password": password, "extra": extra}))
    return password


@pytest.fixture
def key(monkeypatch) -> str:
    """The pseudonymisation key connection, set to a test-only key; returns the key."""
    return set_pseudonymisation_key(monkeypatch)


def drop_police(home: Path, month: str, content: bytes | None = None) -> Path:
    """Put a police street file for ``month`` in the drop folder: the real fixture, or the given bytes."""
    target = home / "drop" / "police" / f"{month}-leicestershire-street.csv"
    if content is None:
        content = (POLICE_FIXTURES / f"{month}-leicestershire-street.csv").read_bytes()
    target.write_bytes(content)
    return target


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER.replace("+psycopg", "") + "/postgres", autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture
def make_warehouse(tmp_path):
    """Factory: a migrated warehouse on the named engine, dropped after the test."""
    from safer_communities.warehouse import Warehouse

    opened, databases = [], []

    def make(engine: str):
        if engine == "duckdb":
            url = f"duckdb:///{tmp_path / f'warehouse-{uuid.uuid4().hex[:6]}.duckdb'}"
        else:
            name = f"sc_test_{uuid.uuid4().hex[:12]}"
            _admin(f'CREATE DATABASE "{name}"')
            databases.append(name)
            url = f"{PG_SERVER}/{name}"
        warehouse = Warehouse(url)
        warehouse.migrate()
        opened.append(warehouse)
        return warehouse

    yield make
    for warehouse in opened:
        warehouse.close()
    for name in databases:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def warehouse(request, make_warehouse):
    """A migrated warehouse; every test using it runs on DuckDB and on PostgreSQL."""
    return make_warehouse(request.param)


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory) -> Path:
    """The demo of every source ingested into one DuckDB file and its dashboards computed, built once for the
    report and explain tests (``tests.test_report.build_demo``): ``drop/``, ``var/`` and ``exports/``."""
    from tests.test_report import build_demo

    root = tmp_path_factory.mktemp("demo")
    build_demo(root)
    return root


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """Migrate the throwaway Airflow metadata database once, for dag.test() runs."""
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
    )
    return _AIRFLOW_HOME


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); yields (controller, inbox)."""
    from aiosmtpd.controller import Controller

    from tests.alert_channels import Inbox, free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def webhook():
    """A real HTTP endpoint on loopback answering 204 at /alerts and keeping what is posted."""
    from tests.alert_channels import WebhookServer
    from tests.http_server import Reply

    server = WebhookServer().start()
    server.set("alerts", Reply(204))
    yield server
    server.stop()


@pytest.fixture
def alert_connections(smtp_server, webhook, monkeypatch):
    """Both alert channels configured, pointing at the loopback servers; returns (inbox, webhook)."""
    from tests.alert_channels import smtp_connection

    controller, inbox = smtp_server
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_ALERTS_SMTP", smtp_connection(controller.port))
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_ALERTS_WEBHOOK", f"{webhook.base_url}/alerts")
    return inbox, webhook


@pytest.fixture
def airflow_ui(monkeypatch):
    """The UI address alert links are built from; no alert connection unless a test sets one."""
    from tests.alert_channels import BASE_URL

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", BASE_URL)
    monkeypatch.delenv("AIRFLOW_CONN_SAFER_COMMUNITIES_ALERTS_SMTP", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_SAFER_COMMUNITIES_ALERTS_WEBHOOK", raising=False)
