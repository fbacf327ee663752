"""End to end: the docker-compose deployment's set-up, run natively with the real components.

What ``docker compose up`` does, without Docker: a fresh PostgreSQL database for the Airflow
metadata and another for the warehouse, the Redis broker, the CeleryExecutor, and the real
``airflow api-server``, ``scheduler``, ``dag-processor`` and ``celery worker`` processes with the
x-airflow-common settings of docker-compose.yaml. The init steps of docker/airflow-init.sh run
first (``airflow db migrate``, the warehouse_writer pool, the warehouse schema, the police files in
the drop folder); then ``ingest_police`` is triggered through the REST API for 2019/20 Q4 and must
succeed with every task run by the Celery worker.

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
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import PG_SERVER, PROJECT, drop_police

BIN = PROJECT / ".venv" / "bin" if (PROJECT / ".venv" / "bin" / "airflow").exists() else Path(sys.executable).parent
REDIS_SERVER = os.environ.get("SAFER_COMMUNITIES_TEST_REDIS", "redis://:@127.0.0.1:6379")
DAG_ID = "ingest_police"
TASK_IDS = {"plan", "check_availability", "pull", "validate", "load", "record_status"}
MARKER = "SAFER_COMMUNITIES_DEPLOYMENT_TEST"  # in every service's environment, for teardown
# Bounded waits (seconds).
SETUP_TIMEOUT = 120  # each of `airflow db migrate` and `airflow pools set`
READY_TIMEOUT = 60  # api-server healthy, scheduler healthy, the DAG parsed
RUN_TIMEOUT = 180  # the triggered run finishes
STOP_TIMEOUT = 15  # SIGTERM, then SIGKILL


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(_free_port())
    return sorted(ports)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER.replace("+psycopg", "") + "/postgres", autocommit=True) as connection:
        connection.execute(sql)


def _metadata_query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()


def _forget_queue(broker_url: str, queue: str) -> None:
    """Delete the broker keys of this test's own queue (kombu's binding), nothing else; never a flush."""
    import redis

    with closing(redis.Redis.from_url(broker_url)) as client:
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)


def _pids_with_marker(token: str) -> list[int]:
    """Processes whose environment carries this test's marker: its services and all their children."""
    needle = f"{MARKER}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


def _signal(pids: list[int], groups: list[int], signum: int) -> None:
    for group in groups:
        try:
            os.killpg(group, signum)
        except (ProcessLookupError, PermissionError):
            pass
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


