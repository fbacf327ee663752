"""The HTTP transport end to end, against a real HTTP server on loopback.

The police source is declared with an ``http`` transport in a registry written
for the test; its Airflow connection comes from ``AIRFLOW_CONN_POLICE_FILES``.
Every case runs the real ingestion steps on DuckDB and on PostgreSQL and checks
both the status decided and what the warehouse and landing area hold.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from safer_communities.settings import CONFIG_DIR
from safer_communities.sources import ingest
from safer_communities.sources.transports import TransferError
from tests.conftest import POLICE_FIXTURES
from tests.http_server import LoopbackServer, Reply

SOURCE = "police_street_crime"
MONTH = "2020-01"
FILE_PATH = "/2020-01/2020-01-leicestershire-street.csv"
JANUARY = (POLICE_FIXTURES / "2020-01-leicestershire-street.csv").read_bytes()
JANUARY_ROWS = 8852
JANUARY_SHA256 = hashlib.sha256(JANUARY).hexdigest()
RETRIES = 2
TIMEOUT = 1.0

# 2020-01 ends on 2020-01-31; the deadline is 60 days later: 2020-03-31 (late up to and including it).
DEADLINE = date(2020, 3, 31)
BEFORE_DEADLINE = date(2020, 2, 20)
ON_DEADLINE = DEADLINE
AFTER_DEADLINE = date(2020, 4, 1)
BY_DEADLINE = [
    pytest.param(BEFORE_DEADLINE, "awaited", id="before-deadline"),
    pytest.param(ON_DEADLINE, "awaited", id="on-deadline"),
    pytest.param(AFTER_DEADLINE, "late", id="after-deadline"),
]


# --- set-up -------------------------------------------------------------------------------------


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 (free port), in a thread, for one test."""
    running = LoopbackServer().start()
    try:
        yield running
    finally:
        running.stop()


def published(*months: str) -> Reply:
    """The police API's crimes-street-dates answer listing ``months``."""
    body = json.dumps([{"date": month, "stop-and-search": []} for month in months]).encode()
    return Reply(200, body, {"Content-Type": "application/json"})


def last_updated(day: str) -> Reply:
    return Reply(200, json.dumps({"date": day}).encode(), {"Content-Type": "application/json"})


def january_file(**overrides) -> Reply:
    return Reply(**{"status": 200, "body": JANUARY, "headers": {"Content-Type": "text/csv"}, **overrides})


