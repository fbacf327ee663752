"""End to end: the docker-compose deployment's set-up, run natively with the real components.

What ``docker compose up`` does, without Docker: docker/postgres-init/ makes a login and a database
for the Airflow metadata and another for the warehouse (neither login a superuser); the Redis broker,
the CeleryExecutor, and the real ``airflow api-server``, ``scheduler``, ``dag-processor`` and
``celery worker`` processes with the x-airflow-common settings of docker-compose.yaml. The init
steps of docker/airflow-init.sh run first (a Fernet key, ``airflow db migrate``, the warehouse_writer
pool, the warehouse schema and roles as the pipeline's own login, the police files in the drop
folder); then ``ingest_police`` is triggered through the REST API for 2019/20 Q4 and must succeed
with every task run by a Celery worker.

Two workers stand for two hosts: each has a working area of its own (``SAFER_COMMUNITIES_HOME``) and
its own Celery queue, and a cluster policy sends the run's tasks to them in turn (pull on host A,
validate on host B, load on host A, record_status on host B), so every hand-off crosses hosts. The
landing, quarantine and validated files live on a real S3-API server on loopback (moto's server
mode), as the compose file's MinIO: what one host lands or validates, the other reads.

Needs PostgreSQL at 127.0.0.1:5432 (``SAFER_COMMUNITIES_TEST_PG``) and Redis at 127.0.0.1:6379
(``SAFER_COMMUNITIES_TEST_REDIS``). Isolation from anything else on the machine: free ports chosen
at run time, a random Redis database (1-15, never flushed) and a Celery queue of the test's own,
and a marker in every service's environment so teardown finds and stops every process the test
started, including the task processes that leave their parent's process group.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import uuid
from contextlib import closing

import pytest

from tests import airflow_services
from tests.airflow_services import (
    Deployment,
    airflow_env,
    free_ports,
    metadata_query,
    open_api,
    wait,
    wait_parsed,
)
from tests.conftest import PG_SERVER, PROJECT, drop_police
from tests.object_store import STORED, s3_keys, s3_server, storage_env

REDIS_SERVER = os.environ.get("SAFER_COMMUNITIES_TEST_REDIS", "redis://:@127.0.0.1:6379")
DAG_ID = "ingest_police"
TASK_IDS = {"plan", "check_availability", "pull", "validate", "load", "record_status"}
HOST_OF = {"plan": "a", "check_availability": "b", "pull": "a", "validate": "b", "load": "a", "record_status": "b"}
# $AIRFLOW_HOME/config/airflow_local_settings.py: the cluster policy that sends each task to its host's queue
ROUTING_POLICY = """
import json, os

ROUTES = json.loads(os.environ.get("SC_TEST_TASK_QUEUES", "{}"))


def task_policy(task):
    task.queue = ROUTES.get(task.task_id, task.queue)
