"""The ingestion steps every source goes through, for the periods of one request.

    check_availability -> pull -> validate -> load -> record_status

A request (a month, a quarter or a financial year) becomes the periods the
source delivers: months for a monthly source, quarters for a quarterly one,
financial years for an annual one. Each step takes and returns a list of period
states (plain dicts, so they travel as XCom between Airflow tasks). A period
whose status is decided early (a declared outage, a file not delivered, a
rejected file) is carried through the later steps untouched and still gets its
status recorded: an unavailable period is a successful run. Sources differ only
by what the registry and their contract declare.

Pull and validate touch no warehouse: a slow download or a big file's validation holds
no writer slot (``warehouse_writer``), and several sources validate at once. Validation
leaves its results as files beside the validated rows; the load records them.

A period once loaded keeps its slice and its status until a different file
(a new sha256) replaces it: a file that vanished, a re-pull that failed or a
re-delivery that was rejected is a notice (``audit.delivery_notice``, and an
alert), never a downgrade; an identical file is not reloaded. One writer at a
time per (source, period) (``Warehouse.exclusive``), and a slice commits with its
load batch, completeness results, status and status history in one transaction.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from safer_communities.errors import Lasting
from safer_communities.periods import Month, Period, parse_any, periods_for
from safer_communities.settings import SQL_DIR, home
from safer_communities.sources import availability, landing, storage
from safer_communities.sources.availability import Status
from safer_communities.sources.contracts import Contract, load_contract
from safer_communities.sources.registry import (
    DeleteRawFiles,
    DistrictCollapse,
    DistrictsCovered,
    FollowUpComplete,
    MonthsCovered,
    NoLocationShare,
    Source,
    Volume,
    get_source,
)
from safer_communities.sources.transports import NotDelivered, TransferError, transport_for
from safer_communities.warehouse import (
    Warehouse,
    bulk_copy,
    bulk_copy_rows,
    query,
    replace_slice,
    run_sql_file,
    write_rows,
)

log = logging.getLogger(__name__)
AUDIT_SQL = SQL_DIR / "audit"


@dataclass
class PeriodState:
    source: str
    period: str
    status: str | None = None
    reason: str | None = None
    sha256: str | None = None
    original_name: str | None = None
    delivered_on: str | None = None  # the run's date when the file was pulled (ISO), never the wall clock
    pulled_at: str | None = None  # wall clock (ISO), for the audit record only
    origin: str | None = None
    file_bytes: int = 0
    file_rows: int = 0
    transfer_error: str | None = None  # the last try's download failure, recorded as the period's status
    landing_path: str | None = None
    validated_path: str | None = None
    results_path: str | None = None  # the validation's results, and its quarantined rows beside them
    load_batch_id: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # about the delivery; recorded in audit.delivery_notice
    kept: bool = False  # the status already recorded stands: nothing is written, nothing recomputed
    recorded: bool = False  # the status was committed with the slice (load)

    @property
    def span(self) -> Period:
        """The period as a Month, Quarter or FinancialYear."""
        return parse_any(self.period)

    @property
    def open(self) -> bool:
        return self.status is None

    def decide(self, status: Status) -> None:
        self.status, self.reason = status.status, status.reason
        log.info("%s %s: %s - %s", self.source, self.period, status.status, status.reason)

    def keep(self, current: dict, notice: str | None = None) -> None:
        """Leave the period as the warehouse has it (its current status, slice and file), noting why."""
        self.status, self.reason, self.kept = current["status"], current["reason"], True
        if notice:
            self.notices.append(notice)
            log.warning("%s %s: %s", self.source, self.period, notice)


def current_status(connection, source: str, period: str) -> dict | None:
    """The (source, period)'s recorded status, reason and file, or None if none was ever decided."""
    rows = query(connection, AUDIT_SQL / "current_status.sql", {"source": source, "period": period})
    return rows[0] if rows else None


def _kept_slice(current: dict) -> str:
    return (f"the slice loaded from file {(current['file_sha256'] or '')[:12]} and its status "
            f"'{current['status']}' are kept")


def slice_lock(state: PeriodState) -> str:
    """The lock every writer of a (source, period) slice holds (see ``Warehouse.exclusive``)."""
    return f"slice:{state.source}:{state.period}"


def _states(states: list[dict]) -> list[PeriodState]:
    return [PeriodState(**state) for state in states]


