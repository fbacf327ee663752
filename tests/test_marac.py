"""MARAC referrals: forgiving CSV and .xlsx contracts, pseudonymisation, and repeats derived across quarters.

The repeat rate is checked against a hand-computed answer on a small fixture
with a repeat at exactly 12 months, one a day past 12 months, and repeats that
span a quarter and a financial-year boundary.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import date, timedelta

import pytest

from safer_communities import dashboard
from safer_communities.dashboard.indicators import load_catalogue
from safer_communities.periods import Quarter, add_months
from safer_communities.sources import ingest
from safer_communities.sources.contracts import WITHHELD
from safer_communities.sources.pseudonymise import PseudonymisationKeyMissing
from tests.conftest import PSEUDONYMISATION_KEY as KEY
from tests.conftest import set_pseudonymisation_key
from tests.partner_files import csv_bytes, deliver_file, file_text, values_containing, xlsx_bytes

AS_OF = date(2026, 11, 26)
SOURCE = "marac_referrals"

# (case ref, referral date, victim ref as written by the partner, district, agency, DASH score)
REFERRALS = {
    "2014/15 Q1": [
        ("M14-001", "2014-05-10", "VIC-0001", "Charnwood", "Police", "16"),
        ("M14-002", "2014-06-01", "VIC-0002", "Blaby", "IDVA", "14"),
        ("M14-003", "2014-04-22", "VIC-0007", "Melton", "Health", ""),
    ],
    "2014/15 Q2": [("M14-010", "2014-07-03", "VIC-0008", "Harborough", "Police", "15"),
                   ("M14-011", "2014-08-19", "VIC-0009", "Charnwood", "Police", "18"),
                   ("M14-012", "2014-09-30", "VIC-0010", "Blaby", "Children's services", "14")],
    "2014/15 Q3": [("M14-020", "2014-12-31", "VIC-0006", "Oadby and Wigston", "Police", "17")],
    "2014/15 Q4": [("M15-001", "2015-03-20", "VIC-0003", "Hinckley and Bosworth", "Police", "20"),
                   ("M15-002", "2015-01-02", "VIC-0006", "Oadby and Wigston", "Police", "19"),
                   ("M15-003", "2015-02-11", "VIC-0011", "Melton", "IDVA", "14")],
    "2015/16 Q1": [
        ("M15-101", "2015-05-10", " vic-0001 ", "Charnwood", "Police", "15"),   # exactly 12 months: repeat
        ("M15-102", "2015-06-02", "VIC-0002", "Blaby", "Police", "14"),          # 12 months + 1 day: not
        ("M15-103", "2015-04-05", "VIC-0003", "Hinckley and Bosworth", "IDVA", "21"),  # across FY: repeat
        ("M15-104", "2015-04-15", "VIC-0004", "North West Leicestershire", "Police", "14"),
        ("M15-105", "2015-06-30", "VIC-0004", "North West Leicestershire", "Police", "22"),  # repeat
        ("M15-106", "2015-05-01", "VIC-0005", "Harborough", "Health", "14"),
    ],
}
# hand-computed: case ref -> is a repeat
EXPECTED_REPEATS = {
    "M14-001": False, "M14-002": False, "M14-003": False, "M14-010": False, "M14-011": False, "M14-012": False,
    "M14-020": False, "M15-002": True, "M15-001": False, "M15-003": False,
    "M15-101": True, "M15-102": False, "M15-103": True, "M15-104": False, "M15-105": True, "M15-106": False,
}
def pseudonym(reference: str, key: str = KEY) -> str:
    """What the warehouse holds for a case or victim reference: HMAC-SHA256 of it, normalised, under the test key."""
    return hmac.new(key.encode(), reference.strip().upper().encode(), hashlib.sha256).hexdigest()


HEADER = ["case ref", "REFERRAL DATE", "Victim_Ref", " District ", "Referring agency", "DASH risk score"]


def deliver(home, quarter: str, content: bytes, ext: str = "csv") -> None:
    deliver_file(home, SOURCE, quarter, content, ext)


def deliver_all(home) -> None:
    for quarter, rows in REFERRALS.items():
        if quarter == "2015/16 Q1":
            deliver(home, quarter, xlsx_bytes(HEADER, rows, sheet="Referrals"), "xlsx")
        else:
            deliver(home, quarter, csv_bytes(HEADER, rows))


def ingest_all(warehouse) -> list[dict]:
    return (ingest.ingest(SOURCE, "2014/15", as_of=AS_OF, run_id="t", warehouse=warehouse)
            + ingest.ingest(SOURCE, "2015/16 Q1", as_of=AS_OF, run_id="t", warehouse=warehouse))


def test_repeats_and_repeat_rate_match_the_hand_computed_answer(home, warehouse, key):
    deliver_all(home)
    statuses = {s["period"]: s for s in ingest_all(warehouse)}
    assert statuses["2015/16 Q1"]["status"] == "available"

    flags = {r["case_ref"]: bool(r["is_repeat"])
             for r in warehouse.query("SELECT case_ref, is_repeat FROM core.marac_referral_repeat")}
    assert flags == {pseudonym(case): repeat for case, repeat in EXPECTED_REPEATS.items()}  # cases pseudonymised
    quarter = warehouse.query(
        "SELECT SUM(referrals) AS referrals, SUM(repeat_referrals) AS repeats FROM core.marac_quarterly "
        "WHERE quarter_label = '2015/16 Q1'")[0]
    assert (int(quarter["referrals"]), int(quarter["repeats"])) == (6, 3)  # a 50.0% repeat rate
    q4 = warehouse.query("SELECT SUM(referrals) AS n, SUM(repeat_referrals) AS r FROM core.marac_quarterly "
                         "WHERE quarter_label = '2014/15 Q4'")[0]
    assert (int(q4["n"]), int(q4["r"])) == (3, 1)


def test_the_repeat_window_in_the_warehouse_is_the_catalogues_look_back(warehouse):
    """core.marac_referral_repeat (sql/ddl/150_pseudonym_keys.sql) finds repeats over as many months as the catalogue's
    look-back says the dashboard must have loaded: change one, and this fails until the other follows."""
    from sqlalchemy import text

    months = next(i for i in load_catalogue().indicators if i.id == "marac_repeat_rate").look_back.months
    first = date(2014, 5, 31)
    referrals = {  # case ref -> (victim, date, a repeat?)
        "A1": ("A", first, False), "A2": ("A", add_months(first, months), True),  # on the last day of the window
        "B1": ("B", first, False), "B2": ("B", add_months(first, months) + timedelta(days=1), False),  # a day past
        "C1": ("C", first, False), "C2": ("C", add_months(first, months - 1), True),
    }
    with warehouse.begin() as connection:
        for case, (victim, day, _) in referrals.items():
            connection.execute(text(
                "INSERT INTO core.fact_marac_referral (source, period, case_ref, referral_date, victim_pseudonym, "
                "district_code, load_batch_id) VALUES (:s, :p, :c, :d, :v, 'E07000130', 'b')"),
                {"s": SOURCE, "p": str(Quarter(day.year if day.month > 3 else day.year - 1, 1)), "c": case, "d": day,
                 "v": victim})
    found = {r["case_ref"]: bool(r["is_repeat"]) for r in
             warehouse.query("SELECT case_ref, is_repeat FROM core.marac_referral_repeat")}
    assert found == {case: repeat for case, (_, _, repeat) in referrals.items()}


def repeat_rate_rows(warehouse, quarter: str) -> tuple[dict, dict[str, dict]]:
    """The county's repeat-rate row of a computed quarter, and its monthly series by month."""
    rows = warehouse.query("SELECT status, status_reason, value, on_track, on_track_reason FROM "
                           "mart.dashboard_quarterly WHERE quarter_label = :q AND area_code = 'E10000018' "
                           "AND indicator_id = 'marac_repeat_rate'", {"q": quarter})
    months = warehouse.query("SELECT month_start, status, status_reason FROM mart.dashboard_monthly "
                             "WHERE quarter_label = :q AND area_code = 'E10000018' "
                             "AND indicator_id = 'marac_repeat_rate'", {"q": quarter})
    return rows[0], {str(m["month_start"])[:7]: m for m in months}


