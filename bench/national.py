"""National scale through the real scheduler: N forces x M rows, one ingestion DAG per force.

``make bench ARGS="--forces N --rows M"`` (bench/run.py passes ``--forces`` here). It measures and prints;
it never asserts a time.

1. Generate one seeded month (2020-01) per force, M rows each (bench/generate.py, a seed per force), into
   bench/out/national/drop/police/2020-01-force-NN-street.csv.
2. Declare the forces: a registry of the project's sources and N police sources (``police_force_NN``, the
   police source's own declaration with the force's file; ``SAFER_COMMUNITIES_REGISTRY``) and a DAG folder with one
   ``ingestion_dag`` per force, as a deployment ingesting every force would have.
3. Start Airflow for real, as tests/test_scheduler.py does: a fresh PostgreSQL metadata database, the
   LocalExecutor with ``--parallelism`` task slots (default 2, the machine's CPUs), the api-server,
   scheduler and dag-processor, the ``warehouse_writer`` pool (1 slot: DuckDB) and a fresh DuckDB warehouse.
4. Trigger every force's run for 2020-01 at once through the REST API; wait for all of them.
5. Print the wall time from the first trigger to the last run's end, the throughput, each step's task time
   summed over the forces, and what 43 forces would take at the same rate; write
   bench/out/national/results.json.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
OUT = BENCH / "out" / "national"
MONTH = "2020-01"
RUN_AFTER = "2020-03-15T06:00:00Z"  # within the police deadline: the month is due and delivered
NATIONAL_FORCES = 43  # the territorial police forces of England and Wales
STEPS = ["plan", "check_availability", "pull", "validate", "load", "record_status"]
RUN_TIMEOUT = 3600


def _seconds(start: str | None, end: str | None) -> float:
    if not start or not end:
        return 0.0
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _declare(forces: int) -> tuple[Path, Path, list[str]]:
    """The forces' registry (the police source's declaration, once per force) and their DAG folder."""
    police = yaml.safe_load((PROJECT / "include" / "config" / "sources" / "police.yaml").read_text())
    template = police["sources"]["police_street_crime"]
    template.pop("outages", None)
    sources = {}
    for number in range(1, forces + 1):
        source = json.loads(json.dumps(template))
        source["description"] = f"Force {number:02d}: generated street-level crime (benchmark)."
        source["title"] = f"Police recorded crime, force {number:02d} (benchmark)"
        source["parameters"] = {"force": f"force-{number:02d}"}
        sources[f"police_force_{number:02d}"] = source
    registry = OUT / "registry"  # the project's sources (the indicator catalogue names them) and the forces
    shutil.copytree(PROJECT / "include" / "config" / "sources", registry)
    (registry / "national.yaml").write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))
    dags = OUT / "dags"
    dags.mkdir()
    for name in sources:
        (dags / f"ingest_{name}.py").write_text(
            # "airflow" and "dag" in the text: Airflow's safe mode parses only files that mention both
            '"""Benchmark: one force\'s street-level crime, an Airflow ingestion DAG."""\n\n'
            "from safer_communities.orchestration.ingestion_dag import ingestion_dag\n\n"
            f'ingestion_dag(dag_id="ingest_{name}", sources=["{name}"], doc_md=__doc__, schedule=None)\n')
    return registry, dags, [f"ingest_{name}" for name in sources]


