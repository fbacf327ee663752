"""Probation IOM cohort: forgiving CSV and .xlsx contract, pseudonymised offenders, cohort reduction per area.

The reduction in proven offending is checked against a hand-computed answer on
two small cohorts (2013/14 and 2014/15) with a district whose offending rose, a
district whose baseline is 0 and a district with no offenders in the earlier
cohort, and the previous-cohort comparison the view carries beside each year.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import date

import pytest

from safer_communities.sources import ingest
from safer_communities.sources.contracts import WITHHELD
from safer_communities.sources.pseudonymise import PseudonymisationKeyMissing
from tests.conftest import PROJECT
from tests.conftest import PSEUDONYMISATION_KEY as KEY
from tests.partner_files import csv_bytes, deliver_file, values_containing, xlsx_bytes

AS_OF = date(2026, 11, 26)
SOURCE = "iom_cohort"

# (offender ref as written by the partner, cohort, district, baseline offences, follow-up offences, start, exit)
COHORTS = {
    "2013/14": [
        ("IOM-0001", "2013/14", "Charnwood", "10", "5", "2013-04-15", ""),
        ("IOM-0002", "2013/14", "Charnwood", "6", "3", "2013-06-01", "2014-06-01"),
        ("IOM-0003", "2013/14", "Charnwood", "4", "2", "2013-09-10", ""),
        ("IOM-0004", "2013/14", "Blaby", "12", "12", "2013-05-20", ""),
        ("IOM-0005", "2013/14", "Blaby", "8", "10", "2014-01-07", ""),
        ("IOM-0006", "2013/14", "Melton", "0", "2", "31/03/2014", ""),
    ],
    "2014/15": [
        (" iom-0001 ", "2014/15", "Charnwood", "12", "4", "2014-04-02", ""),  # re-adopted: same pseudonym
        ("IOM-0007", "2014/15", "Charnwood", "8", "1", "2014-07-15", "2015-07-14"),
        ("IOM-0008", "2014/15", "Blaby", "5", "2", "2014-10-01", ""),
        ("IOM-0009", "2014/15", "Blaby", "5", "3", "2015-03-31", ""),
        ("IOM-0010", "2014/15", "Melton", "0", "0", "2014-12-12", ""),
        ("IOM-0011", "2014/15", "Harborough", "10", "8", "2014-08-08", ""),
    ],
}
# Hand-computed, 2014/15: area -> (cohort size, baseline, follow-up, reduction %, previous cohort's reduction %)
#   Charnwood 12+8=20 -> 4+1=5: 75%; in 2013/14 10+6+4=20 -> 5+3+2=10: 50%
#   Blaby 5+5=10 -> 2+3=5: 50%; in 2013/14 12+8=20 -> 12+10=22: -10% (offending rose)
#   Melton baseline 0 both years: no reduction can be computed
#   Harborough 10 -> 8: 20%; no Harborough offenders in 2013/14
#   county 20+10+0+10=40 -> 5+5+0+8=18: 55%; in 2013/14 40 -> 34: 15%
EXPECTED_2014 = {
    "Leicestershire": (6, 40, 18, 55.0, 15.0),
    "Charnwood": (2, 20, 5, 75.0, 50.0),
    "Blaby": (2, 10, 5, 50.0, -10.0),
    "Melton": (1, 0, 0, None, None),
    "Harborough": (1, 10, 8, 20.0, None),
    "Hinckley and Bosworth": (0, 0, 0, None, None),
    "North West Leicestershire": (0, 0, 0, None, None),
    "Oadby and Wigston": (0, 0, 0, None, None),
}
HEADER = ["offender_ref", "COHORT", " District ", "baseline offences", "Follow-up Offences", "start date", "Exit_Date"]


def deliver(home, cohort: str, content: bytes, ext: str = "csv") -> None:
    deliver_file(home, SOURCE, cohort, content, ext)


def deliver_both(home) -> None:
    deliver(home, "2013/14", csv_bytes(HEADER, COHORTS["2013/14"]))
    deliver(home, "2014/15", xlsx_bytes(HEADER, COHORTS["2014/15"], sheet="IOM cohort"), "xlsx")


def run(warehouse, cohort: str, as_of: date = AS_OF) -> dict:
    return ingest.ingest(SOURCE, cohort, as_of=as_of, run_id="t", warehouse=warehouse)[0]


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 9)


def pseudonym(ref: str) -> str:
    return hmac.new(KEY.encode(), ref.encode(), hashlib.sha256).hexdigest()


def test_reduction_per_area_and_previous_cohort_match_the_hand_computed_answer(home, warehouse, key):
    deliver_both(home)
    assert run(warehouse, "2013/14")["status"] == "available"  # CSV
    assert run(warehouse, "2014/15")["status"] == "available"  # .xlsx

    rows = warehouse.query("SELECT * FROM core.iom_cohort_reduction ORDER BY cohort_fy, area_code")
    assert [(r["cohort_fy"], r["area_code"]) for r in rows] == [
        (fy, code) for fy in ("2013/14", "2014/15")
        for code in ("E07000129", "E07000130", "E07000131", "E07000132", "E07000133", "E07000134", "E07000135",
                     "E10000018")
    ]
    got = {
        r["area_name"]: (int(r["cohort_size"]), int(r["baseline_offences"]), int(r["followup_offences"]),
                         rounded(r["reduction_pct"]), rounded(r["previous_reduction_pct"]))
        for r in rows if r["cohort_fy"] == "2014/15"
    }
    assert got == EXPECTED_2014
    county = next(r for r in rows if r["cohort_fy"] == "2014/15" and r["area_code"] == "E10000018")
    assert county["area_type"] == "county" and county["previous_cohort_fy"] == "2013/14"
    assert int(county["previous_cohort_size"]) == 6
    assert county["reduction_change_points"] == pytest.approx(40.0)
    earlier = {r["area_name"]: r["reduction_pct"] for r in rows if r["cohort_fy"] == "2013/14"}
    assert earlier["Leicestershire"] == pytest.approx(15.0)  # (40 - 34) / 40
    assert earlier["Blaby"] == pytest.approx(-10.0) and earlier["Melton"] is None
    assert {r["previous_cohort_fy"] for r in rows if r["cohort_fy"] == "2013/14"} == {None}  # 2012/13 not loaded

    facts = warehouse.query("SELECT cohort_fy, offender_pseudonym, district_code, start_date, exit_date "
                            "FROM core.fact_iom_offender WHERE offender_pseudonym = :p ORDER BY cohort_fy",
                            {"p": pseudonym("IOM-0001")})
    assert [(f["cohort_fy"], f["district_code"]) for f in facts] == [("2013/14", "E07000130"),
                                                                     ("2014/15", "E07000130")]
    assert str(facts[1]["start_date"]) == "2014-04-02" and facts[1]["exit_date"] is None
    melton = warehouse.query("SELECT start_date FROM core.fact_iom_offender WHERE offender_pseudonym = :p",
                             {"p": pseudonym("IOM-0006")})
    assert str(melton[0]["start_date"]) == "2014-03-31"  # DD/MM/YYYY read as a UK date


NO_DATES = ["Offender ref", "Cohort", "District", "Baseline offences", "Follow-up offences"]


def test_optional_dates_may_be_left_out_and_a_start_outside_the_year_is_a_warning(home, warehouse, key):
    deliver(home, "2013/14", csv_bytes(NO_DATES, [r[:5] for r in COHORTS["2013/14"]]))
    outcome = run(warehouse, "2013/14")
    assert outcome["status"] == "available" and outcome["reason"].startswith("Loaded 6 rows")
    dates = warehouse.query("SELECT COUNT(*) AS n FROM core.fact_iom_offender "
                            "WHERE start_date IS NULL AND exit_date IS NULL")
    assert dates[0]["n"] == 6
    passed = warehouse.query("SELECT rule FROM audit.validation_result WHERE success ORDER BY rule")
    assert "cohort_present" in [r["rule"] for r in passed]

    rows = [*COHORTS["2014/15"], ("IOM-0012", "2014/15", "Melton", "3", "1", "2015-04-01", "")]
    deliver(home, "2014/15", csv_bytes(HEADER, rows))
    outcome = run(warehouse, "2014/15")
    assert outcome["status"] == "available" and outcome["reason"] == "Loaded 7 rows (1 validation warning(s))."
    warning = warehouse.query("SELECT severity, unexpected_lines FROM audit.validation_result "
                              "WHERE rule = 'start_date_in_cohort_year' AND period = '2014/15'")
    assert warning[0]["severity"] == "warning" and json.loads(warning[0]["unexpected_lines"]) == [8]


@pytest.mark.parametrize(("delivered", "status", "reason"), [
    # adopted 2 April 2014 to 31 March 2015: the last follow-up ends on 31 March 2016
    (date(2015, 9, 17), "incomplete", "Incomplete: the 12-month follow-up of offenders adopted after 2014-09-17 "
                                      "(3 of 6) runs past the file's date 2015-09-17."),
    (date(2016, 3, 30), "incomplete", "Incomplete: the 12-month follow-up of offenders adopted after 2015-03-30 "
                                      "(1 of 6) runs past the file's date 2016-03-30."),
    (date(2016, 3, 31), "available", "Loaded 6 rows."),
])
def test_a_cohort_delivered_before_its_follow_up_ends_is_incomplete(home, warehouse, key, delivered, status, reason):
    deliver(home, "2014/15", xlsx_bytes(HEADER, COHORTS["2014/15"], sheet="IOM cohort"), "xlsx")
    outcome = run(warehouse, "2014/15", as_of=delivered)
    assert (outcome["status"], outcome["reason"]) == (status, reason)
    check = warehouse.query("SELECT check_name, passed, detail FROM audit.completeness_result WHERE period = '2014/15'")
    assert [(c["check_name"], bool(c["passed"])) for c in check] == [("follow_up_complete", status == "available")]
    if status == "available":
        assert check[0]["detail"] == ("the 12-month follow-up of offenders adopted (6, the latest 2015-03-31) had "
                                      "ended by the file's date 2016-03-31")


def test_a_start_date_left_out_counts_as_the_cohort_years_last_day(home, warehouse, key):
    rows = [r[:5] for r in COHORTS["2013/14"]]
    deliver(home, "2013/14", csv_bytes(NO_DATES, rows))
    outcome = run(warehouse, "2013/14", as_of=date(2014, 9, 17))
    assert outcome["status"] == "incomplete"
    assert "the 12-month follow-up of offenders adopted after 2013-09-17 (6 of 6; 6 with no start date, counted as " \
           "starting on 2014-03-31, the last day of 2013/14) runs past the file's date 2014-09-17" in outcome["reason"]
    # the same file pulled again later is the same early extract: it stays incomplete
    assert run(warehouse, "2013/14", as_of=date(2015, 3, 31))["status"] == "incomplete"
    # a refreshed extract delivered once the year's follow-up is over is complete
    deliver(home, "2013/14", xlsx_bytes(NO_DATES, rows, sheet="IOM cohort"), "xlsx")
    assert run(warehouse, "2013/14", as_of=date(2015, 3, 31))["status"] == "available"


@pytest.mark.parametrize(("completeness", "status"), [
    ([{"check": "follow_up_complete", "column": "start_date", "months": 12}], "incomplete"),
    ([{"check": "follow_up_complete", "column": "start_date", "months": 6}], "available"),
    ([], "available"),
])
def test_the_follow_up_check_is_the_registrys(home, warehouse, key, tmp_path, monkeypatch, completeness, status):
    """The same file on the same day: followed up for 12 months after adoption, 2 offenders are still being
    followed up on 1 October 2015; for 6 months, none; without the check, it is not judged."""
    import yaml

    from safer_communities.settings import CONFIG_DIR

    document = yaml.safe_load((CONFIG_DIR / "sources" / "probation.yaml").read_text(encoding="utf-8"))
    document["sources"][SOURCE]["completeness"] = completeness
    registry = tmp_path / "probation.yaml"
    registry.write_text(yaml.safe_dump(document), encoding="utf-8")
    monkeypatch.setenv("SAFER_COMMUNITIES_REGISTRY", str(registry))
    deliver(home, "2014/15", csv_bytes(HEADER, COHORTS["2014/15"]))
    outcome = run(warehouse, "2014/15", as_of=date(2015, 10, 1))
    assert outcome["status"] == status
    if status == "incomplete":
        assert outcome["reason"] == ("Incomplete: the 12-month follow-up of records starting after 2014-10-01 (2 of 6) "
                                     "runs past the file's date 2015-10-01.")  # no members declared: the default


def test_a_file_without_dates_loads_without_a_warning(home, warehouse, key):
    deliver(home, "2013/14", csv_bytes(NO_DATES, [r[:5] for r in COHORTS["2013/14"]]))
    assert run(warehouse, "2013/14")["reason"] == "Loaded 6 rows."


def test_bad_rows_are_quarantined_each_for_its_rule(home, warehouse, key):
    rows = COHORTS["2014/15"] + [
        ("IOM-0020", "2014/15", "Blaby", "-1", "0", "", ""),          # 8: negative baseline
        ("IOM-0021", "2014/15", "Blaby", "2.5", "1", "", ""),         # 9: not a whole number
        ("IOM-0022", "2014/15", "Rutland", "3", "1", "", ""),         # 10: not a county district
        ("IOM-0023", "2014/15", "Charnwood", "3", "501", "", ""),     # 11: follow-up over 500
        ("IOM-0007", "2014/15", "Melton", "3", "1", "", ""),          # 12: offender twice (with line 3)
        ("", "2014/15", "Melton", "3", "1", "", ""),                  # 13: no offender ref
        ("IOM-0024", "2014/15", "Melton", "3", "", "", ""),           # 14: no follow-up count
        ("IOM-0025", "2014/15", "", "3", "1", "", ""),                # 15: no district
        ("IOM-0026", "2014/15", "Harborough", "three", "1", "", ""),  # 16: not a number
        ("IOM-0027", "2014/15", "Blaby", "-2", "1", "", ""),          # 17: negative again
    ]
    deliver(home, "2014/15", csv_bytes(HEADER, rows))
    outcome = run(warehouse, "2014/15")
    assert outcome["status"] == "available"
    assert outcome["reason"] == "Loaded 5 rows (11 rows quarantined)."
    quarantined = {q["line"]: q["rules"] for q in warehouse.query("SELECT line, rules FROM audit.quarantine")}
    assert quarantined == {
        3: "offender_ref_unique", 8: "baseline_offences_range", 9: "parse_type", 10: "district_known",
        11: "followup_offences_range", 12: "offender_ref_unique", 13: "offender_ref_present",
        14: "followup_offences_present", 15: "district_present", 16: "parse_type", 17: "baseline_offences_range",
    }
    failed = {r["rule"]: (r["severity"], r["unexpected_count"]) for r in warehouse.query(
        "SELECT rule, severity, unexpected_count FROM audit.validation_result WHERE NOT success")}
    assert failed["baseline_offences_range"] == ("critical", 2)
    assert failed["parse_type"] == ("critical", 2)
    loaded = warehouse.query("SELECT SUM(baseline_offences) AS b, COUNT(*) AS n FROM core.fact_iom_offender")[0]
    assert (int(loaded["n"]), int(loaded["b"])) == (5, 12 + 5 + 5 + 0 + 10)  # IOM-0007 (line 3) is out too


@pytest.mark.parametrize(
    ("rows", "header", "rule", "detail"),
    [
        pytest.param(COHORTS["2013/14"], HEADER, "cohort_is_period", "6 rows fail: line 2 Cohort: text of 7 characters",
                     id="another-cohorts-file"),
        pytest.param([*COHORTS["2014/15"], ("IOM-0030", "2015/16", "Blaby", "1", "1", "", "")], HEADER,
                     "cohort_is_period", "1 rows fail: line 8 Cohort: text of 7 characters",
                     id="one-row-of-next-cohort"),
        pytest.param([(r[0], *r[2:]) for r in COHORTS["2014/15"]], [h for h in HEADER if h != "COHORT"],
                     "header_match", "missing required columns ['Cohort']", id="no-cohort-column"),
        pytest.param([(*r[:3], *r[4:]) for r in COHORTS["2014/15"]],
                     [h for h in HEADER if h != "baseline offences"],
                     "header_match", "missing required columns ['Baseline offences']", id="no-baseline-column"),
        pytest.param([], HEADER, "has_rows", "the file has 0 data rows", id="no-rows"),
    ],
)
def test_a_wrong_file_is_rejected_naming_the_rule(home, warehouse, key, rows, header, rule, detail):
    deliver(home, "2014/15", csv_bytes(header, rows))
    outcome = run(warehouse, "2014/15")
    assert outcome["status"] == "rejected"
    assert f"iom-cohort-2014-15.csv: rule {rule} (" in outcome["reason"]
    assert detail in outcome["reason"]
    kept = list((home / "var" / "quarantine" / SOURCE / "2014-15").glob("*__iom-cohort-2014-15.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == csv_bytes(header, rows)
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_iom_offender")[0]["n"] == 0
    assert warehouse.query("SELECT COUNT(*) AS n FROM staging.iom_cohort")[0]["n"] == 0


def test_statuses_late_unavailable_available_without_a_declared_outage(home, warehouse, key):
    from safer_communities.sources.registry import get_source

    assert get_source(SOURCE).outages == []
    assert [s["period"] for s in ingest.plan(SOURCE, "2015/16 Q1")] == ["2015/16"]  # annual: the financial year
    deliver(home, "2014/15", xlsx_bytes(HEADER, COHORTS["2014/15"], sheet="IOM cohort"), "xlsx")
    assert run(warehouse, "2014/15") == {"source": SOURCE, "period": "2014/15", "status": "available",
                                         "reason": "Loaded 6 rows.", "changed": True, "notices": []}
    # the cohort year in progress: due 91 days after 31 March 2027
    awaited = run(warehouse, "2026/27")
    assert awaited["status"] == "awaited" and awaited["reason"].startswith("Not yet due: expected by 2027-06-30")
    assert "probation/iom-cohort-2026-27.xlsx or " in awaited["reason"]
    gone = run(warehouse, "2025/26")
    assert gone["status"] == "late" and "deadline 2026-06-30" in gone["reason"]
    # the last day before the deadline passes, and the day after
    assert run(warehouse, "2025/26", as_of=date(2026, 6, 30))["status"] == "awaited"
    assert run(warehouse, "2025/26", as_of=date(2026, 7, 1))["status"] == "late"
    current = {(r["period"], r["status"]) for r in warehouse.query(
        "SELECT period, status FROM audit.source_status WHERE source = :s", {"s": SOURCE})}
    assert current == {("2014/15", "available"), ("2026/27", "awaited"), ("2025/26", "late")}


def test_reloading_a_cohort_replaces_its_slice_and_a_rejected_file_keeps_it(home, warehouse, key):
    deliver_both(home)
    assert run(warehouse, "2013/14")["status"] == "available"
    for _ in range(3):
        assert run(warehouse, "2014/15")["status"] == "available"

    def counts():
        return {(r["t"], r["cohort_fy"]): int(r["n"]) for r in warehouse.query(
            "SELECT 'core' AS t, cohort_fy, COUNT(*) AS n FROM core.fact_iom_offender GROUP BY cohort_fy "
            "UNION ALL SELECT 'staging', period, COUNT(*) FROM staging.iom_cohort GROUP BY period")}

    assert counts() == {("core", "2013/14"): 6, ("core", "2014/15"): 6, ("staging", "2013/14"): 6,
                        ("staging", "2014/15"): 6}
    assert warehouse.query("SELECT pull_count FROM audit.pulled_file WHERE period = '2014/15'") == [{"pull_count": 3}]
    batches = warehouse.query("SELECT COUNT(DISTINCT load_batch_id) AS n FROM core.fact_iom_offender "
                              "WHERE cohort_fy = '2014/15'")
    assert batches[0]["n"] == 1
    view = warehouse.query("SELECT COUNT(*) AS n FROM core.iom_cohort_reduction")
    assert view[0]["n"] == 16

    # a corrected delivery replaces the cohort; the other cohort is untouched
    deliver(home, "2014/15", csv_bytes(HEADER, COHORTS["2014/15"][:5]))
    assert run(warehouse, "2014/15")["reason"] == "Loaded 5 rows."
    assert counts() == {("core", "2013/14"): 6, ("core", "2014/15"): 5, ("staging", "2013/14"): 6,
                        ("staging", "2014/15"): 5}
    # a wrong file afterwards is rejected and the loaded slice stays
    deliver(home, "2014/15", csv_bytes(HEADER, COHORTS["2013/14"]))
    rejected = run(warehouse, "2014/15")  # the slice and its status stand; the rejection is a notice
    assert (rejected["status"], rejected["reason"], rejected["changed"]) == ("available", "Loaded 5 rows.", False)
    assert "was rejected" in rejected["notices"][0] and "(5 rows) is kept." in rejected["notices"][0]
    assert counts()[("core", "2014/15")] == 5


def test_no_raw_offender_reference_reaches_the_warehouse_logs_or_states(home, warehouse, key, caplog):
    caplog.set_level(logging.DEBUG)
    deliver(home, "2013/14", csv_bytes(HEADER, COHORTS["2013/14"]))
    bad = COHORTS["2014/15"] + [("IOM-0099", "2014/15", "Rutland", "3", "1", "", ""),
                                ("IOM-0098", "2014/15", "Blaby", "x", "1", "", ""),
                                ("IOM-0097", "2014/15", "Blaby", "3"),
                                ("IOM-0007", "2014/15", "Melton", "-1", "1", "", "")]
    deliver(home, "2014/15", csv_bytes(HEADER, bad))
    # a file rejected for a missing column: its offender refs are never pseudonymised, and never kept either
    deliver(home, "2015/16", csv_bytes([h for h in HEADER if h != " District "],
                                        [("IOM-0096", "2015/16", "2", "1", "", "")]))
    states = [run(warehouse, cohort) for cohort in ("2013/14", "2014/15", "2015/16")]
    assert [s["status"] for s in states] == ["available", "available", "rejected"]

    raw_refs = {ref.strip().upper() for rows in COHORTS.values() for ref, *_ in rows}
    raw_refs |= {"IOM-0099", "IOM-0098", "IOM-0097", "IOM-0096"}
    assert values_containing(warehouse, raw_refs) == []
    assert not any(ref in caplog.text.upper() for ref in raw_refs)
    assert not any(ref in json.dumps(states).upper() for ref in raw_refs)
    assert KEY not in caplog.text
    reasons = (home / "var" / "quarantine" / SOURCE / "2015-16").glob("*.reason.txt")
    assert not any(ref in path.read_text().upper() for path in reasons for ref in raw_refs)

    # the pseudonym is HMAC-SHA256 of the normalised reference: ' iom-0001 ' is IOM-0001
    offenders = warehouse.query("SELECT cohort_fy, offender_pseudonym FROM core.fact_iom_offender "
                                "WHERE offender_pseudonym = :p ORDER BY cohort_fy", {"p": pseudonym("IOM-0001")})
    assert [o["cohort_fy"] for o in offenders] == ["2013/14", "2014/15"]
    # the bad rows were quarantined, each for its rule, with the raw record withheld or pseudonymised
    quarantined = warehouse.query("SELECT line, rules, raw_record FROM audit.quarantine WHERE period = '2014/15' "
                                  "ORDER BY line")
    assert [(q["line"], q["rules"]) for q in quarantined] == [
        (3, "offender_ref_unique"), (8, "district_known"), (9, "parse_type"), (10, "parse_field_count"),
        (11, "offender_ref_unique, baseline_offences_range")]
    assert "withheld" in quarantined[2]["raw_record"] and "withheld" in quarantined[3]["raw_record"]
    assert {q["raw_record"] for q in quarantined} == {WITHHELD}


def test_a_missing_key_stops_the_run_with_a_clear_error(home, warehouse, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION", raising=False)
    deliver(home, "2014/15", csv_bytes(HEADER, COHORTS["2014/15"]))
    with pytest.raises(PseudonymisationKeyMissing, match="safer_communities_pseudonymisation"):
        run(warehouse, "2014/15")
    assert warehouse.query("SELECT COUNT(*) AS n FROM staging.iom_cohort")[0]["n"] == 0


def test_the_probation_dag_carries_the_iom_cohort_asset():
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(PROJECT / "dags" / "ingest_probation.py"))
    assert dagbag.import_errors == {}
    dag = dagbag.dags["ingest_probation"]
    assert [o.name for o in dag.get_task("record_status").outlets] == ["iom_cohort"]
    assert "Airflow" in dag.doc_md
