"""Youth offending service: first-time entrants and proven re-offending, two quarterly sources in one DAG.

Both contracts are exercised with CSV and .xlsx, forgiving headers included.
The county re-offending rate is checked against a hand-computed answer (the
county is the sum of the districts; an empty cohort has no rate). The 18-month
lag of re-offending is configuration: a cohort quarter's file is due 593 days
after the quarter ends, and the statuses follow from that date alone.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from safer_communities.sources import ingest
from safer_communities.sources.contracts import Rule, load_contract
from tests.conftest import PROJECT
from tests.partner_files import csv_bytes, deliver_file, xlsx_bytes

AS_OF = date(2026, 11, 26)
FTE = "youth_first_time_entrants"
REOFFENDING = "youth_reoffending"
FILE_STEM = {FTE: "first-time-entrants", REOFFENDING: "proven-reoffending"}
DISTRICTS = ["Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton", "North West Leicestershire",
             "Oadby and Wigston"]
CODES = dict(zip(DISTRICTS, (f"E07000{n}" for n in range(129, 136)), strict=True))
SHEET = "Return"  # workbooks as the service sends them: counts as numbers, the quarter as text

FTE_HEADER = ["district", "QUARTER", "First_Time_Entrants"]
FTE_ROWS = {
    "2015/16 Q1": [("Blaby", "2015/16 Q1", "6"), ("Charnwood", "2015/16 Q1", "14"), ("Harborough", "2015/16 Q1", "3"),
                   ("Hinckley and Bosworth", "2015/16 Q1", "7"), ("Melton", "2015/16 Q1", "2"),
                   ("North West Leicestershire", "2015/16 Q1", "5"), ("Oadby and Wigston", "2015/16 Q1", "0")],
    "2015/16 Q2": [("Blaby", "2015/16 Q2", "4"), ("Charnwood", "2015/16 Q2", "11"), ("Harborough", "2015/16 Q2", "2"),
                   ("Hinckley and Bosworth", "2015/16 Q2", "9"), ("Melton", "2015/16 Q2", "1"),
                   ("North West Leicestershire", "2015/16 Q2", "6"), ("Oadby and Wigston", "2015/16 Q2", "3")],
}

RE_HEADER = ["District", "cohort quarter", "Cohort_size", "RE-OFFENDERS"]
# (district, cohort quarter, cohort size, re-offenders)
RE_ROWS = {
    "2015/16 Q1": [("Blaby", "2015/16 Q1", "40", "14"), ("Charnwood", "2015/16 Q1", "85", "31"),
                   ("Harborough", "2015/16 Q1", "22", "5"), ("Hinckley and Bosworth", "2015/16 Q1", "37", "12"),
                   ("Melton", "2015/16 Q1", "15", "6"), ("North West Leicestershire", "2015/16 Q1", "33", "11"),
                   ("Oadby and Wigston", "2015/16 Q1", "0", "0")],   # an empty cohort: no rate
    "2015/16 Q2": [("Blaby", "2015/16 Q2", "38", "10"), ("Charnwood", "2015/16 Q2", "80", "24"),
                   ("Harborough", "2015/16 Q2", "20", "4"), ("Hinckley and Bosworth", "2015/16 Q2", "35", "10"),
                   ("Melton", "2015/16 Q2", "12", "3"), ("North West Leicestershire", "2015/16 Q2", "30", "9"),
                   ("Oadby and Wigston", "2015/16 Q2", "10", "2")],
}
# Hand-computed county (E10000018) totals and rates:
#   Q1: cohort 40+85+22+37+15+33+0 = 232, re-offenders 14+31+5+12+6+11+0 = 79, 79/232 = 34.0517...%
#   Q2: cohort 38+80+20+35+12+30+10 = 225, re-offenders 10+24+4+10+3+9+2 = 62, 62/225 = 27.5555...%
COUNTY = {"2015/16 Q1": (232, 79, 34.0517), "2015/16 Q2": (225, 62, 27.5556)}


def deliver(home, source: str, quarter: str, content: bytes, ext: str = "csv") -> None:
    deliver_file(home, source, quarter, content, ext)


def run(warehouse, source: str, period: str, as_of: date = AS_OF) -> dict:
    states = ingest.ingest(source, period, as_of=as_of, run_id="t", warehouse=warehouse)
    assert len(states) == 1
    return states[0]


def quarantined(warehouse, source: str) -> dict[int, str]:
    return {q["line"]: q["rules"] for q in warehouse.query(
        "SELECT line, rules FROM audit.quarantine WHERE source = :source", {"source": source})}


def test_both_contracts_load_from_csv_and_xlsx(home, warehouse):
    deliver(home, FTE, "2015/16 Q1", csv_bytes(FTE_HEADER, FTE_ROWS["2015/16 Q1"]))
    deliver(home, FTE, "2015/16 Q2", xlsx_bytes(FTE_HEADER, FTE_ROWS["2015/16 Q2"], sheet=SHEET), "xlsx")
    deliver(home, REOFFENDING, "2015/16 Q1", csv_bytes(RE_HEADER, RE_ROWS["2015/16 Q1"]))
    # columns in another order in the workbook: matched by name
    order = [1, 0, 3, 2]
    deliver(home, REOFFENDING, "2015/16 Q2", xlsx_bytes([RE_HEADER[i] for i in order],
                                                        [[row[i] for i in order] for row in RE_ROWS["2015/16 Q2"]],
                                                        sheet=SHEET), "xlsx")
    for source in (FTE, REOFFENDING):
        states = ingest.ingest(source, "2015/16 Q1", as_of=AS_OF, run_id="t", warehouse=warehouse) + \
            ingest.ingest(source, "2015/16 Q2", as_of=AS_OF, run_id="t", warehouse=warehouse)
        assert [(s["period"], s["status"], s["reason"]) for s in states] == [
            ("2015/16 Q1", "available", "Loaded 7 rows."), ("2015/16 Q2", "available", "Loaded 7 rows.")]

    entrants = {(r["period"], r["district_code"]): r["first_time_entrants"] for r in warehouse.query(
        "SELECT period, district_code, first_time_entrants FROM core.fact_youth_first_time_entrants")}
    assert entrants == {(q, CODES[d]): int(n) for q, rows in FTE_ROWS.items() for d, _, n in rows}
    cohorts = {(r["period"], r["district_code"]): (r["cohort_size"], r["reoffenders"]) for r in warehouse.query(
        "SELECT period, district_code, cohort_size, reoffenders FROM core.fact_youth_reoffending")}
    assert cohorts == {(q, CODES[d]): (int(c), int(r)) for q, rows in RE_ROWS.items() for d, _, c, r in rows}
    assert warehouse.query("SELECT COUNT(*) AS n FROM audit.quarantine")[0]["n"] == 0
    assert not any(c.person_ref for name in (FTE, REOFFENDING) for c in load_contract(name).columns)


def test_county_reoffending_rate_matches_the_hand_computed_answer(home, warehouse):
    for quarter, rows in RE_ROWS.items():
        deliver(home, REOFFENDING, quarter, csv_bytes(RE_HEADER, rows))
        assert run(warehouse, REOFFENDING, quarter)["status"] == "available"
    rates = {(r["period"], r["area_code"]): r for r in warehouse.query(
        "SELECT period, area_code, area_name, cohort_size, reoffenders, rate_pct FROM core.youth_reoffending_rate")}
    assert len(rates) == 2 * 8  # seven districts and the county, per cohort quarter
    for quarter, (cohort, reoffenders, rate) in COUNTY.items():
        county = rates[(quarter, "E10000018")]
        assert county["area_name"] == "Leicestershire"
        assert (int(county["cohort_size"]), int(county["reoffenders"])) == (cohort, reoffenders)
        assert county["rate_pct"] == pytest.approx(rate, abs=1e-4)
    assert rates[("2015/16 Q1", CODES["Blaby"])]["rate_pct"] == pytest.approx(35.0)       # 14 / 40
    assert rates[("2015/16 Q1", CODES["Oadby and Wigston"])]["rate_pct"] is None           # cohort of 0
    assert rates[("2015/16 Q2", CODES["Oadby and Wigston"])]["rate_pct"] == pytest.approx(20.0)  # 2 / 10


def test_reoffending_statuses_follow_the_declared_18_month_lag(home, warehouse):
    # cohort 2025/26 Q1 ends 2025-06-30; + 593 days (18 months to measure + 45 to deliver) = 2027-02-13
    awaited = run(warehouse, REOFFENDING, "2025/26 Q1")
    assert awaited["status"] == "awaited"
    # named within the drop folder, not by the server's path: the reason reaches the board report
    assert awaited["reason"] == ("Not yet due: expected by 2027-02-13 (no file at "
                                 "youth/proven-reoffending-2025-26-Q1.xlsx or "
                                 "youth/proven-reoffending-2025-26-Q1.csv in the drop folder).")
    assert run(warehouse, REOFFENDING, "2025/26 Q1", as_of=date(2027, 2, 13))["status"] == "awaited"
    after = run(warehouse, REOFFENDING, "2025/26 Q1", as_of=date(2027, 2, 14))
    assert after["status"] == "late" and "deadline 2027-02-13" in after["reason"]
    # cohort 2024/25 Q1 ends 2024-06-30: due by 2026-02-13, long past on 2026-11-26
    gone = run(warehouse, REOFFENDING, "2024/25 Q1")
    assert gone["status"] == "late"
    assert gone["reason"].startswith("Not delivered by the deadline 2026-02-13 (no file at ")
    rows = {(r["period"], r["status"]) for r in warehouse.query(
        "SELECT period, status FROM audit.source_status WHERE source = :s", {"s": REOFFENDING})}
    assert rows == {("2025/26 Q1", "late"), ("2024/25 Q1", "late")}  # the latest decision per period


def test_first_time_entrants_available_awaited_and_late(home, warehouse):
    deliver(home, FTE, "2026/27 Q1", csv_bytes(FTE_HEADER, [(d, "2026/27 Q1", "1") for d in DISTRICTS]))
    assert run(warehouse, FTE, "2026/27 Q1")["status"] == "available"
    # 2026/27 Q2 ends 2026-09-30; due 45 days later, 2026-11-14
    awaited = run(warehouse, FTE, "2026/27 Q2", as_of=date(2026, 11, 14))
    assert awaited["status"] == "awaited"
    assert awaited["reason"].startswith("Not yet due: expected by 2026-11-14 (no file at ")
    assert awaited["reason"].endswith("first-time-entrants-2026-27-Q2.csv in the drop folder).")
    gone = run(warehouse, FTE, "2026/27 Q2", as_of=date(2026, 11, 15))
    assert gone["status"] == "late" and "deadline 2026-11-14" in gone["reason"]
    # a whole financial year asks for its four quarters
    year = ingest.ingest(FTE, "2026/27", as_of=AS_OF, run_id="t", warehouse=warehouse)
    assert [(s["period"], s["status"]) for s in year] == [
        ("2026/27 Q1", "available"), ("2026/27 Q2", "late"), ("2026/27 Q3", "awaited"), ("2026/27 Q4", "awaited")]


def test_a_file_missing_a_district_is_loaded_but_incomplete(home, warehouse):
    rows = [row for row in FTE_ROWS["2015/16 Q1"] if row[0] not in ("Melton", "Blaby")]
    deliver(home, FTE, "2015/16 Q1", csv_bytes(FTE_HEADER, rows))
    outcome = run(warehouse, FTE, "2015/16 Q1")
    assert (outcome["status"], outcome["reason"]) == (
        "incomplete", "Incomplete: no row for Blaby, Melton in 2015/16 Q1.")
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_youth_first_time_entrants")[0]["n"] == 5
    checks = warehouse.query("SELECT check_name, passed FROM audit.completeness_result WHERE source = :s", {"s": FTE})
    assert checks == [{"check_name": "districts_covered", "passed": False}]


BAD_FILES = {
    # source, description -> (header, rows, rule that rejects)
    "fte wrong quarter": (FTE, FTE_HEADER, [(d, "2015/16 Q2", "1") for d in DISTRICTS], "quarter_is_period"),
    "fte missing column": (FTE, ["District", "Quarter"], [(d, "2015/16 Q1") for d in DISTRICTS], "header_match"),
    "fte no quarter": (FTE, FTE_HEADER, [(d, "" if d == "Melton" else "2015/16 Q1", "1") for d in DISTRICTS],
                       "quarter_present"),
    "fte header only": (FTE, FTE_HEADER, [], "has_rows"),
    "re wrong quarter": (REOFFENDING, RE_HEADER, [(d, "2014/15 Q1", "10", "2") for d in DISTRICTS],
                         "cohort_quarter_is_period"),
    "re extra column": (REOFFENDING, [*RE_HEADER, "Rate"], [(d, "2015/16 Q1", "10", "2", "20") for d in DISTRICTS],
                        "header_match"),
    "re no quarter": (REOFFENDING, RE_HEADER, [(d, "", "10", "2") for d in DISTRICTS], "cohort_quarter_present"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_rejected_for_the_right_rule(home, warehouse, case):
    source, header, rows, rule = BAD_FILES[case]
    deliver(home, source, "2015/16 Q1", csv_bytes(header, rows))
    outcome = run(warehouse, source, "2015/16 Q1")
    assert outcome["status"] == "rejected"
    assert f"{FILE_STEM[source]}-2015-16-Q1.csv: rule {rule} (" in outcome["reason"]
    failed = {r["rule"] for r in warehouse.query(
        "SELECT rule FROM audit.validation_result WHERE NOT success AND severity = 'critical'")}
    assert failed == {rule}
    assert warehouse.query("SELECT COUNT(*) AS n FROM audit.load_batch")[0]["n"] == 0
    kept = list((home / "var" / "quarantine" / source).rglob("*.reason.txt"))
    assert len(kept) == 1 and f"rule {rule}" in kept[0].read_text()


def test_bad_first_time_entrant_rows_are_quarantined_each_for_its_rule(home, warehouse):
    rows = [*FTE_ROWS["2015/16 Q1"][:5],
            ("North West Leicestershire", "2015/16 Q1", "1200"),  # line 7: above 1000
            ("Oadby and Wigston", "2015/16 Q1", "-1"),            # line 8: negative
            ("Rutland", "2015/16 Q1", "2"),                       # line 9: not a county district
            ("Charnwood", "2015/16 Q1", "9"),                     # line 10: Charnwood again (and line 3)
            ("Leicester", "2015/16 Q1", "3.5"),                   # line 11: not a whole number
            ("Blaby ", "2015/16 Q1", ""),                         # line 12: no count, district with a space
            ]
    deliver(home, FTE, "2015/16 Q1", csv_bytes(FTE_HEADER, rows))
    outcome = run(warehouse, FTE, "2015/16 Q1")
    # the districts whose rows were all quarantined are missing from the loaded return
    assert (outcome["status"], outcome["reason"]) == ("incomplete", "Incomplete: no row for Charnwood, North West "
                                                      "Leicestershire, Oadby and Wigston in 2015/16 Q1 (7 rows "
                                                      "quarantined).")
    assert quarantined(warehouse, FTE) == {
        3: "district_unique", 7: "entrants_range", 8: "entrants_range", 9: "district_known",
        10: "district_unique", 11: "parse_type", 12: "district_known, entrants_present"}
    detail = warehouse.query("SELECT detail, raw_record FROM audit.quarantine WHERE line = 7")[0]
    assert detail == {"detail": "First time entrants=1200", "raw_record": "North West Leicestershire,2015/16 Q1,1200"}
    loaded = {r["district_code"]
              for r in warehouse.query("SELECT district_code FROM core.fact_youth_first_time_entrants")}
    assert loaded == {CODES[d] for d in ("Blaby", "Harborough", "Hinckley and Bosworth", "Melton")}


def test_more_reoffenders_than_the_cohort_and_other_bad_rows_are_quarantined(home, warehouse):
    rows = [("Blaby", "2015/16 Q1", "10", "12"),                   # line 2: 12 re-offenders of a cohort of 10
            ("Charnwood", "2015/16 Q1", "85", "85"),               # line 3: all re-offended: allowed
            ("Harborough", "2015/16 Q1", "-3", "0"),               # line 4: negative cohort
            ("Hinckley and Bosworth", "2015/16 Q1", "37", ""),     # line 5: re-offenders missing
            ("Melton", "2015/16 Q1", "15", "6"),
            ("Leicester", "2015/16 Q1", "150", "40"),              # line 7: the city is not in the county
            ("Melton", "2015/16 Q1", "14", "16"),                  # line 8: Melton again, and 16 > 14
            ("Oadby and Wigston", "2015/16 Q1", "0", "0")]
    deliver(home, REOFFENDING, "2015/16 Q1", csv_bytes(RE_HEADER, rows))
    outcome = run(warehouse, REOFFENDING, "2015/16 Q1")
    assert (outcome["status"], outcome["reason"]) == ("incomplete", (
        "Incomplete: no row for Blaby, Harborough, Hinckley and Bosworth, Melton, North West Leicestershire in "
        "2015/16 Q1 (6 rows quarantined)."))  # Charnwood and Oadby and Wigston loaded
    assert quarantined(warehouse, REOFFENDING) == {
        2: "reoffenders_within_cohort", 4: "cohort_size_range, reoffenders_within_cohort",
        5: "reoffenders_present", 6: "district_unique", 7: "district_known",
        8: "district_unique, reoffenders_within_cohort"}
    line2 = warehouse.query("SELECT detail, raw_record FROM audit.quarantine WHERE line = 2")[0]
    assert line2 == {"detail": "Re-offenders=12 > Cohort size=10", "raw_record": "Blaby,2015/16 Q1,10,12"}
    result = warehouse.query("SELECT expectation, unexpected_count, unexpected_lines, message "
                             "FROM audit.validation_result WHERE rule = 'reoffenders_within_cohort'")[0]
    assert result["expectation"] == "expect_column_pair_values_a_to_be_greater_than_b"
    assert (result["unexpected_count"], json.loads(result["unexpected_lines"])) == (3, [2, 4, 8])
    assert "line 2 Re-offenders=12 > Cohort size=10" in result["message"]
    rates = {r["area_code"]: (r["cohort_size"], r["reoffenders"]) for r in warehouse.query(
        "SELECT area_code, cohort_size, reoffenders FROM core.youth_reoffending_rate")}
    assert rates == {CODES["Charnwood"]: (85, 85), CODES["Oadby and Wigston"]: (0, 0), "E10000018": (85, 85)}


def test_reloading_a_quarter_replaces_it(home, warehouse):
    deliver(home, REOFFENDING, "2015/16 Q1", xlsx_bytes(RE_HEADER, RE_ROWS["2015/16 Q1"], sheet=SHEET), "xlsx")
    deliver(home, FTE, "2015/16 Q1", xlsx_bytes(FTE_HEADER, FTE_ROWS["2015/16 Q1"], sheet=SHEET), "xlsx")
    for _ in range(3):
        assert run(warehouse, REOFFENDING, "2015/16 Q1")["status"] == "available"
        assert run(warehouse, FTE, "2015/16 Q1")["status"] == "available"
    for table in ("staging.youth_reoffending", "core.fact_youth_reoffending", "staging.youth_first_time_entrants",
                  "core.fact_youth_first_time_entrants"):
        assert warehouse.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] == 7, table
    county = "SELECT cohort_size, reoffenders FROM core.youth_reoffending_rate WHERE area_code = 'E10000018'"
    assert [(int(r["cohort_size"]), int(r["reoffenders"])) for r in warehouse.query(county)] == [(232, 79)]
    # a corrected file for the same quarter replaces the slice: Blaby 14 -> 20 re-offenders
    corrected = [("Blaby", "2015/16 Q1", "40", "20"), *RE_ROWS["2015/16 Q1"][1:]]
    deliver(home, REOFFENDING, "2015/16 Q1", csv_bytes(RE_HEADER, corrected))
    assert run(warehouse, REOFFENDING, "2015/16 Q1")["status"] == "available"
    assert [(int(r["cohort_size"]), int(r["reoffenders"])) for r in warehouse.query(county)] == [(232, 85)]
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_youth_reoffending")[0]["n"] == 7


def test_a_quarantined_xlsx_row_keeps_its_values(tmp_path):
    from safer_communities.periods import Quarter
    from safer_communities.sources.extract import parse_extract
    from safer_communities.sources.validation import validate

    contract = load_contract(FTE)
    path = tmp_path / "first-time-entrants-2015-16-Q1.xlsx"
    path.write_bytes(xlsx_bytes(FTE_HEADER, [*FTE_ROWS["2015/16 Q1"], ("Rutland", "2015/16 Q1", "3")], sheet=SHEET))
    outcome = validate(parse_extract(path, contract), contract, Quarter(2015, 1))
    assert [(q.line, q.rule, q.raw) for q in outcome.quarantined] == [(9, "district_known", "Rutland,2015/16 Q1,3")]


def test_the_pair_rule_needs_both_columns():
    with pytest.raises(ValueError, match=r"\(not_greater_than\) needs other_column"):
        Rule(id="r", expect="not_greater_than", column="Re-offenders", severity="critical", scope="row",
             description="d")
    with pytest.raises(ValueError, match="other_column is only for not_greater_than"):
        Rule(id="r", expect="not_null", column="District", other_column="Cohort size", severity="critical",
             scope="row", description="d")


def test_the_youth_dag_carries_both_sources():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT / "dags" / "ingest_youth.py"))
    assert bag.import_errors == {}
    dag = bag.dags["ingest_youth"]
    assert dag.doc_md.strip().startswith("###") and "Airflow" in dag.doc_md
    assert [o.name for o in dag.get_task("record_status").outlets] == [FTE, REOFFENDING]
