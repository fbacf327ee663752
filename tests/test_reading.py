"""Analysts read while the pipeline writes: a published copy of the embedded warehouse, and reading commands that
never take DuckDB's single writer and say clearly where to read while a run holds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from safer_communities import dashboard
from safer_communities.periods import Quarter
from safer_communities.warehouse import Warehouse, published_path

HOLD = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])  # read-write: the process a pipeline task would be
connection.execute("SELECT 1")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold(path: Path, seconds: float) -> subprocess.Popen:
    """Another process writing the DuckDB file (as an Airflow task does), for ``seconds``."""
    writer = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "holding"
    return writer


def cli(path: Path, *arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE": json.dumps(
        {"conn_type": "generic", "extra": {"sqlalchemy_url": f"duckdb:///{path}"}})}
    return subprocess.run([str(Path(sys.executable).parent / "safer-communities"), *arguments],
                          capture_output=True, text=True, env=env, timeout=120)


def test_the_published_copy_is_readable_while_the_pipeline_holds_the_warehouse(home, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with Warehouse(f"duckdb:///{path}") as warehouse:
        warehouse.migrate()
        result = dashboard.compute(warehouse, Quarter.parse("2015/16 Q1"), run_id="first",
                                   export_dir=tmp_path / "exports")
        rows = warehouse.query("SELECT indicator_id, area_code, status FROM mart.dashboard_published "
                               "ORDER BY indicator_id, area_code")
    assert result["published_copy"] == str(published_path())
    writer = hold(path, 60)
    try:
        # the pipeline's file is held; the copy is there for any reader, as often as they like
        with duckdb.connect(str(published_path()), read_only=True) as reader:
            copied = reader.execute("SELECT indicator_id, area_code, status FROM mart.dashboard_published "
                                    "ORDER BY indicator_id, area_code").fetchall()
        assert [tuple(r.values()) for r in rows] == copied and len(copied) == 14 * 8
        # a reading command waits briefly, then says in one line where to read instead
        started = time.monotonic()
        done = cli(path, "status")
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.strip() == (
            "safer-communities status: the warehouse warehouse.duckdb is being written by the pipeline (DuckDB "
            f"admits one process at a time; waited 10 s): read the published copy {published_path()} (refreshed "
            "after every dashboard publication), or try again when the run is done")
        assert 10 <= time.monotonic() - started < 60
    finally:
        writer.kill()
        writer.wait()


def test_a_reading_command_waits_for_a_short_write_and_never_takes_the_writer(home, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with Warehouse(f"duckdb:///{path}") as warehouse:
        warehouse.migrate()
    writer = hold(path, 3)  # a write that ends within the wait
    done = cli(path, "status", "2020-01")
    writer.wait()
    assert done.returncode == 0, done.stderr
    assert "police_street_crime" in done.stdout and "not ingested" in done.stdout
    # and it left the file as it found it: nothing written, nothing held
    with duckdb.connect(str(path)) as writer_again:
        assert writer_again.execute("SELECT COUNT(*) FROM audit.source_status").fetchone() == (0,)
