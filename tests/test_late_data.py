"""Late and repeated deliveries leave the warehouse right: no downgrades, no needless reloads, one writer
per slice, the newest delivery taken, and a slice that commits with its status or not at all."""

from __future__ import annotations

import multiprocessing
import os
import time
from datetime import date

import pytest

from safer_communities import dashboard
from safer_communities.periods import Quarter
from safer_communities.sources import ingest
from tests.conftest import drop_police
from tests.partner_files import csv_bytes, xlsx_bytes
from tests.police_samples import january_rows, to_bytes

POLICE = "police_street_crime"
MARAC = "marac_referrals"
AFTER_DEADLINE = date(2026, 11, 26)  # January 2020 was due by 30 March 2020
FIGURES = ("status", "status_reason", "value", "numerator", "denominator", "ytd_value", "last_year_value", "trend")


def january(warehouse, as_of: date = AFTER_DEADLINE, run_id: str = "t") -> dict:
    return ingest.ingest(POLICE, "2020-01", as_of=as_of, run_id=run_id, warehouse=warehouse)[0]


def current(warehouse, source: str = POLICE, period: str = "2020-01") -> dict:
    return warehouse.query("SELECT status, reason, file_sha256, run_id FROM audit.source_status "
                           "WHERE source = :s AND period = :p", {"s": source, "p": period})[0]


def slice_rows(warehouse) -> tuple[int, int, int]:
    """Rows of January 2020 in staging and core, and how many load batches staging holds."""
    staging = warehouse.query("SELECT COUNT(*) AS n, COUNT(DISTINCT load_batch_id) AS b FROM staging.police_street "
                              "WHERE period = '2020-01'")[0]
    core = warehouse.query("SELECT COALESCE(SUM(incidents), 0) AS n FROM core.fact_police_crime "
                           "WHERE month_start = DATE '2020-01-01'")[0]["n"]
    unallocated = warehouse.query("SELECT COALESCE(SUM(incidents), 0) AS n FROM core.fact_police_crime_unallocated "
                                  "WHERE month_start = DATE '2020-01-01'")[0]["n"]
    return int(staging["n"]), int(core) + int(unallocated), int(staging["b"])


def quarter_figures(warehouse, quarter: str) -> dict:
    rows = warehouse.query("SELECT * FROM mart.dashboard_quarterly WHERE quarter_label = :q", {"q": quarter})
    return {(r["indicator_id"], r["area_code"]): tuple(r[c] for c in FIGURES) for r in rows}


# ---------------------------------------------------------------------------- no downgrades, no reloads


def test_a_file_that_vanishes_after_loading_keeps_its_data_status_and_figures(home, warehouse):
    path = drop_police(home, "2020-01")
    for month in ("2020-02", "2020-03"):
        drop_police(home, month)
        ingest.ingest(POLICE, month, as_of=date(2020, 4, 20), run_id="t", warehouse=warehouse)
    loaded = january(warehouse, as_of=date(2020, 2, 20))
    assert loaded["status"] == "available"
    before = current(warehouse)
    dashboard.compute(warehouse, Quarter.parse("2019/20 Q4"), run_id="first", export_dir=home / "exports")
    figures = quarter_figures(warehouse, "2019/20 Q4")

    path.unlink()  # the partner tidies the drop folder; the scheduled run looks at January again
    for as_of in (date(2020, 2, 25), AFTER_DEADLINE):  # before its deadline (awaited) and after it (late)
        again = january(warehouse, as_of=as_of)
        assert (again["status"], again["reason"], again["changed"]) == ("available", loaded["reason"], False)
        (notice,) = again["notices"]
        assert notice.startswith("The file is no longer delivered: ")
        assert "no file at police/2020-01-leicestershire-street.csv in the drop folder" in notice
        assert notice.endswith(f"the slice loaded from file {before['file_sha256'][:12]} and its status "
                               "'available' are kept.")
    assert current(warehouse) == before
    assert slice_rows(warehouse) == (8852, 8852, 1)
    history = warehouse.query("SELECT status FROM audit.source_status_history WHERE period = '2020-01'")
    assert [r["status"] for r in history] == ["available"]
    assert len(warehouse.query("SELECT notice FROM audit.delivery_notice")) == 2
    # the period's data-quality page lists the notices under its unchanged status
    from safer_communities.publish import quality_docs

    page = quality_docs.render(warehouse, POLICE, "2020-01")
    assert page.count("The file is no longer delivered: ") == 2 and ">available<" in page
    # recomputed, the dashboard keeps every figure
    dashboard.compute(warehouse, Quarter.parse("2019/20 Q4"), run_id="second", export_dir=home / "exports")
    assert quarter_figures(warehouse, "2019/20 Q4") == figures
    assert figures[("total_recorded_crime", "E10000018")][:1] == ("incomplete",)  # March 2020 fails a check
    assert figures[("total_recorded_crime", "E10000018")][2] > 0