"""
RUN_TIMEOUT = 180  # the triggered run finishes (seconds)


@pytest.fixture
def compose_databases() -> dict[str, str]:
    """docker/postgres-init/10-users-and-databases.sh run on the test server, with names of this test's own:
    the Airflow metadata's and the pipeline's logins and databases (the SQLAlchemy URLs, by role)."""
    from sqlalchemy.engine import make_url

    token = uuid.uuid4().hex[:10]
    names = {"AIRFLOW_DB_USER": f"sc_test_airflow_{token}", "AIRFLOW_DB_NAME": f"sc_test_airflow_{token}",
             "AIRFLOW_DB_PASSWORD": uuid.uuid4().hex, "WAREHOUSE_DB_USER": f"sc_test_pipeline_{token}",
             "WAREHOUSE_DB_NAME": f"sc_test_warehouse_{token}", "WAREHOUSE_DB_PASSWORD": uuid.uuid4().hex}
    server = make_url(PG_SERVER)
    done = subprocess.run(
        ["bash", str(PROJECT / "docker" / "postgres-init" / "10-users-and-databases.sh")],
        env={**os.environ, **names, "PGHOST": server.host, "PGPORT": str(server.port or 5432),
             "POSTGRES_USER": server.username}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    def url(kind: str) -> str:
        return server.set(username=names[f"{kind}_DB_USER"], password=names[f"{kind}_DB_PASSWORD"],
                          database=names[f"{kind}_DB_NAME"]).render_as_string(hide_password=False)

    try:
        yield {"metadata": url("AIRFLOW"), "warehouse": url("WAREHOUSE")}
    finally:
        for kind in ("AIRFLOW", "WAREHOUSE"):
            airflow_services.pg_admin(f'DROP DATABASE IF EXISTS "{names[f"{kind}_DB_NAME"]}" WITH (FORCE)')
            airflow_services.pg_admin(f'DROP ROLE IF EXISTS "{names[f"{kind}_DB_USER"]}"')


def _forget_queue(broker_url: str, queue: str) -> None:
    """Delete the broker keys of this test's own queues (kombu's bindings), nothing else; never a flush."""
    import redis

    with closing(redis.Redis.from_url(broker_url)) as client:
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)


def test_compose_deployment_runs_ingest_police_on_celery_with_postgres_and_redis(home, tmp_path, compose_databases):
    from sqlalchemy.engine import make_url

    from safer_communities.warehouse import Warehouse, roles

    metadata = compose_databases["metadata"]
    warehouse_conn = make_url(compose_databases["warehouse"]).set(drivername="postgres").render_as_string(
        hide_password=False)
    # airflow-init: `python -m safer_communities migrate`, as the pipeline's login (no superuser: it makes the
    # warehouse's roles with CREATEROLE, and loads through the loader role)
    migrated = subprocess.run([str(airflow_services.BIN / "python"), "-m", "safer_communities", "migrate"],
                              env={**os.environ, "AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE": warehouse_conn},
                              capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    warehouse = Warehouse(compose_databases["warehouse"])
    assert warehouse.query("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user") == [
        {"rolsuper": False, "rolcreaterole": True}]
    assert len(warehouse.query(roles.MEMBER_SQL, {"role": roles.load_roles().loader})) == 1
    assert metadata_query(metadata, "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                                    "WHERE rolname = current_user") == [(False, False, False)]
    for month in ("2020-01", "2020-02", "2020-03"):
        drop_police(home, month)

    api_port, log_port, health_port, s3_port, log_port_b = free_ports(5)
    redis_db = random.randint(1, 15)
    token = uuid.uuid4().hex[:12]
    queue = f"sc-test-{token}"  # Celery queues of this test alone, so no other worker on the broker takes its tasks
    queues = {host: f"{queue}-{host}" for host in ("a", "b")}

    env = airflow_env(tmp_path / "airflow", make_url(metadata).database, api_port=api_port, log_port=log_port,
                      health_port=health_port, token=token)
    (tmp_path / "airflow" / "config").mkdir()
    (tmp_path / "airflow" / "config" / "airflow_local_settings.py").write_text(ROUTING_POLICY)
    s3 = s3_server(s3_port)
    env.update({
        # the compose file's object store: landing, quarantine and validated files on S3
        **storage_env(s3_port),
        "SC_TEST_TASK_QUEUES": json.dumps({task: queues[host] for task, host in HOST_OF.items()}),
        # Airflow's metadata through its own login
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata.replace("+psycopg:", "+psycopg_async:"),
        # x-airflow-common in docker-compose.yaml: the CeleryExecutor and the PostgreSQL warehouse
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
        "AIRFLOW__CELERY__BROKER_URL": f"{REDIS_SERVER}/{redis_db}",
        "AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE": warehouse_conn,
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
    })

    deployment = Deployment(env, tmp_path / "logs", token)
    phase = deployment.phase

    try:
        # docker/airflow-init.sh (the warehouse and the drop folder are done above), then the services
        deployment.start_airflow(api_port, 8, "Writers to the warehouse (PostgreSQL)")
        # The Fernet key is set: a connection's password is stored encrypted in the metadata.
        secret = uuid.uuid4().hex
        deployment.airflow("connections", "add", "sc_test_fernet", "--conn-type", "generic", "--conn-password",
                           secret)
        (stored,) = metadata_query(metadata, "SELECT is_encrypted, password FROM connection WHERE conn_id = %s",
                                   ("sc_test_fernet",))
        assert stored[0] is True and secret not in stored[1]
        for host, port in (("a", log_port), ("b", log_port_b)):  # two hosts: a working area and a queue each
            deployment.start(f"worker-{host}", "celery", "worker", "--queues", queues[host],
                             "--celery-hostname", f"sc-test-{token}-{host}@%h",
                             env={"SAFER_COMMUNITIES_HOME": str(tmp_path / f"host-{host}"),
                                  "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(port)})

        with open_api(deployment, api_port, health_port) as api:
            phase("api-server and scheduler healthy")
            wait_parsed(api, deployment, [DAG_ID])
            phase(f"{DAG_ID} parsed")

            triggered = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns",
                                 json={"logical_date": None, "conf": {"period": "2019/20 Q4"}})
            assert triggered.status_code in (200, 201), triggered.text
            run_id = triggered.json()["dag_run_id"]

            def finished():
                run = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").raise_for_status().json()
                if run["state"] in ("success", "failed"):
                    return run
                # A failed try would wait out retry_delay (5 minutes): stop at once instead.
                tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").raise_for_status().json()
                broken = {ti["task_id"]: ti["state"] for ti in tis["task_instances"]
                          if ti["state"] in ("up_for_retry", "failed", "upstream_failed")}
                assert not broken, f"task instances did not succeed: {broken}"
                return None

            run = wait(f"the run {run_id}", deployment, RUN_TIMEOUT, finished)
        phase(f"run {run['state']}")
        assert run["state"] == "success", run

        statuses = warehouse.query("SELECT period, status, run_id FROM audit.source_status ORDER BY period")
        assert [(s["period"], s["status"], s["run_id"]) for s in statuses] == [
            ("2020-01", "available", run_id),
            ("2020-02", "available", run_id),
            ("2020-03", "incomplete", run_id),
        ]

        # Every task instance went through Celery: sent to this test's queue under the id the scheduler
        # gave it, executed by this worker, its result stored in the (psycopg) result backend.
        # The worker stores a task's Celery result just after the task itself reported success to the
        # api-server, so the last task's result can still be STARTED when the run is already a success.
        def celery_results():
            rows = metadata_query(
                metadata,
                "SELECT ti.task_id, ti.state, ti.queue, ti.external_executor_id, m.status "
                "FROM task_instance ti LEFT JOIN celery_taskmeta m ON m.task_id = ti.external_executor_id "
                "WHERE ti.dag_id = %s AND ti.run_id = %s",
                (DAG_ID, run_id),
            )
            return rows if all(row[4] in ("SUCCESS", "FAILURE") for row in rows) else None

        tis = wait("the Celery results of the run's tasks", deployment, 30, celery_results, interval=0.2)
        assert {row[0] for row in tis} == TASK_IDS
        worker_logs = {host: deployment.log(f"worker-{host}").splitlines() for host in queues}
        for task_id, state, ti_queue, celery_id, celery_status in tis:
            host = HOST_OF[task_id]
            assert (state, ti_queue, celery_status) == ("success", queues[host], "SUCCESS"), task_id
            executed = [line for line in worker_logs[host] if f"[{celery_id}] Executing workload in Celery" in line]
            assert len(executed) == 1 and f"task_id='{task_id}'" in executed[0], (task_id, celery_id)

        # The hand-offs went through the object store: host A landed the files there and kept none, host B
        # validated from there (it has no landing area) and left the validated rows there for host A's load.
        stored = s3_keys(s3_port)
        for month in ("2020-01", "2020-02", "2020-03"):
            assert any(key.startswith(f"pipeline/landing/police_street_crime/{month}/") for key in stored), month
            assert {suffix for key in stored if key.startswith(f"pipeline/validated/police_street_crime/{month}/")
                    for suffix in (".parquet", ".results.csv", ".quarantine.csv") if key.endswith(suffix)} == {
                ".parquet", ".results.csv", ".quarantine.csv"}, month
        assert not [p for host in queues for folder in ("landing", "validated")
                    for p in (tmp_path / f"host-{host}" / folder).rglob("*") if p.is_file()]
        landed = warehouse.query("SELECT landing_path FROM audit.pulled_file ORDER BY landing_path")
        assert len(landed) == 3 and all(row["landing_path"].startswith(
            f"{STORED}/landing/") for row in landed)

        phase("checked")
    except BaseException:
        deployment.print_logs()
        raise
    finally:
        try:
            deployment.stop()
        finally:
            s3.stop()
            _forget_queue(env["AIRFLOW__CELERY__BROKER_URL"], queue)
            phase("stopped")
            print("deployment timeline:", ", ".join(deployment.phases))
