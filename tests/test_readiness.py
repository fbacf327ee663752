"""A quarter's dashboard against its reporting date: what it needs, what is delivered, excused or missing, the
state (complete / in progress / late), audit.dashboard_readiness, the one alert when a quarter is first found late,
the daily DAG and the command."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from safer_communities import cli
from safer_communities.dashboard import readiness
from safer_communities.dashboard.indicators import load_catalogue
from safer_communities.periods import Quarter
from safer_communities.settings import SQL_DIR
from safer_communities.sources.registry import default_registry
from safer_communities.warehouse import Warehouse, run_sql_file
from tests.alert_channels import BASE_URL, RECIPIENTS, free_port, smtp_connection
from tests.conftest import PROJECT, PSEUDONYMISATION_KEY

pytestmark = pytest.mark.usefixtures("airflow_ui")  # links from BASE_URL; no alert connection unless set

SEED = "2015/16 Q1"  # quarter ended 30 June 2015; the seed report went to the board on 17 September 2015
SEED_DAY = date(2015, 9, 17)
NICHE = ("Declared outage 2015-04 to 2015-06: New police records system (NICHE) introduced; crime data not "
         "available for performance reporting.")
NEVER = "No run has decided this period yet."
Q4 = "2014/15 Q4"  # ended 31 March 2015: reporting date 79 days on, 18 June 2015; no outage
Q4_DAY = date(2015, 6, 18)
MARAC_LATE = "Not delivered by the deadline 2015-04-30 (no file at marac/marac-referrals-2014-15-Q4.xlsx)."


@pytest.fixture(scope="module")
def config():
    return default_registry(), load_catalogue(), readiness.load_reporting()


def statuses(quarter: str, *changes: tuple[str, str, str | None, str]) -> list[dict]:
    """``audit.source_status`` rows: every source period the quarter needs ``available``, but for ``changes``
    (source, period, status, reason); a status of None leaves the period without a row (never ingested)."""
    rows = {(source, period): {"source": source, "period": period, "status": "available", "reason": "Loaded 9 rows."}
            for source, period in readiness.needed_periods(Quarter.parse(quarter), load_catalogue(),
                                                           default_registry())}
    for source, period, status, reason in changes:
        assert (source, period) in rows, (source, period)
        if status is None:
            del rows[(source, period)]
        else:
            rows[(source, period)].update(status=status, reason=reason)
    return list(rows.values())


def assess(quarter: str, as_of: date, rows: list[dict], config, reporting=None) -> readiness.Readiness:
    sources, catalogue, default = config
    return readiness.assess(Quarter.parse(quarter), as_of, rows, sources, catalogue, reporting or default)


def outcomes(result: readiness.Readiness) -> dict[tuple[str, str], tuple[str, str, str]]:
    return {(p.source, p.period): (p.outcome, p.status, p.reason) for p in result.periods}


# ---------------------------------------------------------------------------- configuration


def test_the_reporting_configuration_and_dates(config):
    reporting = readiness.load_reporting()
    assert reporting.reporting_days_after_quarter_end == 79
    assert reporting.reporting_dates == {SEED: SEED_DAY}
    assert readiness.reporting_date(Quarter.parse(SEED)) == SEED_DAY  # its own date (also 79 days on)
    assert readiness.reporting_date(Quarter.parse(Q4), reporting) == Q4_DAY
    assert readiness.reporting_date(Quarter.parse("2015/16 Q3"), reporting) == date(2016, 3, 19)  # 31 Dec + 79
    moved = readiness.Reporting(reporting_days_after_quarter_end=79, reporting_dates={" 2014/15 Q4": "2015-07-02"})
    assert readiness.reporting_date(Quarter.parse(Q4), moved) == date(2015, 7, 2)


@pytest.mark.parametrize(("text", "field", "message"), [
    ("reporting_days_after_quarter_end: 79\nmeeting_day: thursday\n", "meeting_day", "Extra inputs"),
    ("reporting_days_after_quarter_end: -1\n", "reporting_days_after_quarter_end", "greater than or equal to 0"),
    ("reporting_dates: {}\n", "reporting_days_after_quarter_end", "Field required"),
    ("reporting_days_after_quarter_end: 79\nreporting_dates:\n  \"2015/16 Q5\": 2015-09-17\n", "reporting_dates",
     "'2015/16 Q5' is not a financial-year quarter"),
    ("reporting_days_after_quarter_end: 79\nreporting_dates:\n  \"2015 Q1\": 2015-09-17\n", "reporting_dates",
     "'2015 Q1' is not a financial-year quarter"),
    ("reporting_days_after_quarter_end: 79\nreporting_dates:\n  \"2015/16 Q1\": 2015-09-31\n",
     "reporting_dates.2015/16 Q1", "valid date"),
    ("reporting_days_after_quarter_end: 79\nreporting_dates:\n  \"2015/16 Q1\": next thursday\n",
     "reporting_dates.2015/16 Q1", "valid date"),
    ("reporting_days_after_quarter_end: 79\nreporting_dates:\n  \"2015/16 Q1\": 2015-06-30\n", "reporting_dates",
     "2015/16 Q1: 2015-06-30 is not after the quarter's end 2015-06-30"),
])
def test_a_bad_configuration_is_an_error_naming_the_file_and_the_field(tmp_path, text, field, message):
    path = tmp_path / "reporting.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(readiness.ReportingError) as raised:
        readiness.load_reporting(path)
    assert str(raised.value).startswith(f"{path}: {field}: "), str(raised.value)
    assert message in str(raised.value)


def test_an_unreadable_configuration_names_the_file(tmp_path):
    with pytest.raises(readiness.ReportingError, match="cannot read the reporting configuration"):
        readiness.load_reporting(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 79\n", encoding="utf-8")
    with pytest.raises(readiness.ReportingError, match=f"{tmp_path / 'list.yaml'}: cannot read"):
        readiness.load_reporting(tmp_path / "list.yaml")


# ---------------------------------------------------------------------------- what a quarter needs, and assess


def test_the_source_periods_a_quarter_needs_each_in_its_sources_own_periods(config):
    sources, catalogue, _ = config
    assert readiness.needed_periods(Quarter.parse(SEED), catalogue, sources) == [
        ("community_survey", "2015/16 Q1"),
        ("domestic_abuse_referrals", "2015-04"), ("domestic_abuse_referrals", "2015-05"),
        ("domestic_abuse_referrals", "2015-06"),
        ("iom_cohort", "2014/15"),  # an annual cohort: the year before the quarter's
        ("marac_referrals", "2015/16 Q1"),  # two indicators, one source period
        ("police_street_crime", "2015-04"), ("police_street_crime", "2015-05"), ("police_street_crime", "2015-06"),
        ("youth_first_time_entrants", "2015/16 Q1"),
        ("youth_reoffending", "2015/16 Q1"),
    ]


def test_every_period_delivered_is_complete_incomplete_data_counts_as_delivered(config):
    rows = statuses(Q4, ("marac_referrals", Q4, "incomplete", "Incomplete: no records dated in 2015-03."))
    result = assess(Q4, date(2015, 5, 1), rows, config)
    assert (result.state, result.reporting_date) == ("complete", Q4_DAY)
    assert [p.outcome for p in result.periods] == ["delivered"] * 11
    assert outcomes(result)[("marac_referrals", Q4)] == (
        "delivered", "incomplete", "Incomplete: no records dated in 2015-03.")
    assert result.state_line() == ("Dashboard 2014/15 Q4 as at 2015-05-01: complete (every source period it needs is "
                                   "delivered or excused; reporting date 2015-06-18)")


def test_the_declared_niche_outage_is_excused_with_its_reason(config):
    # the police months decided unavailable by the outage, and one month never ingested: the outage excuses both
    rows = statuses(SEED, ("police_street_crime", "2015-04", "unavailable", NICHE),
                    ("police_street_crime", "2015-05", "unavailable", NICHE),
                    ("police_street_crime", "2015-06", None, ""))
    result = assess(SEED, SEED_DAY, rows, config)
    assert result.state == "complete"
    found = outcomes(result)
    assert found[("police_street_crime", "2015-04")] == ("excused", "unavailable", NICHE)
    assert found[("police_street_crime", "2015-06")] == ("excused", "not ingested", NICHE)
    assert [p.period for p in result.having("excused")] == ["2015-04", "2015-05", "2015-06"]


def test_youth_reoffending_is_excused_as_not_due_until_its_deadline(config):
    # due 593 days after the quarter's end (30 June 2015): 12 February 2017, long after the board meets
    rows = statuses(SEED, ("youth_reoffending", SEED, "awaited", "Not yet due: expected by 2017-02-12 (...)."))
    result = assess(SEED, date(2015, 10, 1), rows, config)
    assert result.state == "complete"
    assert outcomes(result)[("youth_reoffending", SEED)] == (
        "excused", "awaited", "Not due until 2017-02-12, after the reporting date 2015-09-17.")


def test_a_late_marac_quarter_is_in_progress_before_the_reporting_date_and_late_on_it(config):
    rows = statuses(Q4, ("marac_referrals", Q4, "late", MARAC_LATE))
    before = assess(Q4, date(2015, 6, 17), rows, config)
    assert before.state == "in progress"
    assert before.reason == "1 source period missing; reporting date 2015-06-18"
    on_the_day = assess(Q4, Q4_DAY, rows, config)
    assert on_the_day.state == "late"
    assert on_the_day.reason == "not complete by its reporting date 2015-06-18: 1 source period missing"
    (missing,) = on_the_day.having("missing")
    assert missing.line() == f"marac_referrals {Q4}: late - {MARAC_LATE}"
    assert len(on_the_day.having("delivered")) == 10
    assert assess(Q4, date(2016, 1, 1), rows, config).state == "late"
    # delivered afterwards: complete, whatever the date
    assert assess(Q4, date(2016, 1, 1), statuses(Q4), config).state == "complete"


def test_rejected_and_never_ingested_periods_are_missing(config):
    rejected = "Rejected: header_match failed (file kept in quarantine)."
    missed = "Not delivered by the deadline 2015-05-31 (no file)."
    rows = statuses(SEED, ("domestic_abuse_referrals", "2015-05", "rejected", rejected),
                    ("domestic_abuse_referrals", "2015-06", "late", missed),
                    ("iom_cohort", "2014/15", None, ""),
                    ("police_street_crime", "2015-04", "unavailable", NICHE))
    result = assess(SEED, SEED_DAY, rows, config)
    assert result.state == "late"
    assert [(p.source, p.period, p.status, p.reason) for p in result.having("missing")] == [
        ("domestic_abuse_referrals", "2015-05", "rejected", rejected),
        ("domestic_abuse_referrals", "2015-06", "late", missed),
        ("iom_cohort", "2014/15", "not ingested", NEVER),
    ]
    assert outcomes(result)[("police_street_crime", "2015-04")][0] == "excused"


def test_a_deadline_on_the_reporting_date_itself_is_not_excused(config):
    # the survey of 2014/15 Q4 is due 91 days after 31 March: 30 June 2015. A board meeting on 30 June needs it.
    rows = statuses(Q4, ("community_survey", Q4, "awaited", "Not yet due: expected by 2015-06-30 (...)."))
    on_the_deadline = readiness.Reporting(reporting_days_after_quarter_end=91)
    assert assess(Q4, date(2015, 6, 30), rows, config, on_the_deadline).state == "late"
    a_day_before = readiness.Reporting(reporting_days_after_quarter_end=90)
    excused = assess(Q4, date(2015, 6, 30), rows, config, a_day_before)
    assert excused.state == "complete"
    assert outcomes(excused)[("community_survey", Q4)][2] == "Not due until 2015-06-30, after the reporting date " \
                                                             "2015-06-29."


def test_a_reporting_date_of_its_own_moves_the_deadline(config):
    rows = statuses(Q4, ("marac_referrals", Q4, "late", MARAC_LATE))
    assert assess(Q4, date(2015, 6, 20), rows, config).state == "late"  # by the default, 18 June
    moved = readiness.Reporting(reporting_days_after_quarter_end=79, reporting_dates={Q4: date(2015, 7, 2)})
    result = assess(Q4, date(2015, 6, 20), rows, config, moved)
    assert (result.state, result.reporting_date) == ("in progress", date(2015, 7, 2))
    assert assess(Q4, date(2015, 7, 2), rows, config, moved).state == "late"


def test_the_seed_quarter_with_the_demo_statuses_is_complete_by_its_board_meeting(seed_statuses, config):
    """Worked out by hand from the registry: police April-June 2015 are the declared NICHE outage; youth
    re-offending is due 593 days after 30 June 2015 (12 February 2017) and the survey 91 days after (29 September
    2015), both after the board's 17 September; everything else was delivered (IOM 2014/15 was due 30 June,
    first-time entrants 14 August, MARAC 30 July, domestic abuse each month + 30 days)."""
    result = assess(SEED, SEED_DAY, seed_statuses, config)
    assert (result.state, result.reporting_date) == ("complete", SEED_DAY)
    assert sorted((p.source, p.period) for p in result.having("delivered")) == [
        ("domestic_abuse_referrals", "2015-04"), ("domestic_abuse_referrals", "2015-05"),
        ("domestic_abuse_referrals", "2015-06"), ("iom_cohort", "2014/15"), ("marac_referrals", SEED),
        ("youth_first_time_entrants", SEED)]
    assert {(p.source, p.period): (p.status, p.reason) for p in result.having("excused")} == {
        ("community_survey", SEED): ("awaited", "Not due until 2015-09-29, after the reporting date 2015-09-17."),
        ("police_street_crime", "2015-04"): ("unavailable", NICHE),
        ("police_street_crime", "2015-05"): ("unavailable", NICHE),
        ("police_street_crime", "2015-06"): ("unavailable", NICHE),
        ("youth_reoffending", SEED): ("awaited", "Not due until 2017-02-12, after the reporting date 2015-09-17."),
    }
    assert result.having("missing") == []
    # the survey not even looked for yet: still excused, it was not due by the board's meeting
    assert assess(SEED, date(2015, 9, 18), [r for r in seed_statuses if r["source"] != "community_survey"],
                  config).state == "complete"


def test_the_daily_checks_quarters(config):
    reporting = readiness.load_reporting()
    labels = [str(q) for q in readiness.quarters_to_check(SEED_DAY, reporting)]
    # 2014/15 Q1 was reported on 17 September 2014, 365 days before; 2013/14 Q4 on 18 June 2014, 456 days
    assert labels == ["2014/15 Q1", "2014/15 Q2", "2014/15 Q3", "2014/15 Q4", SEED]
    assert str(readiness.quarters_to_check(date(2015, 6, 30), reporting)[-1]) == SEED  # ended that day
    assert str(readiness.quarters_to_check(date(2015, 6, 29), reporting)[-1]) == Q4
    # 400 days after its reporting date a quarter is still checked, the day after no more
    assert "2014/15 Q1" in map(str, readiness.quarters_to_check(date(2015, 10, 22), reporting))
    assert "2014/15 Q1" not in map(str, readiness.quarters_to_check(date(2015, 10, 23), reporting))
    # a quarter with a far-off date of its own is followed from it
    late_meeting = readiness.Reporting(reporting_days_after_quarter_end=79,
                                       reporting_dates={"2013/14 Q1": date(2014, 9, 1)})
    assert "2013/14 Q1" in map(str, readiness.quarters_to_check(SEED_DAY, late_meeting))
    assert [str(q) for q in readiness.quarters_requested(["2014/15 Q3..2015/16 Q1", "2015/16 Q1"])] == [
        "2014/15 Q3", Q4, SEED]


# ---------------------------------------------------------------------------- the demo, as the main job ingests it


@pytest.fixture(scope="module")
def seed_warehouse(tmp_path_factory) -> Path:
    """A DuckDB warehouse with the demo extracts of the source periods 2015/16 Q1 needs ingested as at the board
    meeting (what the main job does for them); closed, so a test can copy the file."""
    from safer_communities.demo import generate
    from safer_communities.sources import ingest

    root = tmp_path_factory.mktemp("readiness")
    generate(root / "drop")
    path = root / "seed.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFER_COMMUNITIES_HOME", str(root / "var"))
        patch.setenv("SAFER_COMMUNITIES_DROP", str(root / "drop"))
        patch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION",
                     json.dumps({"conn_type": "generic", "password": PSEUDONYMISATION_KEY}))
        with Warehouse(f"duckdb:///{path}") as warehouse:
            warehouse.migrate()
            for source, period in readiness.needed_periods(Quarter.parse(SEED), load_catalogue(),
                                                           default_registry()):
                ingest.ingest(source, period, as_of=SEED_DAY, run_id="demo", warehouse=warehouse)
    return path


@pytest.fixture
def seed_statuses(seed_warehouse) -> list[dict]:
    with Warehouse(f"duckdb:///{seed_warehouse}") as warehouse:
        return warehouse.query("SELECT source, period, status, reason FROM audit.source_status")


@pytest.fixture
def seed_copy(seed_warehouse, tmp_path, monkeypatch) -> str:
    """A copy of the seed warehouse that tasks and the command find through the warehouse connection; its URL."""
    copy = tmp_path / "seed-copy.duckdb"
    shutil.copy(seed_warehouse, copy)
    url = f"duckdb:///{copy}"
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}}))
    return url


# ---------------------------------------------------------------------------- record


def _late_marac(as_of: date = Q4_DAY) -> readiness.Readiness:
    sources, catalogue, _ = default_registry(), load_catalogue(), readiness.load_reporting()
    return readiness.assess(Quarter.parse(Q4), as_of, statuses(Q4, ("marac_referrals", Q4, "late", MARAC_LATE)),
                            sources, catalogue, readiness.load_reporting())


def _row(warehouse) -> dict:
    (row,) = warehouse.query("SELECT * FROM audit.dashboard_readiness")
    return row


def test_record_keeps_one_row_per_quarter_and_first_late_at(warehouse):
    """On DuckDB and PostgreSQL."""
    in_progress = _late_marac(date(2015, 6, 1))
    first = readiness.record(warehouse, in_progress, "run-1")
    assert first["newly_late"] is False
    row = _row(warehouse)
    assert {k: v for k, v in row.items() if k != "checked_at"} == {
        "quarter_label": Q4, "reporting_date": Q4_DAY, "state": "in progress", "delivered": 10, "excused": 0,
        "missing": 1, "missing_detail": f"marac_referrals {Q4}: late - {MARAC_LATE}", "excused_detail": None,
        "as_of": date(2015, 6, 1), "first_late_at": None, "run_id": "run-1"}
    # re-recording gives the same row but for when it was checked
    assert readiness.record(warehouse, in_progress, "run-1")["newly_late"] is False
    again = _row(warehouse)
    assert {k: v for k, v in again.items() if k != "checked_at"} == {k: v for k, v in row.items() if k != "checked_at"}
    assert again["checked_at"] >= row["checked_at"]

    # first found late: newly late, first_late_at is that check's time
    late = readiness.record(warehouse, _late_marac(), "run-2")
    assert late["newly_late"] is True
    row = _row(warehouse)
    assert (row["state"], row["as_of"], row["run_id"]) == ("late", Q4_DAY, "run-2")
    assert row["first_late_at"] == row["checked_at"]
    first_late = row["first_late_at"]
    # checked again, still late: not newly late, first_late_at kept; the rest the same but checked_at
    assert readiness.record(warehouse, _late_marac(), "run-2")["newly_late"] is False
    assert {k: v for k, v in _row(warehouse).items() if k != "checked_at"} == {
        k: v for k, v in row.items() if k != "checked_at"}
    # delivered after all: complete, and first_late_at is still the record of it having been late
    complete = readiness.assess(Quarter.parse(Q4), date(2015, 7, 1), statuses(Q4), default_registry(),
                                load_catalogue(), readiness.load_reporting())
    readiness.record(warehouse, complete, "run-3")
    row = _row(warehouse)
    assert (row["state"], row["missing"], row["missing_detail"], row["first_late_at"]) == (
        "complete", 0, None, first_late)
    # late once more (a corrected file rejected): no second "first time"
    assert readiness.record(warehouse, _late_marac(date(2015, 7, 2)), "run-4")["newly_late"] is False
    assert _row(warehouse)["first_late_at"] == first_late


def test_the_excused_detail_names_each_period_and_why(make_warehouse, config):
    warehouse = make_warehouse("duckdb")
    rows = statuses(SEED, *[("police_street_crime", m, "unavailable", NICHE) for m in ("2015-04", "2015-05",
                                                                                        "2015-06")])
    readiness.record(warehouse, assess(SEED, SEED_DAY, rows, config), "run-1")
    row = _row(warehouse)
    assert (row["state"], row["delivered"], row["excused"], row["missing"]) == ("complete", 8, 3, 0)
    assert row["excused_detail"] == " | ".join(f"police_street_crime {m}: unavailable - {NICHE}"
                                               for m in ("2015-04", "2015-05", "2015-06"))


# ---------------------------------------------------------------------------- the alert


def _set_statuses(warehouse, rows: list[dict]) -> None:
    with warehouse.begin() as connection:
        for row in rows:
            run_sql_file(connection, SQL_DIR / "audit" / "record_status.sql",
                         {**row, "file_sha256": None, "run_id": "hand", "decided_at": datetime(2015, 6, 1)})


def test_a_quarter_first_found_late_is_alerted_once(make_warehouse, alert_connections):
    inbox, hook = alert_connections
    warehouse = make_warehouse("duckdb")
    _set_statuses(warehouse, statuses(Q4, ("marac_referrals", Q4, "late", MARAC_LATE)))

    before = readiness.check(warehouse, [Quarter.parse(Q4)], as_of=date(2015, 6, 17), run_id="r1")
    assert [(c.readiness.state, c.newly_late, c.alerted) for c in before] == [("in progress", False, [])]
    assert inbox.messages() == [] and hook.requests == []

    (checked,) = readiness.check(warehouse, [Quarter.parse(Q4)], as_of=Q4_DAY, run_id="r2")
    assert (checked.readiness.state, checked.newly_late) == ("late", True)
    assert checked.alerted == ["safer_communities_alerts_smtp", "safer_communities_alerts_webhook"]
    (recipients, subject, body), = inbox.messages()
    assert recipients == RECIPIENTS
    assert subject == "[Safer Communities] Dashboard 2014/15 Q4 not complete by its reporting date 2015-06-18"
    for expected in ("2014/15 Q4", "2015-06-18",
                     "marac_referrals 2014/15 Q4: late - Not delivered by the deadline 2015-04-30",
                     "deadline 2015-04-30", f"{BASE_URL}/dags/dashboard_deadlines"):
        assert expected in body, expected
    (posted,) = hook.posted()
    assert (posted["kind"], posted["subject"], posted["period"], posted["run_id"]) == (
        "dashboard_late", subject, Q4, "r2")
    assert posted["findings"] == [{"source": "marac_referrals", "period": Q4, "status": "late",
                                   "reason": MARAC_LATE, "rows_quarantined": 0, "rules": []}]

    # the next day's check: still late, no second alert
    (again,) = readiness.check(warehouse, [Quarter.parse(Q4)], as_of=date(2015, 6, 19), run_id="r3")
    assert (again.readiness.state, again.newly_late, again.alerted) == ("late", False, [])
    assert len(inbox.messages()) == 1 and len(hook.posted()) == 1


def test_an_alert_channel_that_fails_does_not_fail_the_check(make_warehouse, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_ALERTS_SMTP", smtp_connection(free_port()))  # no server there
    warehouse = make_warehouse("duckdb")
    (checked,) = readiness.check(warehouse, [Quarter.parse(Q4)], as_of=Q4_DAY, run_id="r1")
    assert (checked.readiness.state, checked.newly_late, checked.alerted) == ("late", True, [])
    assert "alert not sent through safer_communities_alerts_smtp" in caplog.text
    assert _row(warehouse)["first_late_at"] is not None


# ---------------------------------------------------------------------------- the daily DAG and the command


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT / "dags"))


def test_the_daily_dag_is_scheduled_daily_with_one_writing_task(dagbag):
    dag = dagbag.dags["dashboard_deadlines"]
    assert dag.schedule == "@daily" and dag.timetable.expression == "0 0 * * *"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.start_date == datetime(2015, 4, 1, tzinfo=UTC)
    assert [task.task_id for task in dag.tasks] == ["check"]
    assert dag.get_task("check").pool == "warehouse_writer"
    assert "quarter" in dag.params


def test_the_daily_dag_records_every_recent_quarter_and_alerts_the_newly_late_once(
        airflow_db, seed_copy, home, alert_connections, dagbag):
    inbox, hook = alert_connections
    dag = dagbag.dags["dashboard_deadlines"]
    # the run of the board's day: the seed warehouse has only 2015/16 Q1's periods, so 2014/15's quarters are late
    first = dag.test(run_after=datetime(2015, 9, 17, 6, tzinfo=UTC))
    assert first.state == "success"
    summary = first.get_task_instance("check").xcom_pull(task_ids="check")
    late = ["2014/15 Q1", "2014/15 Q2", "2014/15 Q3", "2014/15 Q4"]
    assert summary == {"as_of": "2015-09-17", "states": {**dict.fromkeys(late, "late"), SEED: "complete"},
                       "late": late, "newly_late": late}
    with Warehouse(seed_copy) as warehouse:
        rows = {r["quarter_label"]: r for r in warehouse.query("SELECT * FROM audit.dashboard_readiness")}
    assert sorted(rows) == [*late, SEED]
    assert {(r["as_of"], r["run_id"]) for r in rows.values()} == {(SEED_DAY, first.run_id)}
    seed = rows[SEED]
    assert (seed["state"], seed["delivered"], seed["excused"], seed["missing"], seed["first_late_at"]) == (
        "complete", 6, 5, 0, None)
    assert rows["2014/15 Q1"]["reporting_date"] == date(2014, 9, 17)
    assert "iom_cohort 2013/14: not ingested - No run has decided this period yet." in rows["2014/15 Q1"][
        "missing_detail"]
    subjects = sorted(subject for _, subject, _ in inbox.messages())
    assert subjects == [f"[Safer Communities] Dashboard {quarter} not complete by its reporting date "
                        f"{rows[quarter]['reporting_date']}" for quarter in late]
    assert {p["link"] for p in hook.posted()} == {
        f"{BASE_URL}/dags/dashboard_deadlines/runs/{quote(first.run_id)}/tasks/check"}

    # the next day: the same quarters, still late, no new alert; the seed quarter by hand, as the board saw it
    second = dag.test(run_after=datetime(2015, 9, 18, 6, tzinfo=UTC))
    assert second.get_task_instance("check").xcom_pull(task_ids="check")["newly_late"] == []
    by_hand = dag.test(run_after=datetime(2015, 9, 18, 7, tzinfo=UTC), run_conf={"quarter": SEED})
    assert by_hand.get_task_instance("check").xcom_pull(task_ids="check")["states"] == {SEED: "complete"}
    assert len(inbox.messages()) == 4 and len(hook.posted()) == 4
    with Warehouse(seed_copy) as warehouse:
        again = {r["quarter_label"]: r for r in warehouse.query("SELECT * FROM audit.dashboard_readiness")}
    assert {q: again[q]["first_late_at"] for q in late} == {q: rows[q]["first_late_at"] for q in late}
    assert again[SEED]["run_id"] == by_hand.run_id and again["2014/15 Q1"]["run_id"] == second.run_id


def test_the_command_prints_the_state_and_every_source_period_and_records_it(seed_copy, home, capsys):
    cli.main(["readiness", SEED, "--as-of", "2015-09-17"])
    printed = capsys.readouterr().out
    assert ("Dashboard 2015/16 Q1 as at 2015-09-17: complete (every source period it needs is delivered or "
            "excused; reporting date 2015-09-17)") in printed
    lines = {tuple(line.split()[:3]): line for line in printed.splitlines() if line.startswith(
        ("community", "domestic", "iom", "marac", "police", "youth"))}
    assert len(lines) == 11
    assert lines[("police_street_crime", "2015-04", "excused")].split()[3] == "unavailable"
    assert "NICHE" in lines[("police_street_crime", "2015-04", "excused")]
    assert "Not due until 2015-09-29" in lines[("community_survey", "2015/16", "Q1")]
    assert lines[("marac_referrals", "2015/16", "Q1")].split()[3] == "delivered"
    assert "recorded in audit.dashboard_readiness" in printed
    with Warehouse(seed_copy) as warehouse:
        (row,) = warehouse.query("SELECT quarter_label, state, as_of, run_id FROM audit.dashboard_readiness")
    assert (row["quarter_label"], row["state"], row["as_of"]) == (SEED, "complete", SEED_DAY)
    assert row["run_id"].startswith("cli__")

    # the quarter before: nothing of it was ingested into this warehouse, and its board met on 18 June
    cli.main(["readiness", Q4, "--as-of", "2015-09-17"])
    printed = capsys.readouterr().out
    assert "Dashboard 2014/15 Q4 as at 2015-09-17: late (not complete by its reporting date 2015-06-18: " \
           "9 source periods missing)" in printed  # youth re-offending and the survey not due by then
    marac = next(line for line in printed.splitlines() if line.startswith("marac_referrals"))
    assert marac.split() == ["marac_referrals", "2014/15", "Q4", "missing", "not", "ingested", *NEVER.split()]
    assert "first found late: no alert went out (no alert connection" in printed
    with pytest.raises(SystemExit, match="is not a month"):
        cli.main(["readiness", "2015 Q1"])