def test_a_declared_outage_still_overrides_a_loaded_month(home, warehouse, tmp_path, monkeypatch):
    """An outage is a decision about the data, made on purpose in the registry: it is not a downgrade."""
    import yaml

    from safer_communities.settings import CONFIG_DIR

    drop_police(home, "2020-01")
    assert january(warehouse)["status"] == "available"
    document = yaml.safe_load((CONFIG_DIR / "sources" / "police.yaml").read_text(encoding="utf-8"))
    document["sources"][POLICE]["outages"].append({"first": "2020-01", "last": "2020-01", "reason": "Recalled."})
    registry = tmp_path / "police.yaml"
    registry.write_text(yaml.safe_dump(document), encoding="utf-8")
    monkeypatch.setenv("SAFER_COMMUNITIES_REGISTRY", str(registry))
    outage = january(warehouse)
    assert (outage["status"], outage["changed"]) == ("unavailable", True) and "Recalled." in outage["reason"]


# ---------------------------------------------------------------------------- the newest delivery wins


def test_the_newest_of_several_deliveries_is_taken_and_the_others_named(home, warehouse, key):
    header = ["case ref", "referral date", "victim ref", "district", "referring agency", "DASH risk score"]
    rows = [(f"M15-{n:03d}", f"2015-0{4 + n % 3}-{1 + n % 28:02d}", f"VIC-{n:04d}", "Charnwood", "Police", "14")
            for n in range(1, 124)]
    folder = home / "drop" / "marac"
    folder.mkdir(parents=True)
    first, corrected = folder / "marac-referrals-2015-16-Q1.xlsx", folder / "marac-referrals-2015-16-Q1.csv"
    first.write_bytes(xlsx_bytes(header, rows, sheet="MARAC"))
    os.utime(first, (1_436_000_000, 1_436_000_000))
    corrected.write_bytes(csv_bytes(header, rows[:113]))  # the registry lists .xlsx first: ignored until now
    os.utime(corrected, (1_437_000_000, 1_437_000_000))

    (state,) = ingest.ingest(MARAC, "2015/16 Q1", as_of=date(2015, 9, 17), run_id="t", warehouse=warehouse)
    assert state["status"] == "available" and state["reason"] == "Loaded 113 rows."
    assert state["notices"] == [
        "2 files delivered for 2015/16 Q1: took marac/marac-referrals-2015-16-Q1.csv (delivered 2015-07-15 "
        "22:40:00 UTC), the newest; not marac/marac-referrals-2015-16-Q1.xlsx (delivered 2015-07-04 "
        "08:53:20 UTC)."]
    loaded = warehouse.query("SELECT COUNT(*) AS n FROM core.fact_marac_referral")[0]["n"]
    assert loaded == 113
    assert warehouse.query("SELECT original_name FROM audit.pulled_file") == [
        {"original_name": "marac-referrals-2015-16-Q1.csv"}]


# ---------------------------------------------------------------------------- one transaction