class Deployment:
    """The Airflow services of docker-compose.yaml as native processes, each in its own process group."""

    def __init__(self, env: dict[str, str], logs: Path, token: str) -> None:
        self.env, self.logs, self.token = env, logs, token
        self.services: dict[str, subprocess.Popen] = {}
        logs.mkdir(parents=True, exist_ok=True)

    def airflow(self, *args: str, timeout: float = SETUP_TIMEOUT) -> str:
        """Run one airflow CLI command to completion (the airflow-init steps); fail with its output."""
        done = subprocess.run([str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def start(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("wb") as log:
            self.services[name] = subprocess.Popen(
                [str(BIN / "airflow"), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.logs)

    def check_alive(self) -> None:
        for name, process in self.services.items():
            assert process.poll() is None, f"{name} exited with code {process.returncode}"

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def print_logs(self, lines: int = 60) -> None:
        for name in self.services:
            tail = self.log(name).splitlines()[-lines:]
            print(f"\n===== {name} (last {len(tail)} lines of {self.logs / name}.log) =====")
            print("\n".join(tail))

    def stop(self) -> None:
        """SIGTERM every service's process group and every marked process; SIGKILL what is left."""
        groups = [process.pid for process in self.services.values()]
        _signal(_pids_with_marker(self.token), groups, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            for process in self.services.values():
                process.poll()
            if all(p.returncode is not None for p in self.services.values()) and not _pids_with_marker(self.token):
                break
            time.sleep(0.2)
        _signal(_pids_with_marker(self.token), groups, signal.SIGKILL)
        for process in self.services.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        left = _pids_with_marker(self.token)
        assert not left, f"processes left behind: {left}"


def _wait(what: str, deployment: Deployment, timeout: float, probe, interval: float = 0.5):
    """Poll ``probe`` until it returns something truthy; fail early if a service dies."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        deployment.check_alive()
        try:
            result = probe()
            if result:
                return result
        except AssertionError:  # the probe found a failure: no point in waiting
            raise
        except Exception as error:  # noqa: BLE001 - connection refused while starting up, etc.
            last_error = error
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_error!r})")
        time.sleep(interval)


@pytest.fixture
def metadata_db() -> Iterator[str]:
    """A fresh PostgreSQL database for the Airflow metadata, dropped WITH (FORCE) afterwards."""
    name = f"sc_test_airflow_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_compose_deployment_runs_ingest_police_on_celery_with_postgres_and_redis(
        home, tmp_path, make_warehouse, metadata_db):
    import httpx
    from sqlalchemy.engine import make_url

    server = make_url(PG_SERVER)
    metadata = server.set(drivername="postgresql+psycopg", database=metadata_db).render_as_string(hide_password=False)
    metadata_async = server.set(drivername="postgresql+psycopg_async", database=metadata_db).render_as_string(
        hide_password=False)
    warehouse = make_warehouse("postgres")  # a fresh database, migrated (python -m safer_communities migrate)
    warehouse_conn = make_url(warehouse.url).set(drivername="postgres").render_as_string(hide_password=False)
    for month in ("2020-01", "2020-02", "2020-03"):
        drop_police(home, month)

    api_port, log_port, health_port = _free_ports(3)
    redis_db = random.randint(1, 15)
    token = uuid.uuid4().hex[:12]
    queue = f"sc-test-{token}"  # Celery queue of this test alone, so no other worker on the broker takes its tasks
    airflow_home = tmp_path / "airflow"
    airflow_home.mkdir()
    passwords = airflow_home / "simple_auth_manager_passwords.json"
    passwords.write_text(json.dumps({"admin": "admin"}))

    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update({
        # x-airflow-common in docker-compose.yaml
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_async,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
        "AIRFLOW__CELERY__BROKER_URL": f"{REDIS_SERVER}/{redis_db}",
        "AIRFLOW__CORE__FERNET_KEY": "",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "false",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "safer_communities_local_jwt_secret",
        "AIRFLOW__API__SECRET_KEY": "safer_communities_local_secret_key",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
        "PYTHONPATH": str(PROJECT / "include"),
        "SAFER_COMMUNITIES_HOME": os.environ["SAFER_COMMUNITIES_HOME"],
        "SAFER_COMMUNITIES_DROP": os.environ["SAFER_COMMUNITIES_DROP"],
        "AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE": warehouse_conn,
        "GX_ANALYTICS_ENABLED": "False",
        # What the compose volumes and container ports give, natively
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(health_port),
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        MARKER: token,
    })

    deployment = Deployment(env, tmp_path / "logs", token)
    started = time.monotonic()
    phases: list[str] = []

    def phase(name: str) -> None:
        phases.append(f"{name} at {time.monotonic() - started:.1f}s")

    try:
        # docker/airflow-init.sh (the warehouse and the drop folder are done above)
        deployment.airflow("db", "migrate")
        deployment.airflow("pools", "set", "warehouse_writer", "8", "Writers to the warehouse (PostgreSQL)")

        phase("metadata migrated, pool set")
        deployment.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(api_port))
        deployment.start("scheduler", "scheduler")
        deployment.start("dag-processor", "dag-processor")
        deployment.start("worker", "celery", "worker", "--celery-hostname", f"sc-test-{token}@%h")

        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as api:
            health = _wait("the api-server's health endpoint", deployment, READY_TIMEOUT,
                           lambda: api.get("/api/v2/monitor/health").raise_for_status().json())
            assert health["metadatabase"]["status"] == "healthy", health
            _wait("the scheduler's health check server", deployment, READY_TIMEOUT,
                  lambda: httpx.get(f"http://127.0.0.1:{health_port}/health", timeout=5).status_code == 200)

            phase("api-server and scheduler healthy")
            login = api.post("/auth/token", json={"username": "admin", "password": "admin"})
            assert login.status_code in (200, 201), login.text
            api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

            def parsed():
                errors = api.get("/api/v2/importErrors").raise_for_status().json()
                assert errors["total_entries"] == 0, f"import errors: {errors['import_errors']}"
                response = api.get(f"/api/v2/dags/{DAG_ID}")
                return response.json() if response.status_code == 200 else None

            dag = _wait(f"the DAG {DAG_ID} parsed by the dag-processor", deployment, READY_TIMEOUT, parsed)
            phase(f"{DAG_ID} parsed")
            if dag["is_paused"]:
                api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()

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

            run = _wait(f"the run {run_id}", deployment, RUN_TIMEOUT, finished)
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
            rows = _metadata_query(
                metadata,
                "SELECT ti.task_id, ti.state, ti.queue, ti.external_executor_id, m.status "
                "FROM task_instance ti LEFT JOIN celery_taskmeta m ON m.task_id = ti.external_executor_id "
                "WHERE ti.dag_id = %s AND ti.run_id = %s",
                (DAG_ID, run_id),
            )
            return rows if all(row[4] in ("SUCCESS", "FAILURE") for row in rows) else None

        tis = _wait("the Celery results of the run's tasks", deployment, 30, celery_results, interval=0.2)
        assert {row[0] for row in tis} == TASK_IDS
        worker_log = deployment.log("worker").splitlines()
        for task_id, state, ti_queue, celery_id, celery_status in tis:
            assert (state, ti_queue, celery_status) == ("success", queue, "SUCCESS"), task_id
            executed = [line for line in worker_log if f"[{celery_id}] Executing workload in Celery" in line]
            assert len(executed) == 1 and f"task_id='{task_id}'" in executed[0], (task_id, celery_id)

        phase("checked")
    except BaseException:
        deployment.print_logs()
        raise
    finally:
        try:
            deployment.stop()
        finally:
            _forget_queue(env["AIRFLOW__CELERY__BROKER_URL"], queue)
            phase("stopped")
            print("deployment timeline:", ", ".join(phases))
