"""Data-quality pages for engineers: one self-contained HTML page per (source, period).

The equivalent of Great Expectations' Data Docs validation page, built from what the pipeline
stored in the audit layer (GX runs only inside the validate task, so its own Data Docs are never
written): the period's status and reason, the files pulled, every rule's result for the file the
status is about, its quarantined rows (line, rules, detail; never the raw record, which may hold
person data), the completeness checks and the loads. The SQL is ``sql/audit/quality_page.sql``;
the layout is ``templates/quality.html.j2`` (Jinja2, autoescaped, the board report's
environment). The page has inline CSS, no scripts and no external resources; passed and failed
have a symbol as well as a colour, so it reads in greyscale.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safer_communities.periods import parse_any
from safer_communities.publish.pages import environment
from safer_communities.settings import SQL_DIR, home
from safer_communities.sources.registry import get_source
from safer_communities.warehouse import query, statements

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from safer_communities.warehouse import Warehouse

SQL = SQL_DIR / "audit" / "quality_page.sql"
QUERIES = ("status", "files", "rules", "quarantine", "checks", "loads", "notices")
TEMPLATE = "quality.html.j2"
QUARANTINE_SHOWN = 20

# The outcome of a rule or check: a colour class, a symbol distinct in shape and words.
OUTCOME = {
    "passed": ("\u2714", "passed"),  # ✔
    "failed": ("\u2716", "failed"),  # ✖ a critical rule, or a completeness check
    "warning": ("\u25b2", "failed (warning)"),  # ▲ a warning rule: the rows were loaded
}


def page_path(source: str, period: str, out_dir: Path | str | None = None) -> Path:
    """Where a (source, period)'s page is written: ``out_dir`` (default ``$SAFER_COMMUNITIES_HOME/quality/<source>``)
    ``/<period slug>.html``."""
    folder = Path(out_dir) if out_dir else home() / "quality" / source
    return folder / f"{parse_any(period).slug}.html"


def read(warehouse: Warehouse, source: str, period: str) -> dict[str, list[dict[str, Any]]]:
    """The stored audit rows of the page, by query name (see ``sql/audit/quality_page.sql``).

    Raises ``RegistryError`` for a source the registry does not declare, ``PeriodError`` for text that is
    no period and ``LookupError`` for a period no run has decided for the source.
    """
    with warehouse.engine.connect() as connection:
        return read_rows(connection, source, period)


def _queries() -> dict[str, str]:
    """The page's statements by name, in :data:`QUERIES` order."""
    found = statements(SQL)
    if len(found) != len(QUERIES):
        raise RuntimeError(f"{SQL} has {len(found)} statements; expected {len(QUERIES)}: {QUERIES}")
    return dict(zip(QUERIES, found, strict=True))


def _run(connection: Connection, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return query(connection, statement, {key: value for key, value in params.items() if f":{key}" in statement})


def read_rows(connection: Connection, source: str, period: str) -> dict[str, list[dict[str, Any]]]:
    """:func:`read` on an open connection (a snapshot the caller reads other things in too)."""
    get_source(source)
    label = str(parse_any(period))
    rows: dict[str, list[dict[str, Any]]] = {}
    params: dict[str, Any] = {"source": source, "period": label, "sha256": None, "shown": QUARANTINE_SHOWN}
    for name, statement in _queries().items():
        rows[name] = _run(connection, statement, params)
        if name == "status":
            if not rows[name]:
                raise LookupError(f"no status recorded for {source} {label}: no run has decided it yet "
                                  f"(safer-communities status {label!r} lists what has been)")
            params["sha256"] = rows[name][0]["file_sha256"]
    return rows


def file_rows(connection: Connection, source: str, period: str, sha256: str) -> dict[str, list[dict[str, Any]]]:
    """The ``rules`` and ``quarantine`` rows of any one file of the period (:func:`read` gives those of the file
    the status is about)."""
    params = {"source": source, "period": str(parse_any(period)), "sha256": sha256, "shown": QUARANTINE_SHOWN}
    return {name: _run(connection, statement, params) for name, statement in _queries().items()
            if name in ("rules", "quarantine")}


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def _lines(text: str | None) -> list[int]:
    try:
        return list(json.loads(text)) if text else []
    except ValueError:
        return []


def _outcome(success: bool, severity: str = "critical") -> dict[str, str]:
    key = "passed" if success else "warning" if severity != "critical" else "failed"
    symbol, words = OUTCOME[key]
    return {"outcome": key, "symbol": symbol, "words": words}


def context(source: str, period: str, rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """What the template lays out, from the rows :func:`read` returns (pure)."""
    status = rows["status"][0]
    sha = status["file_sha256"]
    rules = [{**rule, **_outcome(rule["success"], rule["severity"]), "lines": _lines(rule["unexpected_lines"]),
              "validated_at": _when(rule["validated_at"])} for rule in rows["rules"]]
    suite = rules[0] if rules else None
    return {
        "source": source,
        "period": str(parse_any(period)),
        "status": {**status, "decided_at": _when(status["decided_at"])},
        "sha256": sha,
        "files": [{**f, "current": f["sha256"] == sha, "first_pulled_at": _when(f["first_pulled_at"]),
                   "last_pulled_at": _when(f["last_pulled_at"])} for f in rows["files"]],
        "suite": {"name": suite["suite_name"], "version": suite["suite_version"], "run_id": suite["run_id"],
                  "validated_at": suite["validated_at"]} if suite else None,
        "rules": rules,
        "passed": sum(rule["success"] for rule in rules),
        "failed": sum(not rule["success"] and rule["severity"] == "critical" for rule in rules),
        "warned": sum(not rule["success"] and rule["severity"] != "critical" for rule in rules),
        "quarantined": status["quarantined_rows"],
        "quarantine": [{**q, "quarantined_at": _when(q["quarantined_at"])} for q in rows["quarantine"]],
        "quarantine_shown": QUARANTINE_SHOWN,
        "checks": [{**c, **_outcome(c["passed"]), "checked_at": _when(c["checked_at"])} for c in rows["checks"]],
        "loads": [{**b, "current": b["file_sha256"] == sha, "loaded_at": _when(b["loaded_at"])}
                  for b in rows["loads"]],
        "notices": [{**n, "noted_at": _when(n["noted_at"])} for n in rows["notices"]],
        "outcomes": OUTCOME,
    }


def render(warehouse: Warehouse, source: str, period: str) -> str:
    """The data-quality page of a (source, period) as one self-contained HTML page."""
    page = context(source, period, read(warehouse, source, period))
    return environment().get_template(TEMPLATE).render(**page)


def write(warehouse: Warehouse, source: str, period: str, out_dir: Path | str | None = None) -> Path:
    """Write the page to :func:`page_path` and return that path."""
    html = render(warehouse, source, period)
    path = page_path(source, period, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
