"""Bad files through the whole path: a clear error naming file, line and rule, and nothing lost."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from safer_communities.sources import ingest
from tests.conftest import drop_police
from tests.police_samples import COLUMNS, january_rows, to_bytes

FILE = "2020-01-leicestershire-street.csv"


def _wrong_header():
    rows = january_rows(20)
    rows[0] = [c.upper() for c in COLUMNS]
    return to_bytes(rows)


def _wrong_month():
    rows = january_rows(20)
    rows[4][1] = "2020-02"
    return to_bytes(rows)


def _non_utf8():
    return to_bytes(january_rows(20)).replace(b"Hobill Close", b"Hobill Cl\xf6se", 1)


def _duplicated_id():
    rows = january_rows(20)
    crimes = [i for i, row in enumerate(rows) if i and row[0]]
    rows[crimes[1]][0] = rows[crimes[0]][0]
    return to_bytes(rows), {crimes[0] + 1: "crime_id_unique", crimes[1] + 1: "crime_id_unique"}


def _garbage():
    rows = january_rows(20)
    rows[10] = ["<html>", "oops"]
    rows[11][9] = "Vehicle crim"
    return to_bytes(rows)


dup_bytes, dup_lines = _duplicated_id()

CASES = {
    # name: (content, status, {line named: rule broken}); line 1 is the header
    "wrong header": (_wrong_header(), "rejected", {1: "header_exact"}),
    "wrong month inside": (_wrong_month(), "rejected", {5: "month_is_period"}),
    "empty file": (b"", "rejected", {1: "header_exact"}),
    "non-UTF-8 bytes": (_non_utf8(), "available", {2: "parse_utf8"}),
    "duplicated Crime ID": (dup_bytes, "available", dup_lines),
    "garbage rows": (_garbage(), "available", {11: "parse_field_count", 12: "crime_type_known"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case, home, warehouse):
    content, status, broken = CASES[case]
    drop_police(home, "2020-01", content)
    outcome = ingest.ingest("police_street_crime", "2020-01", as_of=date(2026, 11, 26), run_id="t",
                            warehouse=warehouse)[0]
    assert outcome["status"] == status

    sha = hashlib.sha256(content).hexdigest()
    landed = home / "var/landing/police_street_crime/2020-01" / f"{sha}.csv"
    assert landed.read_bytes() == content, "the raw file is kept as delivered"

    failed = warehouse.query(
        "SELECT rule, severity, unexpected_lines, message FROM audit.validation_result "
        f"WHERE file_sha256 = '{sha}' AND NOT success ORDER BY rule"
    )
    for line, rule in broken.items():
        recorded = next(r for r in failed if r["rule"] == rule)
        assert recorded["severity"] == "critical"
        assert FILE in recorded["message"]
        if line > 1:
            assert line in json.loads(recorded["unexpected_lines"])

    if status == "rejected":
        reason = outcome["reason"]
        for line, rule in broken.items():
            assert f"{FILE}: rule {rule}" in reason
            assert line == 1 or f"line {line} " in reason
        kept = list((home / "var/quarantine/police_street_crime/2020-01").glob(f"{sha}__*"))
        assert [p.name for p in kept] == [f"{sha}__{FILE}"]
        assert (kept[0].parent / f"{sha}.reason.txt").read_text().startswith(FILE)
        assert warehouse.query("SELECT COUNT(*) AS n FROM staging.police_street")[0]["n"] == 0
    else:
        quarantined = warehouse.query(
            "SELECT line, rules, detail, raw_record FROM audit.quarantine ORDER BY line")
        assert {q["line"]: q["rules"] for q in quarantined} == broken
        assert all(q["raw_record"] for q in quarantined)
        loaded = warehouse.query("SELECT COUNT(*) AS n FROM staging.police_street")[0]["n"]
        assert loaded == 20 - len(broken)
        assert f"{len(broken)} rows quarantined" in outcome["reason"]
