"""The pipeline's pages one click from a DAG run: data-quality pages and board reports in the Airflow UI.

The plugin (``plugins/safer_communities_pages.py``) mounts :func:`app` on the api-server at
``/safer-communities`` and adds the extra link **Data quality and reports** to the tasks that
write them (an ingestion run's ``record_status``, a dashboard run's ``compute`` and ``report``).
The link opens the run's page: the data-quality page of every (source, period) the run decided
and the board report of every quarter it computed (its latest version, and the report's change log),
read from the run's asset events, whose extra names them. The pages are served from
``$SAFER_COMMUNITIES_HOME/quality`` and ``/reports`` as written, so a report's links to its data-quality
pages work there too, and only to a user Airflow's auth manager lets read the DAG the page belongs to.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from fastapi import FastAPI

PREFIX = "/safer-communities"
LINKED_TASKS = ("record_status", "compute", "report")
SERVED = ("quality", "reports")  # the working area's folders the app serves
DASHBOARD_DAG = "quarterly_dashboard"


def run_page(dag_id: str, run_id: str) -> str:
    """The run's page, under the api-server's base URL."""
    from safer_communities.alerts import base_url

    return f"{base_url()}{PREFIX}/runs/{quote(dag_id, safe='')}/{quote(run_id, safe='')}"


class RunPagesLink(BaseOperatorLink):
    """The extra link of the tasks that write data-quality pages or reports; empty (no button) on the others."""

    name = "Data quality and reports"

    def get_link(self, operator, *, ti_key) -> str:
        return run_page(ti_key.dag_id, ti_key.run_id) if operator.task_id in LINKED_TASKS else ""


def run_links(events: list[dict[str, Any]], home: Path) -> list[tuple[str, str]]:
    """(label, address under ``PREFIX``) of every page a run's asset events name (their ``extra``), in order."""
    from safer_communities.dashboard.publication import CHANGELOG, LATEST
    from safer_communities.periods import Quarter

    links: dict[str, str] = {}
    for extra in events:
        for period, page in sorted((extra.get("quality_pages") or {}).items()):
            # written to quality/<source>/ under the working area (quality_docs.page_path), served from there
            href = f"{PREFIX}/quality/{extra['source']}/{Path(page).name}"
            links[href] = f"{extra['source']} {period}: data-quality page"
        if extra.get("quarter"):
            # the quarter's latest report version (reports/<quarter>/latest, report.write), and its change log
            slug = Quarter.parse(extra["quarter"]).slug
            folder = f"{PREFIX}/reports/{slug}"
            links[f"{folder}/{LATEST}/report.html"] = f"{extra['quarter']}: board report"
            if (home / "reports" / slug / LATEST / "report.pdf").exists():
                links[f"{folder}/{LATEST}/report.pdf"] = f"{extra['quarter']}: board report (PDF)"
            if (home / "reports" / slug / CHANGELOG).exists():
                links[f"{folder}/{CHANGELOG}"] = f"{extra['quarter']}: board report change log"
    return [(label, href) for href, label in links.items()]


def _events(dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The ``extra`` of every asset event the run emitted (Airflow's metadata database)."""
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        found = session.scalars(select(AssetEvent).where(
            AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == run_id).order_by(AssetEvent.id))
        return [dict(event.extra or {}) for event in found]


def _dag_of(folder: str, path: str) -> str:
    """The DAG whose runs wrote the page: a data-quality page, its source family's ingestion DAG; a board report,
    the dashboard DAG. An unknown source is not found."""
    from fastapi import HTTPException

    from safer_communities.sources.registry import RegistryError, get_source

    if folder == "reports":
        return DASHBOARD_DAG
    try:
        return f"ingest_{get_source(path.split('/', 1)[0]).family}"
    except RegistryError:
        raise HTTPException(status_code=404, detail="Not Found") from None


def _authorise(user, dag_id: str) -> None:
    """Let through only a user whose Airflow role may read the DAG's runs (Airflow's own auth manager)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
    from fastapi import HTTPException

    if not get_auth_manager().is_authorized_dag(method="GET", access_entity=DagAccessEntity.RUN,
                                                details=DagDetails(id=dag_id), user=user):
        raise HTTPException(status_code=403, detail="Forbidden")


def _served(folder: Path, path: str) -> Path:
    """A file under ``folder`` (the ``latest`` link followed), or 404: never anything outside it."""
    from fastapi import HTTPException

    root = folder.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(status_code=404, detail="Not Found")
    return target


def app() -> FastAPI:
    """The api-server app: ``/runs/<dag_id>/<run_id>`` lists a run's pages; ``/quality`` and ``/reports`` serve them.

    Every route asks Airflow who is calling (the UI's session cookie or a bearer token, as the REST API does:
    none is 401) and whether that user may read the runs of the DAG the page belongs to (else 403)."""
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi import Depends, FastAPI
    from fastapi.responses import FileResponse, HTMLResponse

    from safer_communities.settings import home

    pages = FastAPI(title="Safer Communities pages", docs_url=None, redoc_url=None, openapi_url=None)
    caller = Depends(get_user)  # as a default value: this module's annotations are strings FastAPI cannot resolve

    @pages.get("/runs/{dag_id}/{run_id}", response_class=HTMLResponse)
    def run(dag_id: str, run_id: str, user=caller) -> str:
        _authorise(user, dag_id)
        links = run_links(_events(dag_id, run_id), home())
        items = "".join(f'<li><a href="{escape(href)}">{escape(label)}</a></li>' for label, href in links) or (
            "<li>This run wrote no data-quality page or report.</li>")
        return (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{escape(dag_id)} '
                f'{escape(run_id)}</title></head><body style="font-family: Arial, sans-serif">'
                f"<h1>{escape(dag_id)}</h1><p>Run <code>{escape(run_id)}</code></p><ul>{items}</ul></body></html>")

    @pages.get("/{folder}/{path:path}")
    def page(folder: str, path: str, user=caller) -> FileResponse:
        from fastapi import HTTPException

        if folder not in SERVED:
            raise HTTPException(status_code=404, detail="Not Found")
        _authorise(user, _dag_of(folder, path))
        return FileResponse(_served(home() / folder, path))

    return pages