def test_the_repeat_rate_is_incomplete_until_a_year_of_referrals_is_loaded(home, warehouse, key):
    """Referrals are loaded from 2014/15 Q1: repeats before April 2015 look back over months not loaded."""
    deliver_all(home)
    ingest_all(warehouse)
    for quarter in ("2014/15 Q1", "2014/15 Q4", "2015/16 Q1"):
        dashboard.compute(warehouse, Quarter.parse(quarter), run_id="t", export_dir=home / "exports")

    def understated(quarters: str) -> str:
        return ("Repeat referrals look back 12 months; marac_referrals data are loaded only from 2014/15 Q1, so "
                f"repeat referrals in {quarters} may be understated.")

    first, _ = repeat_rate_rows(warehouse, "2014/15 Q1")  # the first quarter of data: nothing to look back on
    assert (first["status"], first["status_reason"]) == ("incomplete", understated("2014/15 Q1"))
    assert first["value"] == 0 and first["on_track"] == "grey"  # shown (no repeat can be found yet), not judged
    assert first["on_track_reason"] == f"data incomplete: {understated('2014/15 Q1')}"
    year_end, _ = repeat_rate_rows(warehouse, "2014/15 Q4")  # January-March 2015 look back to January 2014
    assert (year_end["status"], year_end["status_reason"]) == ("incomplete", understated("2014/15 Q4"))
    # its year to date also holds 2014/15 Q3, itself incomplete: both caveats are given
    assert year_end["on_track_reason"] == ("data incomplete: Incomplete: no records dated in 2014-10, 2014-11 of "
                                           f"2014/15 Q3. {understated('2014/15 Q1 to 2014/15 Q4')}")
    covered, months = repeat_rate_rows(warehouse, "2015/16 Q1")  # April-June 2015 look back to April 2014
    assert (covered["status"], covered["value"]) == ("available", 50.0)  # 3 repeats of 6, as hand-computed above
    assert {month: m["status"] for month, m in months.items()} == {
        "2015-01": "incomplete", "2015-02": "incomplete", "2015-03": "incomplete",
        "2015-04": "available", "2015-05": "available", "2015-06": "available"}
    assert months["2015-02"]["status_reason"] == understated("2014/15 Q4")
    referrals = warehouse.query("SELECT status FROM mart.dashboard_quarterly WHERE quarter_label = '2014/15 Q1' "
                                "AND area_code = 'E10000018' AND indicator_id = 'marac_referrals'")
    assert referrals == [{"status": "available"}]  # the referrals themselves look back on nothing


