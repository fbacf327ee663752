"""Airflow plugin: the pipeline's data-quality pages and board reports, one click from a DAG run.

Adds the extra link "Data quality and reports" to the tasks that write them and serves the pages
from the api-server at ``/safer-communities`` (``safer_communities.orchestration.airflow_pages``).
"""

from functools import cache

from airflow.plugins_manager import AirflowPlugin

from safer_communities.orchestration.airflow_pages import PREFIX, RunPagesLink


@cache
def _apps() -> list[dict]:
    from safer_communities.orchestration.airflow_pages import app

    return [{"app": app(), "url_prefix": PREFIX, "name": "Safer Communities pages"}]


class _BuiltOnFirstUse:
    """Every task process loads the plugins too (for macros); only the api-server needs the web app."""

    def __get__(self, instance, owner) -> list[dict]:
        return _apps()


class SaferCommunitiesPages(AirflowPlugin):
    name = "safer_communities_pages"
    global_operator_extra_links = [RunPagesLink()]
    fastapi_apps = _BuiltOnFirstUse()