STEPS = ("replace_slice.sql", "police_street.sql", "audit.load_batch", "audit.completeness_result",
         "record_status.sql")


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_of_a_load_leaves_nothing_half_done(home, warehouse, monkeypatch, step):
    """The slice, its load batch, completeness results, status and history commit together: a failure at any
    step leaves the previous slice and status as they were."""
    drop_police(home, "2020-01", to_bytes(january_rows(8852)[:-852]))
    first = january(warehouse, run_id="first")
    assert first["reason"] == "Loaded 8,000 rows."
    before = (current(warehouse), slice_rows(warehouse),
              warehouse.query("SELECT COUNT(*) AS n FROM audit.load_batch")[0]["n"],
              warehouse.query("SELECT COUNT(*) AS n FROM audit.source_status_history")[0]["n"],
              warehouse.query("SELECT check_name, detail FROM audit.completeness_result ORDER BY check_name"))

    class Killed(Exception):
        pass

    real_file, real_rows = ingest.run_sql_file, ingest.bulk_copy_rows

    def run_sql_file(connection, path, params=None):
        if path.name == step:
            raise Killed(step)
        return real_file(connection, path, params)

    def bulk_copy_rows(connection, table, columns, rows):
        if table == step:
            raise Killed(step)
        return real_rows(connection, table, columns, rows)

    monkeypatch.setattr(ingest, "run_sql_file", run_sql_file)
    monkeypatch.setattr(ingest, "bulk_copy_rows", bulk_copy_rows)
    drop_police(home, "2020-01")  # the whole month, corrected
    with pytest.raises(Killed):
        january(warehouse, run_id="killed")
    after = (current(warehouse), slice_rows(warehouse),
             warehouse.query("SELECT COUNT(*) AS n FROM audit.load_batch")[0]["n"],
             warehouse.query("SELECT COUNT(*) AS n FROM audit.source_status_history")[0]["n"],
             warehouse.query("SELECT check_name, detail FROM audit.completeness_result ORDER BY check_name"))
    assert after == before
    assert before[1][:2] == (8000, 8000)

    monkeypatch.setattr(ingest, "run_sql_file", real_file)
    monkeypatch.setattr(ingest, "bulk_copy_rows", real_rows)
    assert january(warehouse, run_id="retried")["reason"] == "Loaded 8,852 rows."
    assert slice_rows(warehouse) == (8852, 8852, 1)


# ---------------------------------------------------------------------------- one writer per slice


def _ingest_in_a_process(url: str, home: str, drop: str, run_id: str, start_at: float) -> None:
    os.environ["SAFER_COMMUNITIES_HOME"] = home
    os.environ["SAFER_COMMUNITIES_DROP"] = drop
    from safer_communities.warehouse import Warehouse

    with Warehouse(url) as warehouse:
        time.sleep(max(0.0, start_at - time.time()))  # both start together
        ingest.ingest(POLICE, "2020-01", as_of=AFTER_DEADLINE, run_id=run_id, warehouse=warehouse)


def big_month(rows: int, seed: int) -> bytes:
    """A police month of ``rows`` rows: the fixture's rows repeated with their own crime ids."""
    header, *base = january_rows(8852)
    out = [header]
    for n in range(rows):
        row = list(base[n % len(base)])
        if row[0]:
            row[0] = f"{seed:02x}{n:062x}"
        out.append(row)
    return to_bytes(out)


@pytest.mark.parametrize("same_file", [True, False], ids=["same-file", "two-deliveries"])
def test_two_ingests_of_one_slice_at_once_leave_exactly_one_slice(home, make_warehouse, tmp_path, same_file):
    """Two processes ingest January 2020 into an empty PostgreSQL warehouse at the same moment: the same
    200,000-row file, or two different deliveries. They take turns on the slice's lock: one slice, whole,
    matching the status that describes it."""
    warehouse = make_warehouse("postgres")
    contents = [big_month(200_000, 1), big_month(200_000, 1) if same_file else big_month(180_000, 2)]
    drops = []
    for number, content in enumerate(contents):
        drop = tmp_path / f"drop-{number}"
        (drop / "police").mkdir(parents=True)
        (drop / "police" / "2020-01-leicestershire-street.csv").write_bytes(content)
        drops.append(str(drop))
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 8
    workers = [context.Process(target=_ingest_in_a_process,
                               args=(warehouse.url, str(tmp_path / f"home-{n}"), drops[n], f"run-{n}", start_at))
               for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)
        assert worker.exitcode == 0

    status = current(warehouse)
    staging, core, batches = slice_rows(warehouse)
    assert batches == 1 and staging == core
    loaded = warehouse.query("SELECT rows_loaded, file_sha256 FROM audit.load_batch ORDER BY loaded_at DESC LIMIT 1")[0]
    assert status["status"] == "available" and status["reason"] == f"Loaded {staging:,} rows."
    assert status["file_sha256"] == loaded["file_sha256"] and loaded["rows_loaded"] == staging
    if same_file:
        assert staging == 200_000
        assert warehouse.query("SELECT COUNT(*) AS n FROM audit.load_batch")[0]["n"] == 1  # the second found it loaded
    else:
        assert staging in (200_000, 180_000)
        assert warehouse.query("SELECT COUNT(*) AS n FROM audit.load_batch")[0]["n"] == 2  # one after the other