def test_a_quarter_missing_a_month_is_incomplete_and_missing_files_are_late(home, warehouse, key):
    deliver_all(home)
    statuses = {s["period"]: s for s in ingest_all(warehouse)}
    assert statuses["2014/15 Q3"]["status"] == "incomplete"
    assert "no records dated in 2014-10, 2014-11 of 2014/15 Q3" in statuses["2014/15 Q3"]["reason"]
    assert {statuses[q]["status"] for q in ("2014/15 Q1", "2014/15 Q2", "2014/15 Q4")} == {"available"}
    awaited = ingest.ingest(SOURCE, "2026/27 Q3", as_of=AS_OF, run_id="t", warehouse=warehouse)[0]
    assert awaited["status"] == "awaited" and "expected by 2027-01-30" in awaited["reason"]  # 30 days after 31 Dec
    gone = ingest.ingest(SOURCE, "2025/26 Q1", as_of=AS_OF, run_id="t", warehouse=warehouse)[0]
    assert gone["status"] == "late" and "deadline 2025-07-30" in gone["reason"]


def test_no_raw_victim_reference_reaches_the_warehouse_logs_or_xcom(home, warehouse, key, caplog):
    caplog.set_level(logging.DEBUG)
    deliver_all(home)
    bad = REFERRALS["2014/15 Q2"] + [("M14-013", "2014-09-31", "VIC-0099", "Blaby", "Police", "14"),
                                    ("M14-014", "2014-09-01", "VIC-0098", "Rutland", "Police", "14"),
                                    ("M14-015", "2014-09-02", "VIC-0097", "Blaby")]
    deliver(home, "2014/15 Q2", csv_bytes(HEADER, bad))
    states = ingest_all(warehouse)

    raw_refs = {victim.strip().upper() for rows in REFERRALS.values() for _, _, victim, *_ in rows}
    raw_refs |= {"VIC-0099", "VIC-0098", "VIC-0097"}
    assert values_containing(warehouse, raw_refs) == []
    assert not any(ref in caplog.text.upper() for ref in raw_refs)
    assert not any(ref in json.dumps(states).upper() for ref in raw_refs)
    assert KEY not in caplog.text

    # the pseudonym is HMAC-SHA256 of the normalised reference; ' vic-0001 ' is VIC-0001
    expected = hmac.new(KEY.encode(), b"VIC-0001", hashlib.sha256).hexdigest()
    victims = {r["case_ref"]: r["victim_pseudonym"]
               for r in warehouse.query("SELECT case_ref, victim_pseudonym FROM core.fact_marac_referral")}
    assert victims[pseudonym("M14-001")] == victims[pseudonym("M15-101")] == expected
    # the bad rows were quarantined, each for its rule, with the raw record withheld
    quarantined = warehouse.query("SELECT line, rules, raw_record FROM audit.quarantine WHERE period = '2014/15 Q2' "
                                  "ORDER BY line")
    assert [(q["line"], q["rules"]) for q in quarantined] == [
        (5, "parse_type"), (6, "district_known"), (7, "parse_field_count")]
    assert "withheld" in quarantined[0]["raw_record"] and "withheld" in quarantined[2]["raw_record"]
    # every row of a file holding people: a shifted reference could sit in any column, so only its line number
    assert {q["raw_record"] for q in quarantined} == {WITHHELD}


