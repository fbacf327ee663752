"""No secret is printed or logged: the warehouse password in its Airflow connection reaches no output and no log."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from safer_communities.warehouse import Warehouse
from tests.conftest import PG_SERVER, _admin, drop_police

PASSWORD = f"Pw-{uuid.uuid4().hex}"  # PostgreSQL on loopback trusts: any password is accepted, and must never show


def _connection(database: str) -> str:
    from sqlalchemy.engine import make_url

    server = make_url(PG_SERVER)
    return json.dumps({"conn_type": "postgres", "host": server.host, "port": server.port or 5432,
                       "login": server.username, "password": PASSWORD, "schema": database})


def test_the_warehouse_password_is_in_no_output_or_log(home, tmp_path, monkeypatch, airflow_db, capfd, key):
    database = f"sc_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{database}"')
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE", _connection(database))
        cli = [str(Path(sys.executable).parent / "safer-communities")]
        printed = []
        for command in (["migrate"], ["status"], ["status", "2020-01"]):
            done = subprocess.run(cli + command, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            printed.append(done.stdout + done.stderr)
        assert "warehouse ready: postgresql+psycopg://" in printed[0] and ":***@" in printed[0]

        # a DAG run reading the same connection: its task logs and everything it prints
        from airflow.dag_processing.dagbag import DagBag

        from tests.conftest import PROJECT

        drop_police(home, "2020-01")
        bag = DagBag(dag_folder=str(PROJECT / "dags"))
        run = bag.dags["ingest_police"].test(run_conf={"period": "2020-01"})
        assert run.state == "success"
        captured = capfd.readouterr()
        printed.append(captured.out + captured.err)
        logs = [path.read_text(errors="replace") for path in Path(airflow_db).rglob("*.log")]
        with Warehouse.from_connection() as warehouse:  # the run used the connection with the password
            assert warehouse.query("SELECT status FROM audit.source_status") == [{"status": "available"}]
            assert ":***@" in warehouse.shown_url and PASSWORD in warehouse.url
        for text in [*printed, *logs]:
            assert PASSWORD not in text
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
