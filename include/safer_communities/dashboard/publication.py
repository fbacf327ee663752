"""Versioned publication: every export and board report of a quarter is a version, kept, with a change log.

A quarter's folder (``exports/dashboard/<quarter>/``, ``reports/<quarter>/``) holds ``v1/``, ``v2/``, ...,
``latest`` (a relative symbolic link to the newest version: readers go through it) and ``changelog.md``
(every version's changes, oldest first). A version is written whole into a hidden folder beside them and
renamed into place; then ``latest`` is swapped for a new link (``os.replace``). A reader sees the previous
version or the new one, never half of one, and a failure midway leaves the previous ``latest`` as it was.

Each version holds, beside its files, ``cells.json`` (the published cells it shows, as
``mart.dashboard_published``, ``mart.dashboard_monthly_published`` and ``mart.dashboard_summary`` give them:
small numbers already withheld; without the run id, computation time and code version), ``manifest.json``
(the source periods the quarter reads, each with its status and the file the status is about, and the run)
and ``CHANGES.md`` (the cells that changed since the version before, and why: the source periods whose file
or status changed). A publication whose cells are the latest version's makes no new version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safer_communities.settings import SQL_DIR

if TYPE_CHECKING:

    from safer_communities.periods import Quarter

log = logging.getLogger(__name__)
LATEST = "latest"
CELLS = "cells.json"
MANIFEST = "manifest.json"
CHANGES = "CHANGES.md"
CHANGELOG = "changelog.md"
SOURCE_FILES_SQL = SQL_DIR / "audit" / "source_files.sql"
STAMPS = ("run_id", "code_version", "computed_at")  # differ on every run: not content
# What names a row of each published table in the change log; the rest of the row are its cells.
KEYS = {"dashboard": ("indicator_id", "area_name"), "monthly": ("indicator_id", "area_name", "month_start"),
        "summary": ("priority_id",)}
TITLES = {"dashboard": "Dashboard", "monthly": "Monthly series", "summary": "Summary"}
NOT_CELLS = {*STAMPS, "quarter_label", "quarter_start", "area_code"}
_VERSION = re.compile(r"^v(\d+)$")


@dataclass
class Version:
    """One publication of a quarter: a new version, or the latest one kept (the same cells)."""

    folder: Path  # the quarter's folder: v1, v2, ..., latest, changelog.md
    number: int
    new: bool
    previous: int | None = None  # the version it follows
    title: str = ""
    cells: dict = field(default_factory=dict, repr=False)
    manifest: dict = field(default_factory=dict, repr=False)
    changed_cells: list[tuple[str, str, str, str | None, str | None]] = field(default_factory=list, repr=False)
    changed_sources: list[dict] = field(default_factory=list, repr=False)
    files: list[Path] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.folder / f"v{self.number}"


def text(value: Any) -> str:
    """A cell as the published cells record it (``2857.0``, ``28.5%``; empty for none): what two versions are
    compared by. The change log shows a whole number as the CSV does (:func:`_shown`: ``2857``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        return repr(float(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def cells(tables: dict[str, list[dict]]) -> dict[str, dict[str, dict[str, str]]]:
    """The published cells: table -> row ("indicator, area[, month]") -> column -> text; no stamps."""
    found = {}
    for table, rows in tables.items():
        keys = KEYS[table]
        found[table] = {", ".join(text(row[key]) for key in keys): {
            column: text(value) for column, value in row.items() if column not in keys and column not in NOT_CELLS}
            for row in rows}
    return found


def digest(published: dict) -> str:
    return hashlib.sha256(json.dumps(published, sort_keys=True).encode()).hexdigest()


def source_periods(quarter: Quarter, rows: list[dict]) -> list[dict]:
    """The source periods the quarter's figures read (its data window), each with its status and the file the
    status is about, sha256 and original name (rows of ``sql/audit/source_files.sql``)."""
    from safer_communities.periods import data_window, parse_any

    first, last = data_window(quarter)
    keep = ("source", "period", "status", "file_sha256", "original_name")
    return [{key: row.get(key) for key in keep} for row in rows
            if any(first <= month <= last for month in parse_any(row["period"]).months)]


def stamp(quarter: Quarter | str, rows: list[dict]) -> dict[str, Any]:
    """The quarter and the run the published rows come from (every row carries the same)."""
    first = rows[0] if rows else {}
    return {"quarter": str(quarter), **{key: text(first.get(key)) or None for key in STAMPS}}


def versions(folder: Path) -> list[int]:
    """The version numbers in a quarter's folder, in order."""
    if not folder.is_dir():
        return []
    return sorted(int(found.group(1)) for path in folder.iterdir()
                  if path.is_dir() and not path.is_symlink() and (found := _VERSION.match(path.name)))


def latest(folder: Path) -> Path:
    """Where readers find the newest version of a quarter's folder (the ``latest`` link)."""
    return folder / LATEST


def latest_number(folder: Path) -> int | None:
    """The version ``latest`` points at; None before the first."""
    try:
        target = os.readlink(latest(folder))
    except OSError:
        return None
    found = _VERSION.match(target)
    return int(found.group(1)) if found and (folder / target / MANIFEST).is_file() else None


def plan(folder: Path, title: str, tables: dict[str, list[dict]], sources: list[dict],
         stamped: dict[str, Any]) -> Version:
    """The publication of these published rows: the latest version kept when its cells are the same, else the
    next version, with the cells and the source periods that changed since the latest."""
    published = cells(tables)
    manifest = {**stamped, "content_sha256": digest(published), "source_periods": sources}
    previous = latest_number(folder)
    before: dict = {}
    if previous is not None:
        before = json.loads((folder / f"v{previous}" / MANIFEST).read_text(encoding="utf-8"))
        if before.get("content_sha256") == manifest["content_sha256"]:
            log.info("%s %s: the same published cells as version %d, which stays the latest: no new version",
                     stamped.get("quarter"), title, previous)
            return Version(folder, previous, False, title=title)
    version = Version(folder, max(versions(folder), default=0) + 1, True, previous, title, published, manifest)
    if previous is not None:
        old_cells = folder / f"v{previous}" / CELLS
        version.changed_cells = diff_cells(_unpack(json.loads(old_cells.read_text(encoding="utf-8")))
                                           if old_cells.is_file() else {}, published)
        version.changed_sources = diff_sources(before.get("source_periods", []), sources)
    return version


def diff_cells(before: dict, after: dict) -> list[tuple[str, str, str, str | None, str | None]]:
    """(table, row, column, old, new) of every cell that differs; None where the row is not there."""
    changed = []
    for table in dict.fromkeys([*after, *before]):
        old_rows, new_rows = before.get(table, {}), after.get(table, {})
        for row in dict.fromkeys([*new_rows, *old_rows]):
            old, new = old_rows.get(row), new_rows.get(row)
            for column in dict.fromkeys([*(new or {}), *(old or {})]):
                was, now = (old or {}).get(column), (new or {}).get(column)
                if was != now:
                    changed.append((table, row, column, was, now))
    return changed


def diff_sources(before: list[dict], after: list[dict]) -> list[dict]:
    """The source periods whose status or file differ (or that only one side has): before and after."""
    old = {(row["source"], row["period"]): row for row in before}
    new = {(row["source"], row["period"]): row for row in after}
    changed = []
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        if was is None or now is None or (was["status"], was["file_sha256"]) != (now["status"], now["file_sha256"]):
            changed.append({"source": key[0], "period": key[1], "before": was, "after": now})
    return changed


def publish(version: Version, write: Callable[[Path], Iterable[Path]]) -> list[Path]:
    """Write a new version whole: ``write`` puts its files in the folder it is given (hidden, beside the
    versions); the cells, the manifest and the change log go beside them; the folder is renamed into place and
    ``latest`` swapped to it; ``changelog.md`` is rewritten. Returns the version's files, where they now are."""
    folder = version.folder
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".v*-*"):  # a publication that died midway (one publisher per quarter at a time)
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".v{version.number}-", dir=folder))
    try:
        written = [Path(path) for path in write(staging)]
        version.manifest.update(version=version.number, previous_version=version.previous,
                                published_at=datetime.now(UTC).replace(microsecond=0).isoformat())
        (staging / CELLS).write_text(json.dumps(_pack(version.cells), separators=(",", ":")), encoding="utf-8")
        (staging / MANIFEST).write_text(json.dumps(version.manifest, indent=2, default=str) + "\n",
                                        encoding="utf-8")
        (staging / CHANGES).write_text(changes(version), encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp's folder is private; a published one is readable like the rest
        os.rename(staging, version.path)  # fails rather than mix with a version already there
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    link = folder / f".{LATEST}-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(version.path.name, link)
    os.replace(link, latest(folder))
    _replace_text(folder / CHANGELOG, changelog(folder, version.title, version.manifest.get("quarter")))
    log.info("%s %s: version %d published at %s", version.manifest.get("quarter"), version.title, version.number,
             version.path)
    return [version.path / path.relative_to(staging) for path in written]


def changes(version: Version) -> str:
    """The version's ``CHANGES.md``: which published cells changed since the version before, and why."""
    manifest = version.manifest
    lines = [f"## Version {version.number}", "",
             f"{manifest.get('quarter')} {version.title}, published {manifest.get('published_at')} from dashboard "
             f"run `{manifest.get('run_id')}` (code version `{manifest.get('code_version')}`, computed "
             f"{manifest.get('computed_at')})."]
    if version.previous is None:
        count = sum(len(row) for rows in version.cells.values() for row in rows.values())
        lines += ["", f"The first version: {count} published cells, from "
                      f"{len(manifest.get('source_periods', []))} source periods (manifest.json)."]
        return "\n".join(lines) + "\n"
    lines += ["", f"Changes since version {version.previous}: {len(version.changed_cells)} published cells."]
    for table, title in TITLES.items():
        mine = [change for change in version.changed_cells if change[0] == table]
        if mine:
            lines += ["", f"### {title}", ""]
            lines += [f"- {row}: {column} {_shown(was)} -> {_shown(now)}" for _, row, column, was, now in mine]
    lines += ["", "### Why: source periods whose file or status changed", ""]
    feeds = _feeds({row.split(", ")[0] for table, row, *_ in version.changed_cells if table != "summary"})
    lines += [f"- {source_line(change)}{feeds(change['source'])}" for change in version.changed_sources]
    if not version.changed_sources:
        lines.append("None: the change comes from the code, the catalogue or the reference data "
                     f"(code version `{manifest.get('code_version')}`).")
    return "\n".join(lines) + "\n"


def summary(version: Version) -> str:
    """One line on what changed since the version before, for the report's header."""
    line = f"{len(version.changed_cells)} published cells changed"
    if version.changed_sources:
        line += "; source periods with a new file or status: " + ", ".join(
            f"{change['source']} {change['period']}" for change in version.changed_sources)
    return line


def source_line(change: dict) -> str:
    """A source period's change: its status and the file the status is about, before and after."""
    was, now, name = change["before"], change["after"], f"{change['source']} {change['period']}"
    if was is None:
        return f"{name}: newly decided, {now['status']}, file {_file(now)}"
    if now is None:
        return f"{name}: no longer decided (was {was['status']}, file {_file(was)})"
    parts = [f"status {was['status']} -> {now['status']}"] if was["status"] != now["status"] else []
    if was["file_sha256"] != now["file_sha256"]:
        parts.append(f"file {_file(was)} -> {_file(now)}")
    else:
        parts.append(f"the same file {_file(now)}")
    return f"{name}: {'; '.join(parts)}"


def changelog(folder: Path, title: str, quarter: str | None) -> str:
    """The quarter's ``changelog.md``: every version's ``CHANGES.md``, oldest first."""
    parts = [f"# {quarter} {title}: change log\n"]
    for number in versions(folder):
        page = folder / f"v{number}" / CHANGES
        if page.is_file():
            parts.append(page.read_text(encoding="utf-8"))
    return "\n".join(parts)


def _file(entry: dict) -> str:
    if not entry.get("file_sha256"):
        return "none"
    return f"{entry['file_sha256'][:12]} ({entry.get('original_name') or 'original name not recorded'})"


_WHOLE = re.compile(r"^(-?\d+)\.0$")


def _shown(value: str | None) -> str:
    """A recorded cell in the change log: a whole number without ``.0``, as the CSV export writes it."""
    if value is None:
        return "(no row)"
    return "(empty)" if value == "" else "`" + _WHOLE.sub(r"\1", value) + "`"


def _feeds(indicators: set[str]) -> Callable[[str], str]:
    """'; feeds <the changed indicators that read the source>', from the catalogue."""
    from safer_communities.dashboard.indicators import load_catalogue

    sources = {indicator.id: indicator.sources for priority in load_catalogue().priorities
               for indicator in priority.indicators}

    def feeds(source: str) -> str:
        fed = sorted(indicator for indicator in indicators if source in sources.get(indicator, ()))
        return f"; feeds {', '.join(fed)}" if fed else ""

    return feeds


def _pack(published: dict) -> dict:
    """Cells as stored: each table's columns once, then each row's texts."""
    packed = {}
    for table, rows in published.items():
        columns = list(dict.fromkeys(column for row in rows.values() for column in row))
        packed[table] = {"columns": columns, "rows": {key: [row.get(c) for c in columns] for key, row in rows.items()}}
    return packed


def _unpack(packed: dict) -> dict:
    return {table: {key: {column: value for column, value in zip(stored["columns"], row, strict=True)
                          if value is not None} for key, row in stored["rows"].items()}
            for table, stored in packed.items()}


def _replace_text(path: Path, content: str) -> None:
    """Write a file whole: a temporary file beside it, renamed over it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, path)