def test_a_missing_key_stops_the_run_with_a_clear_error(home, warehouse, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION", raising=False)
    deliver(home, "2015/16 Q1", csv_bytes(HEADER, REFERRALS["2015/16 Q1"]))
    with pytest.raises(PseudonymisationKeyMissing, match="safer_communities_pseudonymisation"):
        ingest.ingest(SOURCE, "2015/16 Q1", as_of=AS_OF, run_id="t", warehouse=warehouse)
    assert warehouse.query("SELECT COUNT(*) AS n FROM staging.marac_referrals")[0]["n"] == 0


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["case ref", "referral date", "district", "referring agency"], "missing required columns ['Victim ref']"),
        ([*HEADER, "Victim name"], "unknown columns ['Victim name']"),
    ],
)
def test_missing_or_unknown_columns_reject_the_file_naming_them(home, warehouse, key, header, message):
    rows = [r[: len(header)] if len(header) < len(HEADER) else (*r, "someone") for r in REFERRALS["2015/16 Q1"]]
    deliver(home, "2015/16 Q1", csv_bytes(header, rows))
    outcome = ingest.ingest(SOURCE, "2015/16 Q1", as_of=AS_OF, run_id="t", warehouse=warehouse)[0]
    assert outcome["status"] == "rejected"
    assert "marac-referrals-2015-16-Q1.csv: rule header_match" in outcome["reason"]
    assert message in outcome["reason"]


def test_rows_outside_the_quarter_duplicates_and_bad_dates_are_quarantined(home, warehouse, key):
    rows = REFERRALS["2015/16 Q1"] + [
        ("M15-107", "2015-07-01", "VIC-0020", "Blaby", "Police", "14"),     # next quarter
        ("M15-101", "2015-05-11", "VIC-0021", "Blaby", "Police", "14"),     # duplicate case ref
        ("M15-108", "31/02/2015", "VIC-0022", "Blaby", "Police", "14"),     # no such date
        ("M15-109", "02/05/2015", "VIC-0023", "Blaby", "Police", "40"),     # UK date; DASH out of range: warning
    ]
    deliver(home, "2015/16 Q1", csv_bytes(HEADER, rows))
    outcome = ingest.ingest(SOURCE, "2015/16 Q1", as_of=AS_OF, run_id="t", warehouse=warehouse)[0]
    assert outcome["status"] == "available" and "4 rows quarantined" in outcome["reason"]
    quarantined = {q["line"]: q["rules"] for q in warehouse.query("SELECT line, rules FROM audit.quarantine")}
    assert quarantined == {2: "case_ref_unique", 8: "referral_date_in_period", 9: "case_ref_unique",
                           10: "parse_type"}
    loaded = {r["case_ref"]: r["referral_date"] for r in
              warehouse.query("SELECT case_ref, referral_date FROM staging.marac_referrals")}
    assert str(loaded[pseudonym("M15-109")]) == "2015-05-02"
    warning = warehouse.query("SELECT unexpected_lines FROM audit.validation_result WHERE rule = 'dash_score_range'")
    assert json.loads(warning[0]["unexpected_lines"]) == [11]