def _dicts(states: list[PeriodState]) -> list[dict]:
    return [asdict(state) for state in states]


def _open_periods(states: list[PeriodState]) -> Iterator[tuple[PeriodState, Source]]:
    """The periods still without a status, with their source: the ones a step works on."""
    for state in states:
        if state.open:
            yield state, get_source(state.source)


def _now() -> datetime:
    """Wall-clock time, for audit timestamps only (never to choose a period)."""
    return datetime.now(UTC).replace(tzinfo=None)


def plan(source_name: str, period: str | None, run_date: date | None = None) -> list[dict]:
    """One state per period the source delivers for the requested month, quarter or financial year.

    Without a request (a scheduled run): the latest period of the source's own cadence that ended
    before ``run_date``, and the earlier ones still being waited for (see
    :func:`availability.scheduled_periods`).
    """
    source = get_source(source_name)
    if period:
        spans = periods_for(source.cadence, period)
    elif run_date is not None:
        spans = availability.scheduled_periods(source, run_date)
    else:
        raise ValueError("plan needs a period or the run date")
    return _dicts([PeriodState(source_name, str(span)) for span in spans])


def check_availability(states: list[dict], *, as_of: date) -> list[dict]:
    """Decide what can be decided before pulling: declared outages, months not yet published."""
    result = _states(states)
    for state in result:
        source = get_source(state.source)
        outage = availability.outage_status(source, state.span)
        if outage:
            state.decide(outage)
            continue
        try:
            transport_for(source).check_published(state.span)
        except NotDelivered as why:
            state.decide(availability.missing_status(source, state.span, as_of, str(why)))
    return _dicts(result)


def pull(states: list[dict], *, as_of: date, last_try: bool = True) -> list[dict]:
    """Fetch each open period's file into the landing area. The warehouse is not touched: a slow or failing source
    holds no writer slot, and :func:`take_delivery` (run under the slot, first thing in :func:`load`) records
    what was pulled.

    A download that fails raises :class:`TransferError` while tries remain (Airflow retries the pull); on the
    last try the failure becomes the period's status (or, for a loaded period, a notice) and the run goes on.
    """
    result = _states(states)
    for state, source in _open_periods(result):
        part = landing.incoming(state.source, state.span.slug)
        try:
            fetched = transport_for(source).fetch(state.span, part)
        except NotDelivered as why:
            part.unlink(missing_ok=True)
            state.decide(availability.missing_status(source, state.span, as_of, str(why)))
            continue
        except TransferError as error:
            part.unlink(missing_ok=True)
            if not last_try:
                raise
            state.transfer_error = str(error)
            state.decide(availability.missing_status(source, state.span, as_of, f"download failed: {error}"))
            continue
        state.notices.extend(fetched.notices)
        landed = landing.land(part, state.source, state.span.slug, Path(fetched.original_name).suffix,
                              sheet=load_contract(source.contract).sheet)
        state.sha256, state.original_name, state.landing_path = landed.sha256, fetched.original_name, landed.location
        state.origin, state.file_bytes, state.file_rows = fetched.origin, landed.bytes, landed.rows
        state.delivered_on, state.pulled_at = as_of.isoformat(), _now().isoformat()
        if landed.already_landed:
            log.info("%s %s: identical to a file landed before (sha256 %s)", state.source, state.period, landed.sha256)
    return _dicts(result)


def take_delivery(states: list[dict], *, run_id: str, warehouse: Warehouse) -> list[dict]:
    """The warehouse half of a pull: record each landed file in ``audit.pulled_file``; keep a loaded period whose
    re-pull failed, and one whose file is the very one its status is about (nothing to record or load again)."""
    result = _states(states)
    for state in result:
        if not (state.transfer_error or (state.sha256 and not state.kept)):
            continue
        with warehouse.begin() as connection:
            current = current_status(connection, state.source, state.period)
            if state.transfer_error:
                if current is not None and current["status"] in availability.LOADED:
                    # the loaded slice stands; the run goes on with the other periods
                    state.keep(current, f"Re-pull failed ({state.transfer_error}); {_kept_slice(current)}.")
                continue
            run_sql_file(
                connection,
                AUDIT_SQL / "record_pull.sql",
                {
                    "source": state.source, "period": state.period, "sha256": state.sha256,
                    "bytes": state.file_bytes, "rows": state.file_rows, "original_name": state.original_name,
                    "origin": state.origin, "landing_path": state.landing_path,
                    "pulled_at": datetime.fromisoformat(state.pulled_at), "run_id": run_id,
                },
            )
        if current and current["file_sha256"] == state.sha256 and current["status"] in (*availability.LOADED,
                                                                                         "rejected"):
            state.keep(current)  # the same bytes were loaded (or rejected) already: nothing to do again
            log.info("%s %s: the file is the one its status is about (sha256 %s); not loaded again",
                     state.source, state.period, state.sha256[:12])
    return _dicts(result)


