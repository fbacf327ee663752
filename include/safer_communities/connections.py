"""Airflow connections, read when a task needs them (never at DAG parse time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow.sdk import Connection


def get_connection(conn_id: str) -> Connection | None:
    """The connection ``conn_id`` from Airflow's secrets backends (env vars first), or None.

    Works inside a task and in plain Python (CLI, benchmark), where
    ``AIRFLOW_CONN_<ID>`` environment variables supply it.
    """
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None