def test_reloading_a_quarter_replaces_it(home, warehouse, key):
    deliver(home, "2015/16 Q1", xlsx_bytes(HEADER, REFERRALS["2015/16 Q1"], sheet="Referrals"), "xlsx")
    for _ in range(3):
        assert ingest.ingest(SOURCE, "2015/16 Q1", as_of=AS_OF, run_id="t", warehouse=warehouse)[0]["status"] == \
            "available"
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_marac_referral")[0]["n"] == 6
    assert warehouse.query("SELECT COUNT(*) AS n FROM staging.marac_referrals")[0]["n"] == 6
    # a workbook's rows are counted as rows, not as lines of its zip bytes
    assert warehouse.query("SELECT rows, pull_count FROM audit.pulled_file") == [{"rows": 6, "pull_count": 3}]


def test_a_reference_shifted_into_another_column_is_quoted_nowhere(home, warehouse, key, capfd, caplog):
    """A row whose columns slipped puts the victim's reference in District, and a case's in the date: the rules
    that fail describe those values (kind and length), and no message, log, audit row, page or alert quotes them."""
    from safer_communities.alerts import Alert, quality_findings
    from safer_communities.publish import quality_docs

    caplog.set_level(logging.DEBUG)
    shifted = [*REFERRALS["2014/15 Q2"],
               ("M14-016", "2014-08-04", "Blaby", "VIC-SHIFTED-7731", "Police", "14"),  # victim ref in District
               ("M14-017", "CASE-SHIFTED-4410", "VIC-0100", "Blaby", "Police", "14")]  # a case ref in the date
    deliver(home, "2014/15 Q2", csv_bytes(HEADER, shifted))
    states = ingest.ingest(SOURCE, "2014/15 Q2", as_of=AS_OF, run_id="t", warehouse=warehouse)
    assert states[0]["status"] == "available" and "2 rows quarantined" in states[0]["reason"]

    planted = {"VIC-SHIFTED-7731", "CASE-SHIFTED-4410"}
    detail = warehouse.query("SELECT line, detail FROM audit.quarantine ORDER BY line")
    assert [(d["line"], d["detail"]) for d in detail] == [
        (5, "District: text of 16 characters"),
        (6, "Referral date text of 17 characters is not a date (YYYY-MM-DD or DD/MM/YYYY)")]
    page = quality_docs.render(warehouse, SOURCE, "2014/15 Q2")
    findings = quality_findings(states, run_id="t", warehouse=warehouse)
    alert = Alert(kind="data_quality", subject="s", dag_id="ingest_marac", run_id="t", link="l", findings=findings)
    printed = capfd.readouterr()
    assert values_containing(warehouse, planted) == []
    for text in (caplog.text, printed.out, printed.err, json.dumps(states), page, alert.text(), json.dumps(findings)):
        assert not any(ref in text.upper() for ref in planted)
    assert "District: text of 16 characters" in page


# Key rotation: the first key (the test key, id 2026-11) made 2014/15's pseudonyms; then KEY_B, then KEY_C.
KEY_B, KEY_C = "test-only-key-b", "test-only-key-c"
FIRST_ROTATION, SECOND_ROTATION = date(2027, 1, 15), date(2027, 4, 20)  # the runs' dates
SECOND_ROTATION_Q2 = [
    ("M15-201", "2015-08-01", "VIC-0004", "North West Leicestershire", "Police", "15"),  # last under KEY_B: repeat
    ("M15-202", "2015-09-01", "VIC-0001", "Charnwood", "Police", "15"),  # under all three keys: repeat
    ("M15-203", "2015-07-20", "VIC-0006", "Oadby and Wigston", "Police", "15"),  # see the test
]


def rotate(monkeypatch, key: str, key_id: str, *previous: tuple[str, str, str]) -> None:
    """Make ``key`` the current key, each (key, key id, until) of ``previous`` accepted until its day."""
    set_pseudonymisation_key(monkeypatch, key, key_id=key_id,
                             previous=[{"secret": k, "key_id": i, "until": u} for k, i, u in previous])