def validate(states: list[dict], *, run_id: str) -> list[dict]:
    """Parse and validate each pulled file in a scratch database of its own, touching no warehouse: the accepted
    rows become a Parquet file, and every rule's result and every quarantined row a CSV beside it, which
    :func:`load` records. A rejected file is copied to quarantine and its period decided."""
    from safer_communities.sources.extract import parse_extract
    from safer_communities.sources.pseudonymise import pseudonymiser
    from safer_communities.sources.validation import validate as run_validation

    result = _states(states)
    for state, source in _open_periods(result):
        contract = load_contract(source.contract)
        pseudonymise = pseudonymiser(date.fromisoformat(state.delivered_on)) if contract.has_person_refs else None
        with storage.local_copy(state.landing_path) as landed:
            parsed = parse_extract(landed, contract, name=state.original_name, pseudonymise=pseudonymise,
                                   scratch_folder=home() / "scratch")
            try:
                outcome = run_validation(parsed, contract, state.span)
                state.rows_read = outcome.rows_read
                state.rows_quarantined = len(outcome.quarantined)
                state.rows_loaded = outcome.rows_accepted
                state.warnings = [r.message for r in outcome.warnings]
                state.results_path = _write_results(state, contract, outcome, run_id)
                if not outcome.rejected:
                    state.load_batch_id = uuid.uuid4().hex
                    state.validated_path = _write_validated(state, contract, outcome, pseudonymise)
            finally:
                parsed.remove()
        if outcome.rejected:
            kept = landing.quarantine_file(
                state.landing_path, state.source, state.span.slug, state.original_name, outcome.rejection
            )
            state.decide(Status("rejected", f"Rejected: {outcome.rejection}. The file is kept at {kept}"
                                            f"{_until_retention(source)}."))
    return _dicts(result)


def _until_retention(source: Source) -> str:
    """For a source whose raw files hold people: how long a kept copy stays
    (``safer_communities.sources.retention``)."""
    if isinstance(source.retention, DeleteRawFiles):
        return f" until {source.retention.days_after_last_use} days after its last use (the source's retention rule)"
    return ""


RESULT_COLUMNS = ["source", "period", "file_sha256", "run_id", "suite_name", "suite_version", "rule", "expectation",
                  "column_name", "severity", "scope", "success", "unexpected_count", "unexpected_lines",
                  "observed_value", "message", "validated_at"]
QUARANTINE_COLUMNS = ["source", "period", "file_sha256", "run_id", "line", "rules", "detail", "raw_record",
                      "quarantined_at"]


def _store_validated(state: PeriodState, name: str, write) -> str:
    """Write a file of the validated area (``validated/<source>/<period>/<name>``) with ``write(local path)`` and
    store it (``safer_communities.sources.storage``); return its location."""
    key = f"validated/{state.source}/{state.span.slug}/{name}"
    local = Path(storage.location(key)) if storage.remote() is None else home() / "outbox" / key
    local.parent.mkdir(parents=True, exist_ok=True)
    write(local)
    return storage.put(local, key, move=True)


def _beside(where: str, name: str) -> str:
    """The location of the file ``name`` in the same folder as the file at ``where``."""
    return f"{where.rsplit('/', 1)[0]}/{name}"


def _write_results(state: PeriodState, contract: Contract, outcome, run_id: str) -> str:
    """Every rule's result and every quarantined row, as the CSVs :func:`_record_validation` loads into
    ``audit.validation_result`` and ``audit.quarantine``; the results file's location is returned (the
    quarantined rows' is beside it)."""
    now = _now()
    _store_validated(state, f"{state.sha256}.quarantine.csv", lambda path: write_rows(path, QUARANTINE_COLUMNS, (
        (state.source, state.period, state.sha256, run_id, issue.line, issue.rule, issue.message, issue.raw, now)
        for issue in outcome.quarantined)))
    return _store_validated(state, f"{state.sha256}.results.csv", lambda path: write_rows(path, RESULT_COLUMNS, (
        (state.source, state.period, state.sha256, run_id, contract.suite_name, contract.version,
         r.rule, r.expectation, r.column, r.severity, r.scope, r.success, r.unexpected_count,
         json.dumps(r.unexpected_lines), r.observed, r.message, now)
        for r in outcome.results)))