def run_national(forces: int, rows: int, seed: int, parallelism: int) -> int:
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(PROJECT))
    from generate import generate

    shutil.rmtree(OUT, ignore_errors=True)
    drop, home = OUT / "drop", OUT / "home"
    began = time.perf_counter()
    expected = 0
    for number in range(1, forces + 1):  # a file per force, from a seed of its own
        scratch = OUT / "generating"
        manifest = generate(rows, seed + number, scratch)
        target = drop / "police" / f"{MONTH}-force-{number:02d}-street.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(manifest["path"], target)
        shutil.rmtree(scratch)
        expected += manifest["expected_loaded"]
    print(f"generated {forces} forces x {rows:,} rows in {time.perf_counter() - began:.0f} s", flush=True)
    registry, dags, dag_ids = _declare(forces)

    os.environ.update(SAFER_COMMUNITIES_HOME=str(home), SAFER_COMMUNITIES_DROP=str(drop),
                      SAFER_COMMUNITIES_REGISTRY=str(registry))
    from safer_communities.warehouse import Warehouse
    from tests.airflow_services import (
        Deployment,
        airflow_env,
        free_ports,
        open_api,
        pg_admin,
        wait,
        wait_parsed,
    )

    warehouse_path = home / "warehouse.duckdb"
    home.mkdir(parents=True, exist_ok=True)
    with Warehouse(f"duckdb:///{warehouse_path}") as warehouse:
        warehouse.migrate()

    metadata = f"sc_bench_airflow_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{metadata}"')
    api_port, log_port, health_port = free_ports(3)
    token = uuid.uuid4().hex[:12]
    env = airflow_env(OUT / "airflow", metadata, api_port=api_port, log_port=log_port, health_port=health_port,
                      token=token)
    env.update({
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "SAFER_COMMUNITIES_REGISTRY": str(registry),
        "AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE":
            json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": f"duckdb:///{warehouse_path}"}}),
    })
    deployment = Deployment(env, OUT / "logs", token)
    try:
        deployment.start_airflow(api_port, 1, "Writers to the warehouse (DuckDB: one)")
        with open_api(deployment, api_port, health_port) as api:
            wait_parsed(api, deployment, dag_ids, timeout=120)
            print(f"Airflow up (LocalExecutor, parallelism {parallelism}); {len(dag_ids)} DAGs parsed", flush=True)
            started = time.perf_counter()
            runs = {}
            for dag_id in dag_ids:
                response = api.post(f"/api/v2/dags/{dag_id}/dagRuns", json={
                    "dag_run_id": f"bench__{MONTH}", "logical_date": None, "run_after": RUN_AFTER,
                    "conf": {"period": MONTH}})
                response.raise_for_status()
                runs[dag_id] = response.json()["dag_run_id"]

            def finished():
                states = {dag_id: api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").raise_for_status().json()
                          for dag_id, run_id in runs.items()}
                for dag_id, run_id in runs.items():
                    tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances").raise_for_status()
                    broken = [ti["task_id"] for ti in tis.json()["task_instances"]
                              if ti["state"] in ("up_for_retry", "failed", "upstream_failed")]
                    assert not broken, f"{dag_id}: {broken} did not succeed (logs in {OUT / 'airflow' / 'logs'})"
                return states if all(s["state"] in ("success", "failed") for s in states.values()) else None

            states = wait("every force's run", deployment, RUN_TIMEOUT, finished, interval=1.0)
            wall = time.perf_counter() - started
            task_seconds = dict.fromkeys(STEPS, 0.0)
            for dag_id, run_id in runs.items():
                tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances").raise_for_status().json()
                for ti in tis["task_instances"]:
                    task_seconds[ti["task_id"]] += _seconds(ti["start_date"], ti["end_date"])
    finally:
        deployment.stop()
        pg_admin(f'DROP DATABASE IF EXISTS "{metadata}" WITH (FORCE)')

    with Warehouse(f"duckdb:///{warehouse_path}", read_only=True) as warehouse:
        loaded = warehouse.query("SELECT count(*) AS n FROM staging.police_street")[0]["n"]
        statuses = warehouse.query("SELECT status, count(*) AS n FROM audit.source_status GROUP BY status")
    total_rows = forces * rows
    busy = sum(task_seconds.values())
    results = {
        "forces": forces, "rows_per_force": rows, "parallelism": parallelism, "wall_s": wall,
        "rows_per_s": total_rows / wall, "task_seconds": task_seconds, "rows_loaded": loaded,
        "expected_loaded": expected, "statuses": {s["status"]: s["n"] for s in statuses},
        "runs": {dag_id: state["state"] for dag_id, state in states.items()},
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{forces} forces x {rows:,} rows = {total_rows:,} rows through the scheduler (LocalExecutor, "
          f"parallelism {parallelism}, one writer slot): wall {wall:.1f} s, {total_rows / wall:,.0f} rows/s")
    print("task time summed over the forces (s): " + ", ".join(f"{step} {task_seconds[step]:.1f}" for step in STEPS)
          + f"; in all {busy:.1f} s on {parallelism} slots ({busy / (wall * parallelism):.0%} busy)")
    per_force = wall / forces
    print(f"at this rate {NATIONAL_FORCES} forces take about {per_force * NATIONAL_FORCES / 60:.1f} minutes "
          f"({per_force:.1f} s a force-month of {rows:,} rows); the loads, one at a time, took "
          f"{task_seconds['load']:.1f} s of the {wall:.1f} s")
    print(f"rows loaded {loaded:,} (expected {expected:,}); statuses {results['statuses']}; "
          f"figures in {(OUT / 'results.json').relative_to(PROJECT)}")
    return 0 if loaded == expected and all(s == "success" for s in results["runs"].values()) else 1
