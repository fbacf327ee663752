"""Where the files that tasks hand each other live: the landing area, quarantine and validated files.

By default they live under the working area (``SAFER_COMMUNITIES_HOME``) and a file's *location* is its local
path. With ``SAFER_COMMUNITIES_STORAGE`` set to an S3 URL (``s3://bucket/prefix``: AWS S3, MinIO or any
S3-API store; login, password and ``extra.endpoint_url`` / ``extra.region_name`` from the Airflow connection
``safer_communities_storage``), they live there and a location is Airflow's ``ObjectStoragePath`` URL,
which names the connection (``s3://safer_communities_storage@bucket/prefix/landing/…``). The S3 file system
is s3fs, attached to Airflow's object store by :func:`_attach`: the Amazon provider would do the same, but
it makes every DAG file that declares an asset import boto and requests when it is parsed.
Either way a task passes only locations (strings, through XCom), and any worker, on any host, reads what
another wrote: :func:`put` stores a file a task made locally, :func:`local_copy` gives a task a local file to
read. Scratch work (the scratch databases, temporary files) stays on the worker.

Airflow's ``ObjectStoragePath`` is imported inside the functions that reach object storage, never at DAG
parse time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from safer_communities.settings import home

STORAGE_ENV = "SAFER_COMMUNITIES_STORAGE"
STORAGE_CONN_ID = "safer_communities_storage"


def remote() -> str | None:
    """The object-storage URL the hand-off files live under, or None for the local working area."""
    return os.environ.get(STORAGE_ENV, "").strip().rstrip("/") or None


def is_remote(location: str) -> bool:
    return "://" in location


@cache
def _attach() -> None:
    """Give Airflow's object store the S3 file system of the connection ``safer_communities_storage``, once a
    process (a missing connection raises, and is looked up again on the next call)."""
    import s3fs
    from airflow.sdk.io.store import attach

    from safer_communities.connections import get_connection

    connection = get_connection(STORAGE_CONN_ID)
    if connection is None:
        raise RuntimeError(f"{STORAGE_ENV} is set but the Airflow connection {STORAGE_CONN_ID} is missing: add it "
                           "with the store's login, password and extra.endpoint_url")
    extra = connection.extra_dejson
    fs = s3fs.S3FileSystem(key=connection.login or None, secret=connection.password or None,
                           endpoint_url=extra.get("endpoint_url"),
                           client_kwargs={"region_name": extra["region_name"]} if extra.get("region_name") else {})
    attach("s3", conn_id=STORAGE_CONN_ID, fs=fs)


def _path(location: str):
    from airflow.sdk import ObjectStoragePath

    if not location.startswith("s3://"):
        raise ValueError(f"{STORAGE_ENV} must be an s3:// URL (any S3-API store), not {location.split('://')[0]}://")
    _attach()
    # a location made by location() names its connection; the root URL may not
    named = "@" in location.split("://", 1)[1].split("/", 1)[0]
    return ObjectStoragePath(location, conn_id=None if named else STORAGE_CONN_ID)


def location(key: str) -> str:
    """Where the file with this key (``landing/<source>/<period>/<sha256>.csv``) lives."""
    root = remote()
    if root is None:
        return str(home() / key)
    return str(_path(root) / key)


def exists(key: str) -> bool:
    where = location(key)
    return _path(where).exists() if is_remote(where) else Path(where).exists()


def put(local: Path, key: str, *, move: bool = False, read_only: bool = False) -> str:
    """Store a file a task made locally under ``key``; return its location. Locally it is moved (``move``) or
    copied into the working area, and made read-only if asked; in object storage it is uploaded (and the
    local file removed if ``move``)."""
    where = location(key)
    if not is_remote(where):
        target = Path(where)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(local) != target:
            os.replace(local, target) if move else shutil.copyfile(local, target)
        if read_only:
            target.chmod(0o444)
        return where
    destination = _path(where)
    with Path(local).open("rb") as source, destination.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1 << 20)
    if move:
        Path(local).unlink()
    return str(destination)


def write_text(key: str, text: str) -> str:
    """Store a small text file (a quarantine note) under ``key``; return its location."""
    where = location(key)
    if is_remote(where):
        _path(where).write_text(text, encoding="utf-8")
    else:
        Path(where).parent.mkdir(parents=True, exist_ok=True)
        Path(where).write_text(text, encoding="utf-8")
    return where


@contextmanager
def local_copy(where: str) -> Iterator[Path]:
    """A local file with the bytes at a location: the file itself when it is local, else a download to a
    temporary folder, deleted on exit (it keeps the file's name, so its suffix still tells its format)."""
    if not is_remote(where):
        yield Path(where)
        return
    source = _path(where)
    with tempfile.TemporaryDirectory(prefix="sc-storage-") as folder:
        target = Path(folder) / source.name
        with source.open("rb") as stream, target.open("wb") as sink:
            shutil.copyfileobj(stream, sink, 1 << 20)
        yield target


def matching(prefix: str, pattern: str) -> list[str]:
    """The locations of the files under the key ``prefix`` (a folder) whose names match ``pattern`` (a glob)."""
    where = location(prefix)
    if not is_remote(where):
        return sorted(str(p) for p in Path(where).glob(pattern) if p.is_file())
    folder = _path(where)
    return sorted(str(p) for p in folder.glob(pattern) if p.is_file()) if folder.exists() else []


def landed_at(where: str) -> datetime:
    """When the file at a location was stored (UTC, naive): its inode's change time, or the object's
    last-modified time."""
    if is_remote(where):
        return datetime.fromtimestamp(_path(where).stat().st_mtime, UTC).replace(tzinfo=None)
    return datetime.fromtimestamp(Path(where).stat().st_ctime, UTC).replace(tzinfo=None)


def delete(where: str) -> None:
    """Delete the file at a location; FileNotFoundError if it is not there (deleted meanwhile)."""
    if is_remote(where):
        path = _path(where)
        if not path.exists():
            raise FileNotFoundError(where)
        path.unlink()
    else:
        Path(where).unlink()