def _record_validation(connection, state: PeriodState) -> None:
    """Replace what an earlier validation of the same bytes recorded with this one's (written by :func:`validate`)."""
    keys = {"source": state.source, "period": state.period, "sha256": state.sha256}
    run_sql_file(connection, AUDIT_SQL / "clear_validation.sql", keys)
    with storage.local_copy(state.results_path) as results:
        bulk_copy(connection, "audit.validation_result", RESULT_COLUMNS, results)
    with storage.local_copy(_beside(state.results_path, f"{state.sha256}.quarantine.csv")) as quarantined:
        bulk_copy(connection, "audit.quarantine", QUARANTINE_COLUMNS, quarantined)


def _record_rejection(warehouse: Warehouse, state: PeriodState) -> None:
    """Record a rejected file's validation, and say in its reason which loaded slice (if any) stays."""
    with warehouse.exclusive(slice_lock(state)), warehouse.begin() as connection:
        _record_validation(connection, state)
        previous = query(connection, AUDIT_SQL / "latest_load.sql", {"source": state.source, "period": state.period})
    if previous:
        state.reason += (f" The slice loaded {previous[0]['loaded_at'][:19]} from file "
                         f"{previous[0]['file_sha256'][:12]} ({previous[0]['rows_loaded']:,} rows) is kept.")


def _staging_columns(contract: Contract) -> list[str]:
    key_id = ["pseudonym_key_id"] if contract.has_person_refs else []
    return ["source", "period", "load_batch_id", "line", *contract.fields, *key_id]


# Rows per row group of the validated Parquet: DuckDB writes row groups in parallel, so groups smaller than its
# default (122,880) write faster (0.45-0.5 s instead of 0.75-0.95 s for 600,000 rows, measured).
VALIDATED_ROW_GROUP = 30_720


def _write_validated(state: PeriodState, contract: Contract, outcome, pseudonymise=None) -> str:
    """The accepted rows as a Parquet file in staging-table column order, written by the scratch database's
    engine and read by the warehouse's bulk loader; for a file with people, their pseudonyms' key id, and the
    links from previous keys' pseudonyms in a file beside it. Returns the Parquet file's location."""
    from safer_communities.sources.extract import literal, quoted

    fields = ", ".join(f"{quoted(column.name)} AS {column.field}" for column in contract.columns)
    key_id = f", {literal(pseudonymise.key_id)} AS pseudonym_key_id" if pseudonymise is not None else ""

    def write(path: Path) -> None:
        with outcome.parsed.connect() as connection:
            connection.execute(
                f"COPY (SELECT $source AS source, $period AS period, $load_batch_id AS load_batch_id, line, {fields}"
                f"{key_id} FROM accepted) TO {literal(path)} (FORMAT parquet, ROW_GROUP_SIZE {VALIDATED_ROW_GROUP})",
                {"source": state.source, "period": state.period, "load_batch_id": state.load_batch_id},
            )

    if pseudonymise is not None:
        _store_validated(state, f"{state.sha256}.links.csv",
                         lambda path: pseudonymise.write_links(path, state.source, state.period, state.load_batch_id))
    return _store_validated(state, f"{state.sha256}.parquet", write)


