"""The pages one click from a DAG run: the extra link, the run's list of pages, and the pages served.

End to end, through a real api-server, scheduler and runs, in ``tests/test_scheduler.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from safer_communities.orchestration import airflow_pages

PROJECT = Path(__file__).resolve().parents[1]
QUALITY = "/safer-communities/quality"


def test_a_runs_pages_come_from_its_asset_events(tmp_path):
    ingestion = {"source": "marac_referrals", "periods": ["2015/16 Q1"],
                 "quality_pages": {"2015/16 Q1": "/anywhere/var/quality/marac_referrals/2015-16-Q1.html"}}
    police = {"source": "police_street_crime", "quality_pages": {  # as the worker wrote them, in any order
        "2015-05": "/w/quality/police_street_crime/2015-05.html",
        "2015-04": "/w/quality/police_street_crime/2015-04.html"}}
    dashboard = {"quarter": "2015/16 Q1", "rows": 112}
    assert airflow_pages.run_links([ingestion, police, dashboard, {}], tmp_path) == [
        ("marac_referrals 2015/16 Q1: data-quality page", f"{QUALITY}/marac_referrals/2015-16-Q1.html"),
        ("police_street_crime 2015-04: data-quality page", f"{QUALITY}/police_street_crime/2015-04.html"),
        ("police_street_crime 2015-05: data-quality page", f"{QUALITY}/police_street_crime/2015-05.html"),
        ("2015/16 Q1: board report", "/safer-communities/reports/2015-16-Q1/latest/report.html"),
    ]
    (tmp_path / "reports" / "2015-16-Q1" / "v1").mkdir(parents=True)
    (tmp_path / "reports" / "2015-16-Q1" / "v1" / "report.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "reports" / "2015-16-Q1" / "latest").symlink_to("v1")
    (tmp_path / "reports" / "2015-16-Q1" / "changelog.md").write_text("# 2015/16 Q1 board report: change log\n")
    assert airflow_pages.run_links([dashboard], tmp_path)[-2:] == [
        ("2015/16 Q1: board report (PDF)", "/safer-communities/reports/2015-16-Q1/latest/report.pdf"),
        ("2015/16 Q1: board report change log", "/safer-communities/reports/2015-16-Q1/changelog.md")]


def test_the_link_is_on_the_tasks_that_write_pages_only(monkeypatch):
    from airflow.models.taskinstancekey import TaskInstanceKey

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.test/")
    link = airflow_pages.RunPagesLink()
    key = TaskInstanceKey(dag_id="ingest_marac", task_id="record_status", run_id="manual__2015-09-17T10:00:00+00:00")
    operator = type("Task", (), {"task_id": "record_status"})()
    assert link.get_link(operator, ti_key=key) == (
        "https://airflow.example.test/safer-communities/runs/ingest_marac/manual__2015-09-17T10%3A00%3A00%2B00%3A00")
    for task_id in ("plan", "pull", "validate", "load", "quarters"):
        assert link.get_link(type("Task", (), {"task_id": task_id})(), ti_key=key) == ""


class ReadsSomeDags:
    """Stands in for Airflow's auth manager in-process: a user who may read the runs of some DAGs only. The real
    one (the api-server's, with its login) is in ``tests/test_scheduler.py``."""

    def __init__(self, dags: set[str]) -> None:
        self.dags = dags

    def is_authorized_dag(self, *, method, access_entity, details, user) -> bool:
        return method == "GET" and details.id in self.dags


# FastAPI's TestClient (the app run in-process over ASGI) warns about its own httpx use
@pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient. is deprecated")
def test_the_app_serves_the_working_areas_pages_and_nothing_else(tmp_path, monkeypatch):
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    monkeypatch.setenv("SAFER_COMMUNITIES_HOME", str(tmp_path))
    page = tmp_path / "quality" / "marac_referrals" / "2015-16-Q1.html"
    page.parent.mkdir(parents=True)
    page.write_text("<p>marac_referrals 2015/16 Q1</p>")
    (tmp_path / "warehouse.duckdb").write_bytes(b"secret")
    version = tmp_path / "reports" / "2015-16-Q1" / "v1"
    version.mkdir(parents=True)
    (version / "report.html").write_text("<p>2015/16 Q1, version 1</p>")
    (version.parent / "latest").symlink_to("v1")  # as publication swaps it: a relative link beside v1
    pages = airflow_pages.app()
    addresses = ["/quality/marac_referrals/2015-16-Q1.html", "/reports/2015-16-Q1/latest/report.html",
                 "/runs/ingest_marac/manual__1", "/quality/../warehouse.duckdb", "/quality/%2e%2e/warehouse.duckdb",
                 "/reports/..%2fwarehouse.duckdb", "/quality/marac_referrals/..%2f..%2fwarehouse.duckdb"]
    with TestClient(pages) as client:  # nobody logged in: nothing at all, whatever the path
        assert {address: client.get(address).status_code for address in addresses} == dict.fromkeys(addresses, 401)

    monkeypatch.setattr("airflow.api_fastapi.app.get_auth_manager", lambda: ReadsSomeDags({"ingest_marac"}))
    pages.dependency_overrides[get_user] = lambda: "a MARAC analyst"
    with TestClient(pages) as client:
        served = client.get("/quality/marac_referrals/2015-16-Q1.html")
        assert served.status_code == 200 and served.text == page.read_text()
        assert client.get("/reports/2015-16-Q1/latest/report.html").status_code == 403  # no dashboard access
        assert client.get("/quality/police_street_crime/2020-01.html").status_code == 403  # nor police
        assert client.get("/quality/no_such_source/x.html").status_code == 404
        for address in addresses[3:]:
            assert client.get(address).status_code in (403, 404), address  # never the file outside

    monkeypatch.setattr("airflow.api_fastapi.app.get_auth_manager",
                        lambda: ReadsSomeDags({"ingest_marac", "quarterly_dashboard"}))
    with TestClient(pages) as client:
        assert client.get("/reports/2015-16-Q1/latest/report.html").text == "<p>2015/16 Q1, version 1</p>"
        assert client.get("/reports/2015-16-Q2/latest/report.html").status_code == 404  # not written yet
        assert client.get("/reports/../warehouse.duckdb").status_code == 404
        assert client.get("/reports/..%2fwarehouse.duckdb").status_code == 404


def test_airflow_loads_the_plugin():
    env = {**os.environ, "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins")}
    done = subprocess.run([str(Path(sys.executable).parent / "airflow"), "plugins", "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=120, check=True)
    plugins = {plugin["name"]: plugin for plugin in json.loads(done.stdout[done.stdout.index("["):])}
    ours = plugins["safer_communities_pages"]
    assert any("RunPagesLink" in str(link) for link in ours["global_operator_extra_links"]), ours
    assert [app["url_prefix"] for app in ours["fastapi_apps"]] == ["/safer-communities"], ours



def test_a_task_process_loads_the_plugin_without_building_the_web_app():
    """Every task process loads the plugins (for macros): the link is there, fastapi is not imported."""
    code = ("import sys; from airflow.sdk.plugins_manager import integrate_macros_plugins; "
            "integrate_macros_plugins(); "
            "print(any(m.endswith('safer_communities_pages') for m in sys.modules), 'fastapi' in sys.modules)")
    env = {**os.environ, "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
           "PYTHONPATH": str(PROJECT / "include")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=True)
    assert done.stdout.split()[-2:] == ["True", "False"]
