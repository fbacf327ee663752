"""Where things live: the project's own files, and the working data area.

Paths are derived from this file's location, never absolute. The working area
(landing, quarantine, drop folder, the default DuckDB warehouse) defaults to
``var/`` in the project and moves with ``SAFER_COMMUNITIES_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INCLUDE_DIR = PACKAGE_DIR.parent
PROJECT_DIR = INCLUDE_DIR.parent
CONFIG_DIR = INCLUDE_DIR / "config"
CONTRACTS_DIR = INCLUDE_DIR / "contracts"
REFERENCE_DIR = INCLUDE_DIR / "reference"
SQL_DIR = PROJECT_DIR / "sql"

WAREHOUSE_CONN_ID = "safer_communities_warehouse"
WRITER_POOL = "warehouse_writer"


def home() -> Path:
    """The working data area; read when called so tests and deployments can move it."""
    return Path(os.environ.get("SAFER_COMMUNITIES_HOME", PROJECT_DIR / "var")).resolve()


def drop_dir() -> Path:
    """The local drop folder partners deliver files into."""
    return Path(os.environ.get("SAFER_COMMUNITIES_DROP", home() / "drop")).resolve()