def load(states: list[dict], *, run_id: str, warehouse: Warehouse) -> list[dict]:
    """Record what was pulled (:func:`take_delivery`) and what validation found; replace each validated period's
    slice in staging and core, judge its completeness and record its status, all in one transaction with the
    validation's results, holding the slice's lock: two ingests of one slice, from any entry point, take turns,
    and the second finds the first's file loaded (nothing to do) or replaces its slice whole."""
    result = _states(take_delivery(states, run_id=run_id, warehouse=warehouse))
    for state in result:
        if state.status == "rejected" and state.results_path and not state.kept:
            _record_rejection(warehouse, state)
    for state, source in _open_periods(result):
        contract = load_contract(source.contract)
        params = {
            "source": state.source,
            "period": state.period,
            "period_start": state.span.start,
            "period_end": state.span.end,
            "load_batch_id": state.load_batch_id,
        }
        with warehouse.exclusive(slice_lock(state)), warehouse.begin() as connection:
            current = current_status(connection, state.source, state.period)
            if current and current["file_sha256"] == state.sha256 and current["status"] in availability.LOADED:
                state.keep(current)  # another ingest loaded this very file meanwhile
                log.info("%s %s: file %s was loaded meanwhile by run %s; not loaded again",
                         state.source, state.period, state.sha256[:12], current["run_id"])
                continue
            _record_validation(connection, state)
            run_sql_file(connection, AUDIT_SQL / "replace_slice.sql", params)
            with storage.local_copy(state.validated_path) as validated:
                replace_slice(connection, f"staging.{contract.staging_table}", _staging_columns(contract),
                              validated, source=state.source, period=state.period)
            run_sql_file(connection, SQL_DIR / "load" / f"{contract.name}.sql", params)
            if contract.has_person_refs:  # the links from previous keys' pseudonyms commit with the slice
                from safer_communities.sources.pseudonymise import load_links

                with storage.local_copy(_beside(state.validated_path, f"{state.sha256}.links.csv")) as links:
                    load_links(connection, state.source, state.period, links)
            bulk_copy_rows(
                connection,
                "audit.load_batch",
                ["load_batch_id", "source", "period", "file_sha256", "run_id", "rows_read", "rows_loaded",
                 "rows_quarantined", "loaded_at"],
                [(state.load_batch_id, state.source, state.period, state.sha256, run_id, state.rows_read,
                  state.rows_loaded, state.rows_quarantined, _now())],
            )
            checks = completeness(connection, source, state.span, delivered_on=state.delivered_on)
            bulk_copy_rows(
                connection,
                "audit.completeness_result",
                ["source", "period", "run_id", "check_name", "passed", "detail", "checked_at"],
                [(state.source, state.period, run_id, c.check, c.passed, c.detail, _now()) for c in checks],
            )
            state.decide(
                availability.loaded_status(checks, state.rows_loaded, state.rows_quarantined, len(state.warnings))
            )
            _write_status(connection, state, run_id)  # with the slice: no new data under an old status
            state.recorded = True
    return _dicts(result)


def completeness(connection, source: Source, period: Period,
                 delivered_on: str | None = None) -> list[availability.CheckResult]:
    """Run the source's declared completeness checks on the slice just loaded.

    ``no_location_share`` and ``district_collapse`` are police checks on a month;
    ``months_covered`` works for any source with a date column, ``districts_covered``
    for any with a district-name column, ``follow_up_complete`` for any with a start-date
    column, judged against ``delivered_on`` (ISO date: the run's date when the file was pulled).
    """
    results = []
    for rule in source.completeness:
        if isinstance(rule, MonthsCovered | DistrictsCovered | FollowUpComplete):
            contract = load_contract(source.contract)
            if rule.column not in contract.fields:
                raise ValueError(f"source {source.name}: {rule.check} column {rule.column!r} is not a field of "
                                 f"contract {contract.name} ({contract.fields})")
            rows = query(connection, SQL_DIR / "checks" / f"{rule.check}.sql",
                         {"source": source.name, "period": str(period)},
                         identifiers={"table": contract.staging_table, "column": rule.column})
            if isinstance(rule, MonthsCovered):
                results.append(availability.check_months_covered(period, {int(r["yyyymm"]) for r in rows}))
            elif isinstance(rule, FollowUpComplete):
                starts = {date.fromisoformat(r["start_date"]) if r["start_date"] else None: int(r["records"])
                          for r in rows}
                results.append(availability.check_follow_up_complete(
                    rule, period, starts, date.fromisoformat(delivered_on) if delivered_on else None))
            else:
                results.append(availability.check_districts_covered(period, [r["district_name"] for r in rows]))
        elif isinstance(rule, NoLocationShare):
            row = query(connection, SQL_DIR / "checks" / "police_no_location.sql",
                        {"source": source.name, "month_start": period.start})[0]
            results.append(availability.check_no_location_share(rule, int(row["no_location"]), int(row["total"])))
        elif isinstance(rule, DistrictCollapse):
            rows = query(
                connection,
                SQL_DIR / "checks" / "police_district_counts.sql",
                {"source": source.name, "first_month": period.shift(-rule.history_months).start,
                 "last_month": period.start},
            )
            counts: dict[str, dict[Month, int]] = {}
            names = {}
            for row in rows:
                names[row["district_code"]] = row["district_name"]
                by_month = counts.setdefault(row["district_code"], {})
                if row["month_start"] is not None:
                    by_month[Month.parse(row["month_start"][:7])] = int(row["incidents"])
            results.append(availability.check_district_collapse(rule, period, counts, names))
        elif isinstance(rule, Volume):
            rows = query(connection, SQL_DIR / "checks" / "volume.sql", {"source": source.name})
            results.append(availability.check_volume(rule, period, {r["period"]: int(r["rows_read"]) for r in rows}))
    return results