@pytest.fixture
def police_http(home, server, tmp_path, monkeypatch):
    """The police source over HTTP: a test registry, the connection in the environment, the API answering.

    By default the API lists 2019-12 and 2020-01 as published; each test programs the file's replies.
    """
    document = yaml.safe_load((CONFIG_DIR / "sources" / "police.yaml").read_text(encoding="utf-8"))
    entry = dict(document["sources"][SOURCE])
    entry["transport"] = {
        "kind": "http",
        "conn_id": "police_files",
        "location": "{yyyy}-{mm}/{month}-{force}-street.csv",
        "publication_check": "police_api",
        "timeout_seconds": TIMEOUT,
        "retries": RETRIES,
        "backoff_seconds": 0,
    }
    registry = tmp_path / "sources.yaml"
    registry.write_text(yaml.safe_dump({"sources": {SOURCE: entry}}, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("SAFER_COMMUNITIES_REGISTRY", str(registry))
    set_connection(monkeypatch, server)
    server.set("/crimes-street-dates", published("2020-01", "2019-12"))
    server.set("/crime-last-updated", last_updated("2020-01-01"))
    return server


def set_connection(monkeypatch, server: LoopbackServer, *, uri: bool = False, **fields) -> None:
    if uri:
        credentials = f"{fields['login']}:{fields['password']}@" if "login" in fields else ""
        value = f"http://{credentials}{server.host}:{server.port}/http"
    else:
        value = json.dumps({"conn_type": "http", "host": server.host, "port": server.port, "schema": "http", **fields})
    monkeypatch.setenv("AIRFLOW_CONN_POLICE_FILES", value)


# --- what the warehouse and landing area hold ---------------------------------------------------


def scalar(warehouse, sql: str) -> object:
    return next(iter(warehouse.query(sql, {"source": SOURCE, "period": MONTH})[0].values()))


def staging_rows(warehouse) -> int:
    return scalar(warehouse, "SELECT count(*) FROM staging.police_street")


def pulled_files(warehouse) -> list[dict]:
    return warehouse.query("SELECT * FROM audit.pulled_file")


def status_rows(warehouse) -> list[dict]:
    return warehouse.query("SELECT source, period, status, reason, file_sha256 FROM audit.source_status")


def landed(home: Path) -> list[Path]:
    folder = home / "var" / "landing" / SOURCE / MONTH
    return sorted(folder.iterdir()) if folder.exists() else []


def incoming(home: Path) -> list[Path]:
    folder = home / "var" / "landing" / ".incoming"
    return sorted(folder.iterdir()) if folder.exists() else []


def assert_nothing_kept(home: Path, warehouse) -> None:
    """No landed file, no partial download, nothing pulled, loaded or staged."""
    assert landed(home) == []
    assert incoming(home) == []
    assert pulled_files(warehouse) == []
    assert staging_rows(warehouse) == 0
    assert scalar(warehouse, "SELECT count(*) FROM audit.load_batch") == 0


def run(as_of: date, warehouse, run_id: str = "test-run") -> list[dict]:
    return ingest.ingest(SOURCE, MONTH, as_of=as_of, run_id=run_id, warehouse=warehouse)


def pull_fails(as_of: date, warehouse) -> TransferError:
    """Plan and check availability, then pull with tries left, which must raise :class:`TransferError` for Airflow
    to retry, having written nothing: the pull holds no writer slot and touches no warehouse."""
    states = ingest.check_availability(ingest.plan(SOURCE, MONTH), as_of=as_of)
    assert [s["status"] for s in states] == [None], "the month should pass the publication check"
    with pytest.raises(TransferError) as raised:
        ingest.pull(states, as_of=as_of, last_try=False)
    assert status_rows(warehouse) == []
    return raised.value


def assert_available(summary: list[dict], home: Path, warehouse, server: LoopbackServer) -> None:
    assert [(s["period"], s["status"]) for s in summary] == [(MONTH, "available")]
    assert summary[0]["reason"] == f"Loaded {JANUARY_ROWS:,} rows."
    assert staging_rows(warehouse) == JANUARY_ROWS
    assert scalar(warehouse, "SELECT count(*) FROM staging.police_street WHERE period = :period") == JANUARY_ROWS
    assert scalar(warehouse, "SELECT count(DISTINCT line) FROM staging.police_street") == JANUARY_ROWS
    files = pulled_files(warehouse)
    assert len(files) == 1
    pulled = files[0]
    assert (pulled["source"], pulled["period"], pulled["sha256"]) == (SOURCE, MONTH, JANUARY_SHA256)
    assert (pulled["bytes"], pulled["rows"], pulled["pull_count"]) == (len(JANUARY), JANUARY_ROWS, 1)
    assert pulled["original_name"] == "2020-01-leicestershire-street.csv"
    assert pulled["origin"] == server.base_url + FILE_PATH
    assert landed(home) == [home / "var" / "landing" / SOURCE / MONTH / f"{JANUARY_SHA256}.csv"]
    assert landed(home)[0].read_bytes() == JANUARY
    assert incoming(home) == []
    assert status_rows(warehouse) == [
        {
            "source": SOURCE,
            "period": MONTH,
            "status": "available",
            "reason": summary[0]["reason"],
            "file_sha256": JANUARY_SHA256,
        }
    ]


def assert_download_failure_recorded(warehouse, error: TransferError, as_of: date = BEFORE_DEADLINE) -> None:
    """The last try: the same failure is recorded as the month's status, then the run fails saying so."""
    with pytest.raises(ingest.DownloadsFailed) as raised:
        run(as_of, warehouse)
    rows = status_rows(warehouse)
    assert len(rows) == 1
    assert (rows[0]["period"], rows[0]["status"], rows[0]["file_sha256"]) == (MONTH, "awaited", None)
    prefix = f"Not yet due: expected by {DEADLINE.isoformat()} (download failed: "
    assert rows[0]["reason"].startswith(prefix) and rows[0]["reason"].endswith(").")
    last = rows[0]["reason"][len(prefix):-2]
    assert last.split(" after ")[0] == str(error).split(" after ")[0]  # the same failure (timings aside)
    assert str(raised.value) == (f"{SOURCE} {MONTH}: the download failed on every try ({last}), recorded as "
                                 "'awaited'")
    assert scalar(warehouse, "SELECT count(*) FROM audit.source_status_history") == 1


# --- the cases ----------------------------------------------------------------------------------


def test_file_is_downloaded_validated_and_loaded_with_the_connections_credentials(
    police_http, home, warehouse, monkeypatch
):
    set_connection(
        monkeypatch,
        police_http,
        login="analyst",
        password="s3cret:pw",
        extra={"headers": {"X-Requested-By": "safer-communities-tests"}},
    )
    police_http.set(FILE_PATH, january_file())

    summary = run(BEFORE_DEADLINE, warehouse)

    assert_available(summary, home, warehouse, police_http)
    assert [r.path for r in police_http.requests] == ["/crimes-street-dates", FILE_PATH]
    expected_auth = "Basic " + base64.b64encode(b"analyst:s3cret:pw").decode()
    for request in police_http.requests:
        assert request.method == "GET"
        assert request.header("Authorization") == expected_auth
        assert request.header("X-Requested-By") == "safer-communities-tests"


def test_connection_in_uri_form_without_credentials_sends_no_authorization(police_http, home, warehouse, monkeypatch):
    set_connection(monkeypatch, police_http, uri=True)
    police_http.set(FILE_PATH, january_file())

    summary = run(BEFORE_DEADLINE, warehouse)

    assert_available(summary, home, warehouse, police_http)
    assert [r.header("Authorization") for r in police_http.requests] == [None, None]


@pytest.mark.parametrize(("as_of", "expected"), BY_DEADLINE)
def test_month_not_yet_published_is_awaited_then_late_and_no_file_is_requested(
    police_http, home, warehouse, as_of, expected
):
    police_http.set("/crimes-street-dates", published("2019-12", "2019-11"))
    police_http.set("/crime-last-updated", last_updated("2019-12-01"))
    police_http.set(FILE_PATH, january_file())  # there, but must not be asked for

    summary = run(as_of, warehouse)

    assert [(s["period"], s["status"]) for s in summary] == [(MONTH, expected)]
    reason = summary[0]["reason"]
    assert "2020-01 is not yet published by the police API" in reason
    assert "last updated 2019-12-01" in reason
    assert DEADLINE.isoformat() in reason
    assert police_http.requests_for(FILE_PATH) == []
    assert [r.path for r in police_http.requests] == ["/crimes-street-dates", "/crime-last-updated"]
    assert_nothing_kept(home, warehouse)
    assert status_rows(warehouse) == [
        {"source": SOURCE, "period": MONTH, "status": expected, "reason": reason, "file_sha256": None}
    ]


@pytest.mark.parametrize(("as_of", "expected"), BY_DEADLINE)
def test_file_answering_404_is_awaited_then_late(police_http, home, warehouse, as_of, expected):
    police_http.set(FILE_PATH, Reply(404, b"no such file\n", {"Content-Type": "text/plain"}))

    summary = run(as_of, warehouse)

    assert [(s["period"], s["status"]) for s in summary] == [(MONTH, expected)]
    reason = summary[0]["reason"]
    assert "404" in reason
    assert FILE_PATH in reason
    assert DEADLINE.isoformat() in reason
    assert len(police_http.requests_for(FILE_PATH)) == 1  # a 404 is an answer, not retried
    assert_nothing_kept(home, warehouse)
    assert status_rows(warehouse) == [
        {"source": SOURCE, "period": MONTH, "status": expected, "reason": reason, "file_sha256": None}
    ]


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(Reply(429, b"slow down\n", {"Retry-After": "0"}), id="429-retry-after-0"),
        pytest.param(Reply(429, b"slow down\n"), id="429-no-retry-after"),
        pytest.param(Reply(500, b"oops\n"), id="500"),
        pytest.param(Reply(503, b"busy\n"), id="503"),
    ],
)
def test_transient_error_then_success_is_retried_and_loaded(police_http, home, warehouse, first):
    police_http.set(FILE_PATH, first, january_file())

    summary = run(BEFORE_DEADLINE, warehouse)

    assert len(police_http.requests_for(FILE_PATH)) == 2
    assert_available(summary, home, warehouse, police_http)


