"""Retention of raw files: a file that holds people is deleted from the working area after a time; its rows stay.

A source declares its rule in the registry (``retention``); one whose contract has ``person_ref`` columns (MARAC,
the IOM cohort, the survey) must delete. A file's bytes, for a (source, period), are due ``days_after_last_use``
days after the pipeline last used them: the latest of their last pull (``audit.pulled_file``), their last load
(``audit.load_batch``) and the time a copy of them landed (an identical re-delivery lands anew before the audit
records its pull). So a loaded file goes N days after its load, a rejected or never-loaded one N days after it was
pulled, and bytes pulled again get N days from that pull: a run still validating a file never loses it. Those
times are the wall clock's; ``as_of`` is the run's date.

Every copy goes (``landing.copies``: the landed file, a rejected file's quarantined copy and its note). The
validated CSVs (``validated/``) stay: their references are pseudonyms already, the rows staging holds. Each
deletion is recorded in ``audit.raw_file_deletion`` in the transaction that deletes it (a file that cannot be
deleted leaves no record), so a second run finds nothing left to delete and records nothing. Nothing else in the
warehouse is touched.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from safer_communities.periods import parse_any
from safer_communities.settings import SQL_DIR
from safer_communities.sources import landing, storage
from safer_communities.sources.registry import DeleteRawFiles, default_registry
from safer_communities.warehouse import bulk_copy_rows, query

if TYPE_CHECKING:
    from safer_communities.warehouse import Warehouse

COLUMNS = ["source", "period", "file_sha256", "path", "reason", "as_of", "deleted_at", "run_id"]


@dataclass(frozen=True)
class Deletion:
    source: str
    period: str
    file_sha256: str
    path: str
    reason: str


def rules() -> dict[str, int]:
    """Source -> days its raw files are kept after their last use, for every source that deletes them."""
    return {name: source.retention.days_after_last_use for name, source in default_registry().items()
            if isinstance(source.retention, DeleteRawFiles)}


def delete_raw_files(warehouse: Warehouse, *, as_of: date, run_id: str) -> list[Deletion]:
    """Delete every copy of the raw files due by ``as_of`` (the run's date) under their source's rule."""
    days = rules()
    with warehouse.begin() as connection:
        files = query(connection, SQL_DIR / "audit" / "raw_files.sql")
    deleted = []
    for file in files:
        if file["source"] not in days:
            continue
        paths = landing.copies(file["source"], parse_any(file["period"]).slug, file["sha256"])
        # A copy counts as pulled from the moment it landed (its inode's change time, or the object's last
        # modification), before the audit knows.
        landed = [storage.landed_at(path) for path in paths]
        last_use = max(when for when in (file["last_pulled_at"], file["last_loaded_at"], *landed) if when)
        due = last_use.date() + timedelta(days=days[file["source"]])
        if not paths or as_of < due:
            continue
        reason = (f"{'loaded' if file['last_loaded_at'] else 'never loaded'}; last pulled or loaded "
                  f"{last_use:%Y-%m-%d}; due {due.isoformat()}, {days[file['source']]} days after "
                  "(registry retention.days_after_last_use)")
        for path in paths:
            try:
                with warehouse.begin() as connection:  # the record commits only if the file is gone
                    bulk_copy_rows(connection, "audit.raw_file_deletion", COLUMNS,
                                   [(file["source"], file["period"], file["sha256"], path, reason, as_of,
                                     datetime.now(UTC).replace(tzinfo=None), run_id)])
                    storage.delete(path)
            except FileNotFoundError:  # deleted meanwhile by another run, which recorded it
                continue
            deleted.append(Deletion(file["source"], file["period"], file["sha256"], path, reason))
    return deleted


def summary(deleted: list[Deletion], as_of: date) -> str:
    """One line: how many raw files were deleted, per source that deletes them (no file name, no value)."""
    counts = Counter(deletion.source for deletion in deleted)
    per_source = ", ".join(f"{source} {counts[source]}" for source in sorted(rules()))
    return f"raw files deleted as at {as_of.isoformat()}: {len(deleted)} ({per_source})"
