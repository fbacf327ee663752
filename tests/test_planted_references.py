"""A person's reference planted in every column position of each partner file that holds people is found nowhere
the pipeline writes.

Each file carries its valid rows and, for every column, a row with a recognisable reference in that column (the
rows' own references fresh, so no rule but the column's own fails), a row slipped one column left and one slipped
one column right. Searched, for the planted values and for every raw reference of the file: every value of the
warehouse (staging, core, mart and audit), the states each step returns (what travels as XCom), the log records
and printed output, the data-quality page, the data-quality alert, and every file the pipeline wrote in its
working area (validated files, pages, exports, the published copy's tables through the warehouse scan). Not
searched: the partner's drop folder and the raw copies in ``landing/`` and ``quarantine/``, which keep the file
as delivered until its retention rule deletes it (``tests/test_retention.py``).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest

from safer_communities.sources import ingest
from safer_communities.sources.contracts import load_contract
from safer_communities.sources.registry import get_source
from tests import test_iom, test_marac, test_survey
from tests.partner_files import csv_bytes, deliver_file, file_text, values_containing, xlsx_bytes

AS_OF = date(2026, 11, 26)
# source -> (period, the file's valid rows)
FILES = {
    "marac_referrals": ("2014/15 Q2", test_marac.REFERRALS["2014/15 Q2"]),
    "iom_cohort": ("2014/15", test_iom.COHORTS["2014/15"]),
    "community_survey": ("2015/16 Q1", test_survey.Q1),
}
RAW_COPIES = ("drop", "landing", "quarantine")


def planted(source: str, column: int) -> str:
    return f"PLANTED-{source[:4].upper()}-{column:02d}-REF"


def fresh(row: list[str], refs: list[int], tag: str) -> list[str]:
    """The row with references of its own (a planted row must not break 'unique' for the valid rows)."""
    return [f"REF-{tag}-{position}" if position in refs else value for position, value in enumerate(row)]


def planted_file(source: str) -> tuple[list[str], list[list[str]], set[str]]:
    """The contract's header, the rows (valid, planted in each column, slipped left and right) and the needles:
    every planted value and every raw reference the file holds."""
    contract = load_contract(get_source(source).contract)
    header = contract.column_names
    refs = [i for i, column in enumerate(contract.columns) if column.person_ref]
    _, valid = FILES[source]
    rows = [list(row) for row in valid]
    template = list(valid[0])
    for column in range(len(header)):
        row = fresh(template, refs, f"C{column}")
        row[column] = planted(source, column)
        rows.append(row)
    needles = {planted(source, column) for column in range(len(header))}
    needles |= {row[i].strip().upper() for row in rows for i in refs if row[i].strip()}
    needles |= {f"REF-{tag}-{i}" for tag in ("LEFT", "RIGHT") for i in refs}
    rows.append(fresh(template, refs, "LEFT")[1:] + [""])  # a column lost at the front: each value one left
    rows.append(["", *fresh(template, refs, "RIGHT")])  # one gained: each value one right, one too many
    return header, rows, needles


def written_files(home: Path) -> list[Path]:
    """Every file the pipeline wrote in its working area, but the raw copies and the DuckDB files (their tables are
    searched through the warehouse)."""
    return [path for path in home.rglob("*") if path.is_file()
            and not any(part in RAW_COPIES for part in path.relative_to(home).parts)
            and path.suffix not in (".duckdb", ".wal")]


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
@pytest.mark.parametrize("source", sorted(FILES))
def test_a_reference_planted_in_any_column_is_found_nowhere_the_pipeline_writes(
        source, ext, home, warehouse, key, caplog, capfd):
    from safer_communities import dashboard
    from safer_communities.alerts import Alert, quality_findings
    from safer_communities.periods import Month, parse_any
    from safer_communities.publish import quality_docs

    caplog.set_level(logging.DEBUG)
    period, valid = FILES[source]
    header, rows, needles = planted_file(source)
    content = xlsx_bytes(header, rows) if ext == "xlsx" else csv_bytes(header, rows)
    deliver_file(home, source, period, content, ext)

    states = [ingest.plan(source, period)]
    states.append(ingest.check_availability(states[-1], as_of=AS_OF))
    states.append(ingest.pull(states[-1], as_of=AS_OF))
    states.append(ingest.validate(states[-1], run_id="t"))
    for step in (ingest.load, ingest.record_status):
        states.append(step(states[-1], run_id="t", warehouse=warehouse))
    (summary,) = states[-1]
    # The valid rows load; every planted or slipped row is quarantined, or loads with the planted value left out
    # (IOM: a cohort other than the file's rejects the whole file, a file-scope rule).
    table = load_contract(get_source(source).contract).staging_table
    loaded = warehouse.query(f"SELECT count(*) AS n FROM staging.{table}")[0]["n"]
    if source == "iom_cohort":
        assert (summary["status"], loaded) == ("rejected", 0) and "rule cohort_is_period" in summary["reason"]
    else:
        assert summary["status"] in ("available", "incomplete"), summary
        assert len(valid) <= loaded < len(rows)

    page = quality_docs.write(warehouse, source, period)
    findings = quality_findings(states[-2], run_id="t", warehouse=warehouse)
    alert = Alert(kind="data_quality", subject="s", dag_id="d", run_id="t", link="l", findings=findings)
    # the dashboard of the period's last quarter: its mart rows (scanned in the warehouse) and exports
    dashboard.compute(warehouse, Month.of(parse_any(period).end).quarter, run_id="t", export_dir=home / "exports")
    printed = capfd.readouterr()

    assert values_containing(warehouse, needles) == []
    texts = {"logs": caplog.text, "stdout": printed.out, "stderr": printed.err, "states": json.dumps(states),
             "alert": alert.text(), "findings": json.dumps(findings)}
    texts |= {str(path.relative_to(home)): file_text(path) for path in written_files(home)}
    assert str(page.relative_to(home)) in texts and str(Path("exports")) in {Path(n).parts[0] for n in texts}
    found = {(where, needle) for where, text in texts.items() for needle in needles if needle in text.upper()}
    assert found == set()