def load_across_a_rotation(warehouse, monkeypatch, until: str = "2027-03-31") -> list[dict]:
    """2014/15 under the first key; 2015/16 Q1 under KEY_B, the first key still accepted ``until``."""
    set_pseudonymisation_key(monkeypatch, KEY, key_id="2026-11")
    ingest.ingest(SOURCE, "2014/15", as_of=AS_OF, run_id="t", warehouse=warehouse)
    rotate(monkeypatch, KEY_B, "2027-01", (KEY, "2026-11", until))
    return ingest.ingest(SOURCE, "2015/16 Q1", as_of=FIRST_ROTATION, run_id="t", warehouse=warehouse)


def repeat_figures(warehouse) -> dict[tuple[str, str], tuple[int, int]]:
    """(quarter, district) -> (referrals, repeat referrals), as the dashboard reads them."""
    return {(r["quarter_label"], r["district_code"]): (int(r["referrals"]), int(r["repeat_referrals"]))
            for r in warehouse.query("SELECT * FROM core.marac_quarterly")}


def links(warehouse) -> list[tuple[str, str, str, str]]:
    return [(r["from_key_id"], r["from_pseudonym"], r["to_key_id"], r["to_pseudonym"]) for r in warehouse.query(
        "SELECT * FROM core.pseudonym_link ORDER BY from_pseudonym")]


def test_a_victim_referred_before_and_after_a_key_rotation_is_still_a_repeat(home, warehouse, make_warehouse,
                                                                             monkeypatch):
    deliver_all(home)
    single_key = make_warehouse("duckdb" if warehouse.dialect == "duckdb" else "postgres")
    set_pseudonymisation_key(monkeypatch)
    ingest_all(single_key)
    assert load_across_a_rotation(warehouse, monkeypatch)[0]["status"] == "available"

    assert repeat_figures(warehouse) == repeat_figures(single_key)  # the rotation changed no figure
    flags = {r["case_ref"]: bool(r["is_repeat"])
             for r in warehouse.query("SELECT case_ref, is_repeat FROM core.marac_referral_repeat")}
    assert flags == {pseudonym(case, KEY_B if case.startswith("M15-1") else KEY): repeat
                     for case, repeat in EXPECTED_REPEATS.items()}  # M15-101 and M15-103 repeat across it
    key_ids = warehouse.query("SELECT DISTINCT period, pseudonym_key_id FROM core.fact_marac_referral ORDER BY period")
    assert [(r["period"], r["pseudonym_key_id"]) for r in key_ids] == [
        ("2014/15 Q1", "2026-11"), ("2014/15 Q2", "2026-11"), ("2014/15 Q3", "2026-11"), ("2014/15 Q4", "2026-11"),
        ("2015/16 Q1", "2027-01")]
    # every reference of the quarter loaded in the window, case and victim, linked from the first key to KEY_B
    refs = {ref for case, _, victim, *_ in REFERRALS["2015/16 Q1"] for ref in (case, victim.strip().upper())}
    assert links(warehouse) == sorted(("2026-11", pseudonym(ref), "2027-01", pseudonym(ref, KEY_B)) for ref in refs)
    raw_refs = {ref.strip().upper() for rows in REFERRALS.values() for case, _, victim, *_ in rows
                for ref in (case, victim)}
    assert values_containing(warehouse, raw_refs) == []
    written = {path.name: file_text(path).upper() for path in (home / "var" / "validated").rglob("*.*")}
    assert any(name.endswith(".links.csv") for name in written) and any(name.endswith(".parquet") for name in written)
    assert not any(ref in text for ref in raw_refs for text in written.values())


