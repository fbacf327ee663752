"""Community Based Survey: weighted quarterly measures, effective sample size, pseudonymised respondents.

The weighted percentages and Kish effective n are checked against answers
worked by hand on a small fixture with unequal weights, a "Don't know" and a
blank answer; the Wilson interval is taken on the effective n.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import date

import pytest

from safer_communities.dashboard.statistics import wilson_interval
from safer_communities.sources import ingest
from safer_communities.sources.contracts import WITHHELD
from safer_communities.sources.pseudonymise import PseudonymisationKeyMissing
from tests.conftest import PSEUDONYMISATION_KEY as KEY
from tests.partner_files import csv_bytes, deliver_file, file_text, values_containing, xlsx_bytes

AS_OF = date(2026, 11, 26)
SOURCE = "community_survey"
COUNTY = "E10000018"
BLABY, CHARNWOOD, MELTON = "E07000129", "E07000130", "E07000133"
HEADER = ["Respondent ref", "interview date", "DISTRICT", "weight", "ASB problem",
          "Police and council dealing with ASB and crime", "Feel_safe_after_dark"]

# (respondent ref as written by the research team, interview date, district, weight, ASB problem,
#  agree police and council are dealing, feel safe after dark)
Q1 = [
    ("CBS-0001", "2015-04-02", "Blaby", "0.5", "Very big problem", "Tend to agree", "Very safe"),
    ("CBS-0002", "2015-04-15", "Blaby", "1.5", "Not a problem at all", "Strongly disagree", "A bit unsafe"),
    (" cbs-0003 ", "2015-05-06", "Blaby", "2", "Don't know", "Don't know", "Fairly safe"),
    ("CBS-0004", "2015-05-20", "Charnwood", "1", "Fairly big problem", "Neither agree nor disagree", "Very unsafe"),
    ("CBS-0005", "2015-06-03", "Charnwood", "3", "Not a very big problem", "Strongly agree", "Don't know"),
    ("CBS-0006", "2015-06-30", "Melton", "0.8", "Fairly big problem", "", "Fairly safe"),
]
# July and September only: August has no interviews
Q2_PARTIAL = [
    ("CBS-0101", "2015-07-08", "Harborough", "1.2", "Not a problem at all", "Tend to agree", "Very safe"),
    ("CBS-0102", "2015-09-21", "Oadby and Wigston", "0.9", "Fairly big problem", "Tend to disagree", "Fairly safe"),
]

# Worked by hand from Q1 ("Don't know" and blank answers are out of the base):
#   asb_problem, county: base R1 .5 (yes) R2 1.5 R4 1 (yes) R5 3 R6 .8 (yes): yes 2.3 of 6.8 = 33.8235%;
#       sum w^2 = .25 + 2.25 + 1 + 9 + .64 = 13.14, effective n = 6.8^2 / 13.14 = 46.24 / 13.14 = 3.519026
#   agree_dealing, county: base R1 .5 (yes) R2 1.5 R4 1 R5 3 (yes): 3.5 of 6.0 = 58.3333%; n_eff 36 / 12.5 = 2.88
#   feel_safe, county: base R1 .5 (yes) R2 1.5 R3 2 (yes) R4 1 R6 .8 (yes): 3.3 of 5.8 = 56.8966%;
#       n_eff = 33.64 / 8.14 = 4.132678
#   feel_safe, Blaby: R1 .5 (yes) R2 1.5 R3 2 (yes): 2.5 of 4 = 62.5%; n_eff = 16 / 6.5 = 2.461538
#   agree_dealing, Melton: R6's answer is blank: no base
EXPECTED = {
    # (area, measure): (respondents, weighted_yes, weighted_total, weighted_pct, effective_n)
    (COUNTY, "asb_problem"): (5, 2.3, 6.8, 33.823529, 3.519026),
    (COUNTY, "agree_dealing"): (4, 3.5, 6.0, 58.333333, 2.88),
    (COUNTY, "feel_safe"): (5, 3.3, 5.8, 56.896552, 4.132678),
    (BLABY, "asb_problem"): (2, 0.5, 2.0, 25.0, 1.6),
    (BLABY, "feel_safe"): (3, 2.5, 4.0, 62.5, 2.461538),
    (CHARNWOOD, "agree_dealing"): (2, 3.0, 4.0, 75.0, 1.6),
    (CHARNWOOD, "feel_safe"): (1, 0.0, 1.0, 0.0, 1.0),
    (MELTON, "asb_problem"): (1, 0.8, 0.8, 100.0, 1.0),
    (MELTON, "agree_dealing"): (0, 0.0, 0.0, None, None),
}


def survey_cell(value: str):
    """A cell as typed in a spreadsheet: ISO dates as dates, numbers as decimals, empty as empty, else text."""
    if value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def deliver(home, quarter: str, rows, ext: str = "csv", header=HEADER) -> None:
    content = (xlsx_bytes(header, rows, sheet="Responses", cell=survey_cell) if ext == "xlsx"
               else csv_bytes(header, rows))
    deliver_file(home, SOURCE, quarter, content, ext)


def run(warehouse, period: str, as_of: date = AS_OF) -> list[dict]:
    return ingest.ingest(SOURCE, period, as_of=as_of, run_id="t", warehouse=warehouse)


def measures(warehouse, quarter: str = "2015/16 Q1") -> dict:
    rows = warehouse.query("SELECT * FROM core.survey_quarterly WHERE quarter_label = :q", {"q": quarter})
    return {(r["area_code"], r["measure"]): r for r in rows}


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_weighted_percentages_and_effective_n_match_the_hand_computed_answer(home, warehouse, key, ext):
    deliver(home, "2015/16 Q1", Q1, ext)
    outcome = run(warehouse, "2015/16 Q1")[0]
    assert outcome["status"] == "available" and outcome["reason"] == "Loaded 6 rows."

    found = measures(warehouse)
    assert len(found) == 8 * 3  # every quarter x area (county + seven districts) x measure has a row
    for (area, measure), (n, yes, total, pct, n_eff) in EXPECTED.items():
        row = found[(area, measure)]
        assert int(row["respondents"]) == n, (area, measure)
        assert row["weighted_yes"] == pytest.approx(yes) and row["weighted_total"] == pytest.approx(total)
        if pct is None:
            assert row["weighted_pct"] is None and row["effective_n"] is None
        else:
            assert row["weighted_pct"] == pytest.approx(pct, abs=1e-6), (area, measure)
            assert row["effective_n"] == pytest.approx(n_eff, abs=1e-6), (area, measure)
    empty = [key for key, row in found.items() if key[0] not in (COUNTY, BLABY, CHARNWOOD, MELTON)]
    assert len(empty) == 4 * 3 and all(int(found[k]["respondents"]) == 0 for k in empty)
    assert {r["area_name"] for r in found.values()} >= {"Leicestershire", "Blaby", "Oadby and Wigston"}


def test_the_wilson_interval_is_taken_on_the_effective_n(home, warehouse, key):
    deliver(home, "2015/16 Q1", Q1)
    run(warehouse, "2015/16 Q1")
    row = measures(warehouse)[(COUNTY, "asb_problem")]
    p, n_eff = row["weighted_pct"] / 100, row["effective_n"]
    lower, upper = wilson_interval(p * n_eff, n_eff)
    # by hand: p = 0.338235, n = 3.519026, z^2/n = 1.091625; centre = (0.338235 + 0.545813) / 2.091625 = 0.422661
    # half = 1.959964 / 2.091625 * sqrt(0.223832 / 3.519026 + 1.091625 / (4 * 3.519026)) = 0.937053 * 0.375709
    #      = 0.352060 -> 7.06% to 77.47%
    assert (100 * lower, 100 * upper) == pytest.approx((7.0601, 77.4721), abs=1e-3)
    # the unweighted n (5) would claim a narrower interval than the weights allow
    naive = wilson_interval(p * 5, 5)
    assert naive[1] - naive[0] < upper - lower


def test_statuses_available_incomplete_awaited_and_late(home, warehouse, key):
    deliver(home, "2015/16 Q1", Q1, "xlsx")
    deliver(home, "2015/16 Q2", Q2_PARTIAL)
    statuses = {s["period"]: s for s in run(warehouse, "2015/16")}
    assert {p: s["status"] for p, s in statuses.items()} == {
        "2015/16 Q1": "available", "2015/16 Q2": "incomplete", "2015/16 Q3": "late",
        "2015/16 Q4": "late"}
    assert statuses["2015/16 Q2"]["reason"] == "Incomplete: no records dated in 2015-08 of 2015/16 Q2."
    assert "deadline 2016-03-31" in statuses["2015/16 Q3"]["reason"]  # 91 days after 31 December (leap year)
    # the incomplete quarter is still loaded
    assert int(measures(warehouse, "2015/16 Q2")[(COUNTY, "asb_problem")]["respondents"]) == 2

    late = run(warehouse, "2026/27 Q2")[0]
    assert late["status"] == "awaited" and "expected by 2026-12-30" in late["reason"]  # 91 days after 30 September
    assert "community-survey-2026-27-Q2.xlsx" in late["reason"]
    gone = run(warehouse, "2026/27 Q1")[0]
    assert gone["status"] == "late" and "deadline 2026-09-29" in gone["reason"]
    recorded = {r["period"]: r["status"] for r in warehouse.query(
        "SELECT period, status FROM audit.source_status WHERE source = :s", {"s": SOURCE})}
    assert recorded["2015/16 Q2"] == "incomplete" and recorded["2026/27 Q2"] == "awaited"
    checks = warehouse.query("SELECT period, passed FROM audit.completeness_result WHERE check_name = 'months_covered' "
                             "ORDER BY period")
    assert [(c["period"], bool(c["passed"])) for c in checks] == [("2015/16 Q1", True), ("2015/16 Q2", False)]


BAD_FILES = {
    "missing column": (
        [h for h in HEADER if h != "weight"], [r[:3] + r[4:] for r in Q1], "header_match",
        "missing required columns ['Weight']"),
    "unknown column": (
        [*HEADER, "Respondent name"], [(*r, "A. Person") for r in Q1], "header_match",
        "unknown columns ['Respondent name']"),
    "no rows": (HEADER, [], "has_rows", "the file has 0 data rows"),
}


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_rejected_for_its_rule(home, warehouse, key, ext, case):
    header, rows, rule, message = BAD_FILES[case]
    deliver(home, "2015/16 Q1", rows, ext, header)
    outcome = run(warehouse, "2015/16 Q1")[0]
    assert outcome["status"] == "rejected"
    assert f"community-survey-2015-16-Q1.{ext}: rule {rule}" in outcome["reason"]
    assert message in outcome["reason"]
    failed = warehouse.query("SELECT rule, severity, scope FROM audit.validation_result "
                             "WHERE source = :s AND NOT success", {"s": SOURCE})
    assert [(r["rule"], r["severity"], r["scope"]) for r in failed] == [(rule, "critical", "file")]
    assert list((home / "var" / "quarantine" / SOURCE / "2015-16-Q1").glob(f"*__community-survey-2015-16-Q1.{ext}"))
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_survey_response")[0]["n"] == 0


BAD_ROWS = [
    (" cbs-0001", "2015-04-03", "Blaby", "1", "Very big problem", "Tend to agree", "Very safe"),  # 8: duplicates 2
    ("CBS-0010", "2015-04-03", "Blaby", "25", "Very big problem", "Tend to agree", "Very safe"),  # 9: weight > 20
    ("CBS-0011", "2015-04-03", "Blaby", "0", "Very big problem", "Tend to agree", "Very safe"),   # 10: weight < 0.01
    ("CBS-0012", "2015-04-03", "Blaby", "1", "Quite a big problem", "Tend to agree", "Very safe"),  # 11: ASB answer
    ("CBS-0013", "2015-04-03", "Rutland", "1", "Very big problem", "Tend to agree", "Very safe"),  # 12: district
    ("CBS-0014", "2015-07-01", "Blaby", "1", "Very big problem", "Tend to agree", "Very safe"),  # 13: next quarter
    ("CBS-0015", "2015-04-03", "Blaby", "heavy", "Very big problem", "Tend to agree", "Very safe"),  # 14: not a number
    ("CBS-0016", "2015-04-03", "Melton", "1", "Not a problem at all", "Tend to agree", "Safe"),  # 15: warning, loaded
    ("", "2015-04-03", "Blaby", "1", "Very big problem", "Tend to agree", "Very safe"),  # 16: no respondent ref
    ("CBS-0017", "2015-04-03", "Blaby", "", "Very big problem", "Tend to agree", "Very safe"),  # 17: no weight
]
RAW_REFS = {ref.strip().upper() for ref, *_ in Q1 + Q2_PARTIAL + BAD_ROWS if ref.strip()}


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_bad_rows_are_quarantined_each_for_its_rule(home, warehouse, key, ext):
    deliver(home, "2015/16 Q1", Q1 + BAD_ROWS, ext)
    outcome = run(warehouse, "2015/16 Q1")[0]
    assert outcome["status"] == "available"
    assert outcome["reason"] == "Loaded 6 rows (10 rows quarantined, 1 validation warning(s))."
    quarantined = {q["line"]: q["rules"] for q in warehouse.query("SELECT line, rules FROM audit.quarantine")}
    assert quarantined == {
        2: "respondent_ref_unique", 8: "respondent_ref_unique", 9: "weight_range", 10: "weight_range",
        11: "asb_problem_known", 12: "district_known", 13: "interview_date_in_period", 14: "parse_type",
        16: "respondent_ref_present", 17: "weight_present"}
    warning = warehouse.query("SELECT severity, unexpected_lines FROM audit.validation_result "
                              "WHERE rule = 'feel_safe_known'")[0]
    assert warning["severity"] == "warning" and json.loads(warning["unexpected_lines"]) == [15]
    loaded = warehouse.query("SELECT feel_safe_after_dark AS answer FROM core.fact_survey_response "
                             "WHERE district_code = :d", {"d": MELTON})
    # An unknown wording ('Safe') loads as empty: in a file that holds people it is not known to be safe to
    # keep (a shifted reference could sit there); it stays out of the base as before.
    assert sorted(r["answer"] or "" for r in loaded) == ["", "Fairly safe"]
    melton = measures(warehouse)[(MELTON, "feel_safe")]
    assert int(melton["respondents"]) == 1


def test_no_raw_respondent_reference_reaches_the_warehouse_logs_or_states(home, warehouse, key, caplog):
    caplog.set_level(logging.DEBUG)
    deliver(home, "2015/16 Q1", Q1, "xlsx")
    deliver(home, "2015/16 Q2", Q2_PARTIAL + [
        ("CBS-0204", "2015-08-05", "Charnwood", "1", "Not a problem at all", "Tend to agree", "Very safe"),
        ("CBS-0205", "2015-07-09", "Melton", "1.1", "Not a problem at all", "Tend to agree", "Very safe"),
        ("cbs-0101 ", "2015-08-01", "Blaby", "1", "Very big problem", "Tend to agree", "Very safe"),  # duplicate
        ("CBS-0201", "2015-08-02", "Rutland", "1", "Very big problem", "Tend to agree", "Very safe"),  # district
        ("CBS-0202", "2015-08-03", "Blaby", "lots"),  # short row
        ("CBS-0203", "2015-08-04", "Blaby", "x", "Very big problem", "Tend to agree", "Very safe"),  # bad weight
    ])
    deliver(home, "2015/16 Q3", [("CBS-0301", "2015-10-01", "Blaby", "1", "Very big problem", "Tend to agree",
                                  "Very safe")], header=["Resp ref", *HEADER[1:]])  # rejected: header
    states = run(warehouse, "2015/16")
    raw_refs = RAW_REFS | {"CBS-0201", "CBS-0202", "CBS-0203", "CBS-0204", "CBS-0205", "CBS-0301"}

    assert [s["status"] for s in states] == ["available", "available", "rejected", "late"]
    assert values_containing(warehouse, raw_refs) == []
    assert not any(ref in caplog.text.upper() for ref in raw_refs)
    assert not any(ref in json.dumps(states).upper() for ref in raw_refs)
    assert KEY not in caplog.text
    validated = [file_text(p).upper() for p in (home / "var" / "validated").rglob("*.parquet")]
    assert validated and not any(ref in text for ref in raw_refs for text in validated)

    # the pseudonym is HMAC-SHA256 of the normalised reference: ' cbs-0003 ' is CBS-0003
    pseudonyms = {r["respondent_pseudonym"] for r in warehouse.query(
        "SELECT respondent_pseudonym FROM core.fact_survey_response WHERE period = '2015/16 Q1'")}
    assert hmac.new(KEY.encode(), b"CBS-0003", hashlib.sha256).hexdigest() in pseudonyms
    quarantined = warehouse.query("SELECT line, rules, raw_record FROM audit.quarantine WHERE period = '2015/16 Q2' "
                                  "ORDER BY line")
    assert [(q["line"], q["rules"]) for q in quarantined] == [
        (2, "respondent_ref_unique"), (6, "respondent_ref_unique"), (7, "district_known"),
        (8, "parse_field_count"), (9, "parse_type")]
    assert {q["raw_record"] for q in quarantined} == {WITHHELD}


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_reloading_a_quarter_replaces_it(home, warehouse, key, ext):
    deliver(home, "2015/16 Q1", Q1, ext)
    for _ in range(3):
        assert run(warehouse, "2015/16 Q1")[0]["status"] == "available"
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_survey_response")[0]["n"] == 6
    assert warehouse.query("SELECT COUNT(*) AS n FROM staging.community_survey")[0]["n"] == 6
    county = measures(warehouse)[(COUNTY, "asb_problem")]
    assert int(county["respondents"]) == 5 and county["weighted_pct"] == pytest.approx(33.823529, abs=1e-6)
    # a corrected delivery replaces the quarter: without R1 the county ASB measure is 1.8 of 6.3
    deliver(home, "2015/16 Q1", Q1[1:], ext)
    assert run(warehouse, "2015/16 Q1")[0]["reason"] == "Loaded 5 rows."
    county = measures(warehouse)[(COUNTY, "asb_problem")]
    assert int(county["respondents"]) == 4 and county["weighted_pct"] == pytest.approx(100 * 1.8 / 6.3, abs=1e-6)


def test_a_missing_key_stops_the_run_before_anything_is_loaded(home, warehouse, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION", raising=False)
    deliver(home, "2015/16 Q1", Q1)
    with pytest.raises(PseudonymisationKeyMissing, match="safer_communities_pseudonymisation"):
        run(warehouse, "2015/16 Q1")
    assert warehouse.query("SELECT COUNT(*) AS n FROM staging.community_survey")[0]["n"] == 0
