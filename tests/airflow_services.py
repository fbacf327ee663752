"""Real Airflow services for end-to-end tests: native ``airflow`` processes on a fresh PostgreSQL metadata database.

A test builds the services' environment with :func:`airflow_env` (the x-airflow-common settings of
docker-compose.yaml that do not depend on the executor), adds its executor's settings, and starts
the processes with a :class:`Deployment`, each in its own process group. :func:`open_api` waits for
the api-server and the scheduler and logs in; :func:`wait_parsed` waits for the dag-processor.

Isolation from anything else on the machine: free ports chosen at run time, a metadata database of
the test's own (the :func:`metadata_db` fixture) and a marker in every service's environment, so
teardown finds and stops every process the test started, including the task processes that leave
their parent's process group.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import PG_SERVER, PROJECT

if TYPE_CHECKING:
    import httpx

BIN = PROJECT / ".venv" / "bin" if (PROJECT / ".venv" / "bin" / "airflow").exists() else Path(sys.executable).parent
MARKER = "SAFER_COMMUNITIES_DEPLOYMENT_TEST"  # in every service's environment, for teardown
# Bounded waits (seconds).
SETUP_TIMEOUT = 120  # each of `airflow db migrate` and `airflow pools set`
READY_TIMEOUT = 60  # api-server healthy, scheduler healthy, the DAG parsed
STOP_TIMEOUT = 15  # SIGTERM, then SIGKILL


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(_free_port())
    return sorted(ports)


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER.replace("+psycopg", "") + "/postgres", autocommit=True) as connection:
        connection.execute(sql)


def metadata_url(database: str, driver: str = "postgresql+psycopg") -> str:
    """The SQLAlchemy URL of a database on the test PostgreSQL server, with the given driver."""
    from sqlalchemy.engine import make_url

    return make_url(PG_SERVER).set(drivername=driver, database=database).render_as_string(hide_password=False)


def metadata_query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()


def pids_with_marker(token: str) -> list[int]:
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


def airflow_env(airflow_home: Path, metadata_db: str, *, api_port: int, log_port: int, health_port: int,
                token: str) -> dict[str, str]:
    """The services' environment without executor settings: this process's, minus its AIRFLOW* variables,
    plus the x-airflow-common settings of docker-compose.yaml and what its volumes and ports give natively.

    Creates ``airflow_home`` with the simple auth manager's password file (admin/admin). The working area
    and drop folder are this process's ``SAFER_COMMUNITIES_HOME`` and ``SAFER_COMMUNITIES_DROP``.
    """
    from cryptography.fernet import Fernet

    airflow_home.mkdir(parents=True, exist_ok=True)
    passwords = airflow_home / "simple_auth_manager_passwords.json"
    passwords.write_text(json.dumps({"admin": "admin"}))
    fernet_key = airflow_home / "fernet.key"  # what airflow-init writes to the airflow-secrets volume
    fernet_key.write_text(Fernet.generate_key().decode())
    fernet_key.chmod(0o400)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update({
        # x-airflow-common in docker-compose.yaml
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url(metadata_db),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_url(metadata_db, "postgresql+psycopg_async"),
        "AIRFLOW__CORE__FERNET_KEY_CMD": f"cat {fernet_key}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "false",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "safer_communities_local_jwt_secret",
        "AIRFLOW__API__SECRET_KEY": "safer_communities_local_secret_key",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
        "PYTHONPATH": str(PROJECT / "include"),
        "SAFER_COMMUNITIES_HOME": os.environ["SAFER_COMMUNITIES_HOME"],
        "SAFER_COMMUNITIES_DROP": os.environ["SAFER_COMMUNITIES_DROP"],
        "GX_ANALYTICS_ENABLED": "False",
        # What the compose volumes and container ports give, natively
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",  # as scripts/airflow-ui.sh sets it
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(health_port),
        MARKER: token,
    })
    return env


class Deployment:
    """The Airflow services of docker-compose.yaml as native processes, each in its own process group."""

    def __init__(self, env: dict[str, str], logs: Path, token: str) -> None:
        self.env, self.logs, self.token = env, logs, token
        self.services: dict[str, subprocess.Popen] = {}
        self.phases: list[str] = []  # the timeline the test prints
        self._began = time.monotonic()
        logs.mkdir(parents=True, exist_ok=True)

    def phase(self, name: str) -> None:
        self.phases.append(f"{name} at {time.monotonic() - self._began:.1f}s")

    def start_airflow(self, api_port: int, writer_slots: int, pool_description: str) -> None:
        """docker/airflow-init.sh's Airflow steps (migrate, the writer pool), then the api-server, scheduler and
        dag-processor services."""
        self.airflow("db", "migrate")
        self.airflow("pools", "set", "warehouse_writer", str(writer_slots), pool_description)
        self.phase("metadata migrated, pool set")
        self.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(api_port))
        self.start("scheduler", "scheduler")
        self.start("dag-processor", "dag-processor")

    def airflow(self, *args: str, timeout: float = SETUP_TIMEOUT) -> str:
        """Run one airflow CLI command to completion (the airflow-init steps); fail with its output."""
        done = subprocess.run([str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        """Start a service; ``env`` adds to (or overrides) the services' environment for this one."""
        with (self.logs / f"{name}.log").open("wb") as log:
            self.services[name] = subprocess.Popen(
                [str(BIN / "airflow"), *args], env={**self.env, **(env or {})}, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.logs)

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

    def print_task_logs(self, lines: int = 40) -> None:
        """Task logs under ``$AIRFLOW_HOME/logs``: the tail of each one with an error in it, the names of the rest."""
        root = Path(self.env["AIRFLOW_HOME"]) / "logs"
        quiet = []
        for path in sorted(root.rglob("*.log")) if root.is_dir() else ():
            if "dag_id=" not in str(path):
                continue
            text = path.read_text(errors="replace")
            if '"level":"error"' not in text and "Traceback" not in text:
                quiet.append(str(path.relative_to(root)))
                continue
            tail = text.splitlines()[-lines:]
            print(f"\n===== task log {path.relative_to(root)} (last {len(tail)} lines) =====")
            print("\n".join(tail))
        print(f"\n===== task logs without errors under {root}: =====")
        print("\n".join(quiet))

    def stop(self) -> None:
        """SIGTERM every service's process group and every marked process; SIGKILL what is left."""
        groups = [process.pid for process in self.services.values()]
        _signal(pids_with_marker(self.token), groups, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            for process in self.services.values():
                process.poll()
            if all(p.returncode is not None for p in self.services.values()) and not pids_with_marker(self.token):
                break
            time.sleep(0.2)
        _signal(pids_with_marker(self.token), groups, signal.SIGKILL)
        for process in self.services.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        left = pids_with_marker(self.token)
        assert not left, f"processes left behind: {left}"


def wait(what: str, deployment: Deployment, timeout: float, probe: Callable[[], Any], interval: float = 0.5):
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


@contextmanager
def open_api(deployment: Deployment, api_port: int, health_port: int) -> Iterator[httpx.Client]:
    """Wait for the api-server (metadata database healthy) and the scheduler's health check; log in as admin.

    A context manager: gives a REST client carrying the bearer token, closed on leaving.
    """
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as api:
        health = wait("the api-server's health endpoint", deployment, READY_TIMEOUT,
                      lambda: api.get("/api/v2/monitor/health").raise_for_status().json())
        assert health["metadatabase"]["status"] == "healthy", health
        wait("the scheduler's health check server", deployment, READY_TIMEOUT,
             lambda: httpx.get(f"http://127.0.0.1:{health_port}/health", timeout=5).status_code == 200)
        login = api.post("/auth/token", json={"username": "admin", "password": "admin"})
        assert login.status_code in (200, 201), login.text
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield api


def wait_parsed(api: httpx.Client, deployment: Deployment, dag_ids: list[str],
                timeout: float = READY_TIMEOUT) -> dict[str, dict]:
    """Wait until the dag-processor has parsed every DAG in ``dag_ids`` (no import error anywhere), then
    unpause any that is paused. Returns each DAG's JSON as first seen."""
    found: dict[str, dict] = {}

    def parsed():
        errors = api.get("/api/v2/importErrors").raise_for_status().json()
        assert errors["total_entries"] == 0, f"import errors: {errors['import_errors']}"
        for dag_id in dag_ids:
            if dag_id not in found:
                response = api.get(f"/api/v2/dags/{dag_id}")
                if response.status_code == 200:
                    found[dag_id] = response.json()
        return len(found) == len(dag_ids)

    wait(f"the DAGs {', '.join(dag_ids)} parsed by the dag-processor", deployment, timeout, parsed)
    for dag_id, dag in found.items():
        if dag["is_paused"]:
            api.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
    return found


@pytest.fixture
def metadata_db() -> Iterator[str]:
    """A fresh PostgreSQL database for the Airflow metadata, dropped WITH (FORCE) afterwards."""
    name = f"sc_test_airflow_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
