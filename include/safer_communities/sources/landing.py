"""The landing area: every pulled file kept immutably, named by its sha256.

``landing/<source>/<period slug>/<sha256><suffix>`` (a month ``2020-03``, a quarter
``2015-16-Q1``, a financial year ``2015-16``), read-only once written. A file
whose bytes were landed before is recognised and not written again. Rejected
files are also copied to ``quarantine/`` beside a note of why. A source whose
files hold people has its copies deleted after a time (``safer_communities.sources.retention``,
by :func:`copies`); the same bytes delivered again simply land again.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from safer_communities.settings import home
from safer_communities.sources import storage


@dataclass(frozen=True)
class LandedFile:
    location: str  # a local path, or an object-storage URL (safer_communities.sources.storage)
    sha256: str
    bytes: int
    rows: int
    already_landed: bool


def _digest(path: Path) -> tuple[str, int, int]:
    sha = hashlib.sha256()
    size = newlines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    lines = newlines + (1 if size and last != b"\n" else 0)
    return sha.hexdigest(), size, max(lines - 1, 0)  # data rows: lines after the header


def land(fetched: Path, source: str, period: str, suffix: str, sheet: str | None = None) -> LandedFile:
    """Move a freshly fetched file into the landing area (local, or object storage:
    ``safer_communities.sources.storage``).

    ``rows`` counts the data rows: lines after the header for a text file; for a
    workbook (``.xlsx``), the non-empty rows after the header of ``sheet`` (default the first).
    """
    sha256, size, rows = _digest(fetched)
    if suffix.lower() == ".xlsx":  # openpyxl goes by the file's suffix
        from safer_communities.sources.extract import workbook_rows

        named = fetched.with_name(fetched.name + suffix)
        os.replace(fetched, named)
        fetched, rows = named, workbook_rows(named, sheet)
    key = f"landing/{source}/{period}/{sha256}{suffix}"
    already_landed = storage.exists(key)
    if already_landed:
        fetched.unlink()
        where = storage.location(key)
    else:
        where = storage.put(fetched, key, move=True, read_only=True)
    return LandedFile(where, sha256, size, rows, already_landed)


def incoming(source: str, period: str) -> Path:
    """A fresh path to fetch into, on the same filesystem as the landing area. A ``.part`` file of the same
    period left by a pull that was killed (its process is gone) is removed first, a workbook's too
    (``.part.xlsx``, renamed for its reader)."""
    folder = home() / "landing" / ".incoming"
    folder.mkdir(parents=True, exist_ok=True)
    for left in folder.glob(f"{source}.{period}.*.part*"):
        pid = left.name.split(".part", 1)[0].rsplit(".", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            left.unlink(missing_ok=True)
    return folder / f"{source}.{period}.{os.getpid()}.part"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def quarantine_file(landed: str, source: str, period: str, original_name: str, reason: str) -> str:
    """Keep a rejected file in quarantine with the reason beside it; return the copy's location."""
    folder = f"quarantine/{source}/{period}"
    stem = Path(landed).name.split(".")[0]  # the sha256
    key = f"{folder}/{stem}__{original_name}"
    where = storage.location(key)
    if not storage.exists(key):
        with storage.local_copy(landed) as local:
            where = storage.put(local, key, read_only=True)
    storage.write_text(f"{folder}/{stem}.reason.txt", reason + "\n")
    return where


def copies(source: str, period: str, sha256: str) -> list[str]:
    """The location of every copy of a pulled file's bytes: the landed file and, if it was rejected, its
    quarantined copy and the note beside it. ``period`` is the period's slug, as in :func:`land`."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a sha256: {sha256!r}")
    return sorted(where for folder in (f"landing/{source}/{period}", f"quarantine/{source}/{period}")
                  for where in storage.matching(folder, f"{sha256}*"))