def test_a_second_rotation_resolves_the_first_keys_pseudonyms_to_the_third(home, warehouse, monkeypatch):
    deliver_all(home)
    load_across_a_rotation(warehouse, monkeypatch)
    deliver(home, "2015/16 Q2", csv_bytes(HEADER, SECOND_ROTATION_Q2))
    rotate(monkeypatch, KEY_C, "2027-04", (KEY_B, "2027-01", "2027-06-30"))  # the first key is gone
    assert ingest.ingest(SOURCE, "2015/16 Q2", as_of=SECOND_ROTATION, run_id="t", warehouse=warehouse)[0][
        "status"] == "available"

    # VIC-0001, referred under the first key (M14-001), KEY_B (M15-101) and KEY_C (M15-202), is one victim
    resolved = {r["case_ref"]: r["victim_linked_pseudonym"]
                for r in warehouse.query("SELECT case_ref, victim_linked_pseudonym FROM core.marac_referral")}
    assert (resolved[pseudonym("M14-001")] == resolved[pseudonym("M15-101", KEY_B)]
            == resolved[pseudonym("M15-202", KEY_C)] == pseudonym("VIC-0001", KEY_C))
    first = warehouse.query("SELECT from_key_id, to_key_id, to_pseudonym FROM core.pseudonym_link "
                            "WHERE from_pseudonym = :p", {"p": pseudonym("VIC-0001")})
    assert first == [{"from_key_id": "2026-11", "to_key_id": "2027-04", "to_pseudonym": pseudonym("VIC-0001", KEY_C)}]
    flags = {r["case_ref"]: bool(r["is_repeat"])
             for r in warehouse.query("SELECT case_ref, is_repeat FROM core.marac_referral_repeat")}
    # M15-203: VIC-0006's last referral (2015-01-02) was under the first key, and no file naming VIC-0006 was
    # loaded while that key was accepted: the link was never made, so the repeat is not found
    # (docs/operating.md, Key rotation)
    assert {case: flags[pseudonym(case, KEY_C)] for case, *_ in SECOND_ROTATION_Q2} == {
        "M15-201": True, "M15-202": True, "M15-203": False}
    assert flags[pseudonym("M15-101", KEY_B)] and flags[pseudonym("M15-103", KEY_B)]  # the first rotation's hold
    quarters = repeat_figures(warehouse)
    assert sum(v[1] for (q, _), v in quarters.items() if q == "2015/16 Q1") == 3


def test_a_previous_key_past_its_window_links_nothing_and_says_to_remove_it(home, warehouse, monkeypatch, caplog):
    deliver_all(home)
    caplog.set_level(logging.WARNING)
    load_across_a_rotation(warehouse, monkeypatch, until="2027-01-14")  # the day before the run's date

    assert links(warehouse) == []
    assert "pseudonymisation key 2026-11 was accepted until 2027-01-14" in caplog.text
    assert "remove it from extra.previous" in caplog.text
    quarter = [v for (q, _), v in repeat_figures(warehouse).items() if q == "2015/16 Q1"]
    assert (sum(n for n, _ in quarter), sum(r for _, r in quarter)) == (6, 1)  # only VIC-0004's, within the quarter


def test_loading_the_same_references_again_writes_no_duplicate_link(home, warehouse, monkeypatch):
    deliver_all(home)
    load_across_a_rotation(warehouse, monkeypatch)
    before = links(warehouse)
    assert len(before) == 11  # six cases, five victims
    again = ingest.ingest(SOURCE, "2015/16 Q1", as_of=FIRST_ROTATION, run_id="t", warehouse=warehouse)
    assert again[0]["changed"] is False  # the very file: not loaded again
    deliver(home, "2015/16 Q1", csv_bytes(HEADER, REFERRALS["2015/16 Q1"][::-1]))  # a re-delivery: new bytes
    reloaded = ingest.ingest(SOURCE, "2015/16 Q1", as_of=FIRST_ROTATION, run_id="t", warehouse=warehouse)
    assert reloaded[0]["status"] == "available" and reloaded[0]["changed"]
    assert links(warehouse) == before
    assert warehouse.query("SELECT COUNT(*) AS n FROM staging.pseudonym_link")[0]["n"] == 11  # the slice's, replaced


def test_links_commit_with_their_slice_or_not_at_all(home, warehouse, monkeypatch):
    deliver_all(home)
    set_pseudonymisation_key(monkeypatch, KEY, key_id="2026-11")
    ingest.ingest(SOURCE, "2014/15", as_of=AS_OF, run_id="t", warehouse=warehouse)
    rotate(monkeypatch, KEY_B, "2027-01", (KEY, "2026-11", "2027-03-31"))

    def broken(*args, **kwargs):
        raise RuntimeError("the completeness check failed midway")

    monkeypatch.setattr(ingest, "completeness", broken)
    with pytest.raises(RuntimeError, match="midway"):
        ingest.ingest(SOURCE, "2015/16 Q1", as_of=FIRST_ROTATION, run_id="t", warehouse=warehouse)
    assert links(warehouse) == []
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_marac_referral WHERE period = '2015/16 Q1'")[0][
        "n"] == 0