def test_timeout_on_every_attempt_raises_records_late_and_keeps_nothing(police_http, home, warehouse):
    police_http.set(FILE_PATH, january_file(delay=TIMEOUT + 2))

    error = pull_fails(BEFORE_DEADLINE, warehouse)

    assert len(police_http.requests_for(FILE_PATH)) == RETRIES + 1
    assert "timed out" in str(error).lower()
    assert_download_failure_recorded(warehouse, error)
    assert_nothing_kept(home, warehouse)


def test_truncated_body_raises_records_late_and_keeps_nothing(police_http, home, warehouse):
    police_http.set(FILE_PATH, january_file(truncate_at=len(JANUARY) // 2))

    error = pull_fails(BEFORE_DEADLINE, warehouse)

    assert 1 <= len(police_http.requests_for(FILE_PATH)) <= RETRIES + 1
    assert_download_failure_recorded(warehouse, error)
    assert_nothing_kept(home, warehouse)


def test_server_error_on_every_attempt_raises_after_the_retries_and_a_later_run_recovers(police_http, home, warehouse):
    police_http.set(FILE_PATH, Reply(500, b"oops\n"))

    error = pull_fails(BEFORE_DEADLINE, warehouse)

    assert len(police_http.requests_for(FILE_PATH)) == RETRIES + 1
    assert "500" in str(error)
    assert_download_failure_recorded(warehouse, error)
    assert_nothing_kept(home, warehouse)

    # Airflow retries the task once the server is healthy again: the month loads, the status is replaced.
    police_http.set(FILE_PATH, january_file())
    summary = run(BEFORE_DEADLINE, warehouse, run_id="test-run-2")

    assert len(police_http.requests_for(FILE_PATH)) == 2 * (RETRIES + 1) + 1  # two tries, then the later run
    assert_available(summary, home, warehouse, police_http)
    history = warehouse.query("SELECT status FROM audit.source_status_history ORDER BY decided_at")
    assert [row["status"] for row in history] == ["awaited", "available"]


@pytest.mark.parametrize("status", [500, 404])
def test_police_api_failing_on_every_attempt_fails_the_availability_check(police_http, home, warehouse, status):
    """A broken or wrongly addressed police API is an incident, never a month marked late."""
    police_http.set("/crimes-street-dates", Reply(status, b"oops\n"))
    police_http.set(FILE_PATH, january_file())

    with pytest.raises(TransferError, match=f"crimes-street-dates answered {status}"):
        ingest.check_availability(ingest.plan(SOURCE, MONTH), as_of=BEFORE_DEADLINE)

    assert len(police_http.requests_for("/crimes-street-dates")) == (RETRIES + 1 if status == 500 else 1)
    assert police_http.requests_for(FILE_PATH) == []
    assert_nothing_kept(home, warehouse)


def test_connection_port_is_used_when_the_host_carries_its_scheme(police_http, tmp_path, monkeypatch):
    """Airflow HTTP connections often hold the whole base URL in host ('http://127.0.0.1'); the port still applies."""
    from safer_communities.periods import Month
    from safer_communities.sources.registry import get_source
    from safer_communities.sources.transports import transport_for

    monkeypatch.setenv(
        "AIRFLOW_CONN_POLICE_FILES",
        json.dumps({"conn_type": "http", "host": f"http://{police_http.host}", "port": police_http.port}),
    )
    police_http.set(FILE_PATH, january_file())
    destination = tmp_path / "january.part"

    fetched = transport_for(get_source(SOURCE)).fetch(Month.parse(MONTH), destination)

    assert fetched.origin == police_http.base_url + FILE_PATH
    assert destination.read_bytes() == JANUARY
    assert len(police_http.requests_for(FILE_PATH)) == 1


@pytest.mark.parametrize("failure", [Reply(500, b"oops\n"), january_file(truncate_at=len(JANUARY) // 2)],
                         ids=["server-error", "truncated"])
def test_a_failed_re_pull_of_a_loaded_month_is_a_notice_not_a_downgrade(police_http, home, warehouse, failure):
    """January loaded; the monthly run looks at it again and the download fails: the run goes on, the slice and
    its status stand, and the failure is a recorded notice (and an alert), not 'awaited' or 'late'."""
    police_http.set(FILE_PATH, january_file())
    loaded = run(BEFORE_DEADLINE, warehouse)
    assert loaded[0]["status"] == "available"
    police_http.set(FILE_PATH, failure)

    (again,) = run(AFTER_DEADLINE, warehouse, run_id="test-run-2")  # no TransferError: nothing to retry

    assert (again["status"], again["reason"], again["changed"]) == ("available", loaded[0]["reason"], False)
    (notice,) = again["notices"]
    assert notice.startswith(f"Re-pull failed (GET {police_http.base_url}/{FILE_PATH.lstrip('/')}")
    assert notice.endswith(f"the slice loaded from file {JANUARY_SHA256[:12]} and its status 'available' are kept.")
    assert staging_rows(warehouse) == JANUARY_ROWS
    assert [r["status"] for r in warehouse.query("SELECT status FROM audit.source_status_history")] == ["available"]
    assert [r["notice"] for r in warehouse.query("SELECT notice FROM audit.delivery_notice")] == [notice]


def test_a_body_cut_short_without_a_content_length_is_a_transfer_error(police_http, home, warehouse):
    """A server that closes the connection halfway through the file, having sent no Content-Length."""
    cut = JANUARY.index(b"\n", len(JANUARY) // 2) + 40  # within a line: the last row is half there
    police_http.set(FILE_PATH, january_file(send_length=False, truncate_at=cut))

    error = pull_fails(BEFORE_DEADLINE, warehouse)

    assert f"no Content-Length and the body ends mid-line after {cut} bytes" in str(error)
    assert_download_failure_recorded(warehouse, error)
    assert_nothing_kept(home, warehouse)


def test_a_whole_body_without_a_content_length_loads(police_http, home, warehouse):
    police_http.set(FILE_PATH, january_file(send_length=False))
    assert_available(run(BEFORE_DEADLINE, warehouse), home, warehouse, police_http)


def test_a_server_trickling_bytes_is_cut_off_at_the_download_deadline(police_http, home, warehouse, tmp_path,
                                                                      monkeypatch):
    """One piece of 16 bytes every 50 ms never trips the one-second read timeout; the whole download's deadline
    (one second here, declared in the registry) ends it, and nothing is kept."""
    registry = yaml.safe_load(Path(os.environ["SAFER_COMMUNITIES_REGISTRY"]).read_text(encoding="utf-8"))
    registry["sources"][SOURCE]["transport"]["deadline_seconds"] = 1
    faster = tmp_path / "deadline.yaml"
    faster.write_text(yaml.safe_dump(registry, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("SAFER_COMMUNITIES_REGISTRY", str(faster))
    police_http.set(FILE_PATH, january_file(trickle=0.05))

    started = time.monotonic()
    error = pull_fails(BEFORE_DEADLINE, warehouse)

    assert "not finished after 1 s in all" in str(error)
    assert time.monotonic() - started < 10  # not the 28 minutes the whole file would take
    assert_download_failure_recorded(warehouse, error)
    assert_nothing_kept(home, warehouse)


def test_a_part_file_left_by_a_killed_pull_is_removed(police_http, home, warehouse):
    import subprocess

    gone = subprocess.Popen(["true"])  # a process that has ended, as a killed pull's has
    gone.wait()
    folder = home / "var" / "landing" / ".incoming"
    folder.mkdir(parents=True)
    left = folder / f"{SOURCE}.2020-01.{gone.pid}.part"
    left.write_bytes(JANUARY[:1000])
    workbook = folder / f"{SOURCE}.2020-01.{gone.pid}.part.xlsx"  # a workbook renamed for its reader, then killed
    workbook.write_bytes(b"PK")
    live = subprocess.Popen(["sleep", "60"])  # a pull still running elsewhere: its file stays
    busy = folder / f"{SOURCE}.2020-01.{live.pid}.part.xlsx"
    busy.write_bytes(b"PK")
    assert incoming(home) == sorted([left, workbook, busy])
    police_http.set(FILE_PATH, january_file())
    try:
        summary = run(BEFORE_DEADLINE, warehouse)
    finally:
        live.kill()
        live.wait()
    assert incoming(home) == [busy]
    busy.unlink()
    assert_available(summary, home, warehouse, police_http)


def test_a_pull_waits_for_no_writer_and_holds_none(police_http, home, tmp_path):
    """Another process holds the DuckDB warehouse for writing (a dashboard run, say) during the download: the pull
    lands the file all the same, since it opens no warehouse (so a slow source holds no one up either); recording
    and loading it come after, in validate and load, which hold the writer slot."""
    from safer_communities.warehouse import Warehouse

    url = f"duckdb:///{tmp_path / 'busy.duckdb'}"
    with Warehouse(url) as warehouse:
        warehouse.migrate()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "c.execute('CREATE TABLE held (x INT)'); print('held', flush=True); time.sleep(60)",
         str(tmp_path / "busy.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        police_http.set(FILE_PATH, january_file())
        states = ingest.check_availability(ingest.plan(SOURCE, MONTH), as_of=BEFORE_DEADLINE)

        (pulled,) = ingest.pull(states, as_of=BEFORE_DEADLINE, last_try=False)

        assert (pulled["status"], pulled["sha256"]) == (None, JANUARY_SHA256)
        assert Path(pulled["landing_path"]).read_bytes() == JANUARY
        assert holder.poll() is None, "the writer still holds the warehouse"
    finally:
        holder.kill()
        holder.wait()
    with Warehouse(url) as warehouse:
        ingest.take_delivery([pulled], run_id="test-run", warehouse=warehouse)  # a load try that then failed
        states = ingest.validate([pulled], run_id="test-run")  # the load's retry takes the delivery again
        summary = ingest.record_status(ingest.load(states, run_id="test-run", warehouse=warehouse),
                                       run_id="test-run", warehouse=warehouse)
        assert [(s["status"], s["reason"]) for s in summary] == [("available", f"Loaded {JANUARY_ROWS:,} rows.")]
        assert [(f["sha256"], f["bytes"], f["rows"], f["pull_count"]) for f in pulled_files(warehouse)] == [
            (JANUARY_SHA256, len(JANUARY), JANUARY_ROWS, 1)]  # one pull, recorded by two tries, counts once