def _write_status(connection, state: PeriodState, run_id: str) -> None:
    run_sql_file(
        connection,
        AUDIT_SQL / "record_status.sql",
        {"source": state.source, "period": state.period, "status": state.status, "reason": state.reason,
         "file_sha256": state.sha256, "run_id": run_id, "decided_at": _now()},
    )


def record_status(states: list[dict], *, run_id: str, warehouse: Warehouse) -> list[dict]:
    """Write each period's status to ``audit.source_status`` (and its history), unless it was committed with its
    slice or is kept; record the delivery notices. Return a summary; ``changed`` is false for a period whose
    data and status stand as they were (nothing for the dashboard to recompute).

    A loaded period (``available``/``incomplete``) is never downgraded by a file that vanished or a re-delivery
    that was rejected: its slice and status are kept, and the decision becomes a notice."""
    result = _states(states)
    undecided = [state.period for state in result if state.open]
    if undecided:
        raise RuntimeError(f"no status was decided for {undecided}")
    for state in result:
        with warehouse.exclusive(slice_lock(state)), warehouse.begin() as connection:
            if not (state.kept or state.recorded):
                current = current_status(connection, state.source, state.period)
                if (current and current["status"] in availability.LOADED and state.status in DOWNGRADES
                        and state.sha256 != current["file_sha256"]):
                    state.keep(current, f"{_downgrade(state)}; {_kept_slice(current)}.")
                else:
                    _write_status(connection, state, run_id)
            if state.notices:
                bulk_copy_rows(connection, "audit.delivery_notice",
                               ["source", "period", "run_id", "notice", "noted_at"],
                               [(state.source, state.period, run_id, notice, _now()) for notice in state.notices])
    return [{"source": s.source, "period": s.period, "status": s.status, "reason": s.reason,
             "changed": not s.kept, "notices": s.notices} for s in result]


class DownloadsFailed(Lasting, RuntimeError):
    """Downloads that failed on every try, their statuses recorded: the run fails so someone looks."""

    @property
    def advice(self) -> str:
        return f"{self}: trigger the run again once the source answers"


def check_downloads(states: list[dict]) -> None:
    """Raise :class:`DownloadsFailed` for the periods whose last download try failed and that had no loaded slice
    to keep (those are notices); called once their statuses are recorded."""
    failed = [state for state in _states(states) if state.transfer_error and not state.kept]
    if failed:
        raise DownloadsFailed("; ".join(f"{state.source} {state.period}: the download failed on every try "
                                        f"({state.transfer_error}), recorded as '{state.status}'"
                                        for state in failed))


# Decisions that would take a loaded period's data away; the loaded slice stands instead (a declared outage does
# not: it is a decision about the data, made on purpose).
DOWNGRADES = ("awaited", "late", "rejected")


def _downgrade(state: PeriodState) -> str:
    if state.status == "rejected":
        return f"A new file ({state.original_name}, sha256 {(state.sha256 or '')[:12]}) was rejected: {state.reason}"
    return f"The file is no longer delivered: {state.reason}"


def ingest(source_name: str, period: str, *, as_of: date, run_id: str, warehouse: Warehouse) -> list[dict]:
    """All the steps in one call: what the DAG does task by task, for scripts, tests and the benchmark."""
    states = plan(source_name, period)
    states = check_availability(states, as_of=as_of)
    states = pull(states, as_of=as_of)
    states = validate(states, run_id=run_id)
    states = load(states, run_id=run_id, warehouse=warehouse)
    summary = record_status(states, run_id=run_id, warehouse=warehouse)
    check_downloads(states)
    return summary
