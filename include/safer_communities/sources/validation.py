"""Validation with Great Expectations (GX Core 1.x) on the extract's scratch database, and our routing of its results.

The contract's rules become one GX expectation each, run through GX's SQL datasource on the scratch DuckDB
database the extract was parsed into (``safer_communities.sources.extract``): the header rules on the file's columns,
the others on the parsed rows. GX says pass or fail and how many rows fail; the contract's severity says what
that means: reject the file, quarantine the rows, or record a warning. Rows are routed with set-based SQL: each
row rule has the SQL condition of the rows it fails (:func:`failing`), whose count must equal GX's, or
validation stops (a rule that GX and the routing read differently is a bug, never a silent difference).

GX has no DuckDB support of its own; it speaks SQLAlchemy through duckdb-engine, with two known problems:

* GX closes its connection before it fetches a metric's rows, and duckdb-engine's rollback on close clears
  them ("IndexError: list index out of range" in ``resolve_metric_bundle``, GX issues #10738 and #11579).
  GX only reads the scratch database, so its dialect here (``duckdb+scratch://``) leaves transactions out.
* SQLAlchemy reflects a table's columns through duckdb-engine's emulation of PostgreSQL's catalog: three
  queries and about 0.1 s for each table GX looks at, and its primary-key query fails on DuckDB. The dialect
  reads ``duckdb_columns()`` instead; a scratch table has no primary key.
* GX's regex expectation does not compile for DuckDB ("Regex is not supported for dialect duckdb"):
  ``matches_regex`` runs as an ``UnexpectedRowsExpectation`` with DuckDB's ``regexp_matches`` (a partial
  match, as GX's own expectation is on pandas).

GX is imported here, inside the functions that need it, never at DAG parse time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy import text
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import registry
from sqlalchemy.exc import NoSuchTableError

from safer_communities.sources.contracts import (
    PARSE_RULES,
    WITHHELD,
    Contract,
    RowIssue,
    Rule,
    described,
    record_line,
)
from safer_communities.sources.extract import ParsedFile, Scratch, literal, quoted, raw_records

if TYPE_CHECKING:
    import pandas as pd

    from safer_communities.periods import Period

log = logging.getLogger(__name__)
SAMPLE_LINES = 20
# In a file that holds people, a value that breaks a warning rule loads as empty; the warning says so.
WITHHELD_VALUES = "These values are not loaded (left empty): in a file that holds people they are not known to be safe."


class ScratchDialect(DuckDBDialect):
    """duckdb-engine without transactions, for GX reading a scratch database (see the module's note)."""

    supports_statement_cache = False  # as duckdb-engine (said, so SQLAlchemy does not warn on every query)

    def connect(self, *cargs, **cparams):
        from duckdb_engine import ConnectionWrapper

        # duckdb+scratch:///<key>: a connection to that scratch database, closed with it
        return ConnectionWrapper(Scratch.registered[cparams["database"]].connect_kept())

    def do_begin(self, dbapi_connection) -> None:
        pass

    def do_rollback(self, dbapi_connection) -> None:
        pass

    def do_commit(self, dbapi_connection) -> None:
        pass

    def get_columns(self, connection, table_name, schema=None, **kw) -> list[dict]:
        """A scratch table's or view's columns, read from DuckDB's own catalog (see the module's note)."""
        rows = connection.execute(text(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = :table "
            "ORDER BY column_index"), {"table": table_name}).fetchall()
        if not rows:
            raise NoSuchTableError(table_name)
        return [{"name": name, "type": _SCRATCH_TYPES.get(data_type, sqltypes.NullType)(), "nullable": nullable,
                 "default": None, "autoincrement": False, "comment": None} for name, data_type, nullable in rows]

    def get_pk_constraint(self, connection, table_name, schema=None, **kw) -> dict:
        return {"constrained_columns": [], "name": None}


# The types of a parsed file's columns (``safer_communities.sources.extract``), as SQLAlchemy names them.
_SCRATCH_TYPES = {"VARCHAR": sqltypes.String, "DOUBLE": sqltypes.Float, "BIGINT": sqltypes.BigInteger,
                  "INTEGER": sqltypes.Integer, "DATE": sqltypes.Date, "BOOLEAN": sqltypes.Boolean}


registry.register("duckdb.scratch", __name__, "ScratchDialect")


class RoutingMismatch(RuntimeError):
    """GX and the routing SQL count a rule's failing rows differently: a bug in :func:`failing`."""


@dataclass
class RuleResult:
    """One expectation's outcome, as stored in ``audit.validation_result``."""

    rule: str
    expectation: str
    column: str | None
    severity: str
    scope: str
    success: bool
    unexpected_count: int = 0
    unexpected_lines: list[int] = field(default_factory=list)
    observed: str | None = None
    message: str = ""


@dataclass
class Validation:
    """What validation decided for one file. The accepted rows are the scratch database's view ``accepted``
    (values withheld already emptied), in the parsed file's columns."""

    path: Path
    contract: Contract
    parsed: ParsedFile
    rows_read: int
    rows_accepted: int
    results: list[RuleResult]
    quarantined: list[RowIssue]
    rejection: str | None = None

    @property
    def rejected(self) -> bool:
        return self.rejection is not None

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    def accepted_frame(self) -> pd.DataFrame:
        """The accepted rows as a frame indexed by line, for small files and tests."""
        return self.parsed.frame("accepted")


def _expectation(rule: Rule, contract: Contract, period: Period):
    import great_expectations.expectations as gxe

    meta = {"rule": rule.id, "severity": rule.severity, "scope": rule.scope}
    column = rule.column
    match rule.expect:
        case "columns_in_order":
            return gxe.ExpectTableColumnsToMatchOrderedList(column_list=contract.column_names, meta=meta)
        case "columns_match":
            return gxe.ExpectTableColumnsToMatchSet(column_set=contract.column_names, exact_match=True, meta=meta)
        case "within_period":
            return gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=period.start, max_value=period.end, meta=meta
            )
        case "row_count_at_least":
            return gxe.ExpectTableRowCountToBeBetween(min_value=int(rule.min), meta=meta)
        case "equals_period":
            return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[str(period)], meta=meta)
        case "in_set":
            return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=rule.values, meta=meta)
        case "matches_regex":
            # GX's regex expectation has no DuckDB form: the same test as SQL (see the module's note)
            return gxe.UnexpectedRowsExpectation(
                unexpected_rows_query="SELECT line FROM {batch} WHERE "
                + failing(rule, period).replace("{", "{{").replace("}", "}}"),  # a literal brace is doubled
                description=rule.description, meta=meta,
            )
        case "unique":
            return gxe.ExpectColumnValuesToBeUnique(column=column, meta=meta)
        case "not_greater_than":
            # column <= other_column; rows missing either value are left to the not_null rules.
            return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=rule.other_column, column_B=column, or_equal=True,
                ignore_row_if="either_value_is_missing", meta=meta,
            )
        case "between":
            return gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=rule.min, max_value=rule.max, meta=meta
            )
        case "not_null":
            from great_expectations.expectations.row_conditions import Column

            # GX's structured condition; a row whose `unless` column is empty is checked too
            condition = {}
            if rule.unless:
                other = Column(rule.unless.column)
                condition = {"row_condition": other.is_null() | (other != rule.unless.equals)}
            return gxe.ExpectColumnValuesToNotBeNull(column=column, meta=meta, **condition)
    raise AssertionError(rule.expect)


def failing(rule: Rule, period: Period) -> str:
    """The SQL condition true on exactly the rows of ``parsed`` that fail a row rule (never NULL: a value GX's
    column rules skip, a missing one, fails none but ``not_null``)."""
    column = quoted(rule.column)
    match rule.expect:
        case "not_null":
            unless = f" AND {quoted(rule.unless.column)} IS DISTINCT FROM {literal(rule.unless.equals)}" \
                if rule.unless else ""
            condition = f"{column} IS NULL{unless}"
        case "in_set":
            condition = f"{column} NOT IN ({', '.join(literal(value) for value in rule.values)})"
        case "equals_period":
            condition = f"{column} <> {literal(period)}"
        case "matches_regex":
            condition = f"NOT regexp_matches({column}, {literal(rule.regex)})"
        case "within_period":
            condition = f"({column} < DATE {literal(period.start)} OR {column} > DATE {literal(period.end)})"
        case "between":
            bounds = [f"{column} < {rule.min!r}" if rule.min is not None else "",
                      f"{column} > {rule.max!r}" if rule.max is not None else ""]
            condition = "(" + " OR ".join(bound for bound in bounds if bound) + ")"
        case "unique":
            condition = f"{column} IN (SELECT {column} FROM parsed GROUP BY {column} HAVING count(*) > 1)"
        case "not_greater_than":
            condition = f"{column} > {quoted(rule.other_column)}"
        case _:
            raise AssertionError(f"{rule.expect} is not a row rule")
    return f"coalesce({condition}, false)"


def _run_suite(rules: list[Rule], contract: Contract, period: Period, parsed: ParsedFile, table: str) -> list:
    """Run the rules as one GX suite on a table of the scratch database; return GX's per-expectation results."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_sql("extract", connection_string=parsed.scratch.url)
    batch_definition = source.add_table_asset("rows", table_name=table).add_batch_definition_whole_table("file")
    suite = gx.ExpectationSuite(name=contract.suite_name)
    for rule in rules:
        suite.add_expectation(_expectation(rule, contract, period))
    # Counts and observed values only: the failing rows' lines and values come from the routing SQL, so GX is not
    # asked for examples (a query per failing rule, 0.07 s for the uniqueness rule at 600,000 rows).
    outcome = batch_definition.get_batch().validate(
        suite, result_format={"result_format": "BASIC", "partial_unexpected_count": 0})
    return outcome.results


def _rule_result(rule: Rule, gx_result) -> RuleResult:
    result = gx_result.result or {}
    info = gx_result.exception_info or {}  # one error, or one per metric that failed
    errors = [info.get("exception_message"),
              *(value.get("exception_message") for value in info.values() if isinstance(value, dict))]
    error = next((e for e in errors if e), None)
    observed = result.get("observed_value")
    unexpected = result.get("unexpected_count")
    if rule.expect == "matches_regex":  # an UnexpectedRowsExpectation observes the count of failing rows
        unexpected, observed = observed, None
    return RuleResult(
        rule=rule.id,
        expectation=gx_result.expectation_config.type,
        column=rule.column,
        severity=rule.severity,
        scope=rule.scope,
        success=bool(gx_result.success),
        unexpected_count=int(unexpected or 0),
        observed=json.dumps(observed, default=str) if observed is not None else None,
        message=f"GX could not evaluate the rule: {error}" if error else "",
    )


def _failure(file: str, rule_id: str, description: str, detail: str) -> str:
    """The one shape of every validation message: which file, which rule, what failed."""
    return f"{file}: rule {rule_id} ({description}): {detail}"


def _rows_fail(count: int, examples: list[str]) -> str:
    more = f" and {count - len(examples)} more" if count > len(examples) else ""
    return f"{count} rows fail: {', '.join(examples)}{more}"


def _describe(parsed: ParsedFile, contract: Contract, rule: Rule, result: RuleResult, shown: dict[int, str]) -> str:
    """The error a partner can act on: which file, which rule, which lines and values."""
    if result.message:
        detail = result.message
    elif rule.expect == "columns_in_order":
        detail = f"header is {parsed.header}, expected {contract.column_names}"
    elif rule.expect == "columns_match":
        missing = [c for c in contract.column_names if c not in parsed.columns]
        unknown = [c for c in parsed.columns if c not in contract.column_names]
        detail = "; ".join(
            part for part in (
                f"missing required columns {missing}" if missing else "",
                f"unknown columns {unknown}" if unknown else "",
            ) if part
        ) + f" (columns are matched ignoring case and spaces; expected {contract.column_names})"
    elif rule.expect == "row_count_at_least":
        detail = f"the file has {result.observed} data rows"
    else:
        examples = [f"line {line} {shown[line]}" for line in result.unexpected_lines[:5]]
        detail = _rows_fail(result.unexpected_count, examples)
    return _failure(parsed.name, rule.id, rule.description, detail)


def _shown(rule: Rule, holds_people: bool, value, other=None) -> str:
    """The value(s) a rule looked at on a line, e.g. ``Re-offenders=12 > Cohort size=10``. In a file that holds
    people a failing value is not known to be safe (a victim's reference shifted into the District column), so it
    is described, never quoted: ``District: text of 9 characters``."""
    def one(column: str, value) -> str:
        return f"{column}: {described(value)}" if holds_people else f"{column}={value!r}"

    shown = one(rule.column, value)
    if rule.other_column:
        shown += f" > {one(rule.other_column, other)}"
    return shown


def _flag(rule: Rule) -> str:
    """The column of table ``failing`` that is true on the rows a rule fails (named apart from any file column)."""
    return quoted(f"~fails {rule.id}")


def _mark_failing(connection, rules: list[Rule], period: Period) -> dict[str, int]:
    """Evaluate every row rule's condition (:func:`failing`) in one scan of ``parsed``, keeping the rows that fail
    any as the table ``failing`` (their line, the columns the rules show, a flag per rule); return each rule's
    count of failing rows."""
    shown = dict.fromkeys(column for rule in rules for column in (rule.column, rule.other_column) if column)
    columns = "".join(f", {quoted(column)}" for column in shown)
    flags = ", ".join(f"{failing(rule, period)} AS {_flag(rule)}" for rule in rules)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE failing AS SELECT * FROM (SELECT line{columns}, {flags} "
                       f"FROM parsed) WHERE {' OR '.join(_flag(rule) for rule in rules)}")
    counted = ", ".join(f"count(*) FILTER (WHERE {_flag(rule)})" for rule in rules)
    counts = connection.execute(f"SELECT {counted} FROM failing")
    return dict(zip((rule.id for rule in rules), counts.fetchone(), strict=True))


def _failing_rows(connection, rule: Rule, holds_people: bool, limit: int | None = None):
    """(line, the values shown) of each row failing a row rule, in line order, streamed (from ``failing``)."""
    columns = ", ".join(quoted(c) for c in (rule.column, rule.other_column) if c)
    cursor = connection.execute(f"SELECT line, {columns} FROM failing WHERE {_flag(rule)} ORDER BY line"
                                + (f" LIMIT {int(limit)}" if limit is not None else ""))
    while rows := cursor.fetchmany(10_000):
        for line, *values in rows:
            yield int(line), _shown(rule, holds_people, *values)


def validate(parsed: ParsedFile, contract: Contract, period: Period) -> Validation:
    """Validate a parsed file against its contract for the period it was pulled for.

    Critical file-scope failures reject the file; critical row-scope failures
    quarantine the rows (each with every rule it broke); warnings and info are
    recorded and the rows load. The scratch database gains the view ``accepted``:
    the rows to load, with the values a warning withholds emptied.
    """
    results: list[RuleResult] = []
    for parse_rule in PARSE_RULES:
        failed = [issue for issue in parsed.issues if issue.rule == parse_rule.id]
        message = ""
        if failed:
            examples = [f"line {issue.line} ({issue.message})" for issue in failed[:5]]
            message = _failure(parsed.name, parse_rule.id, parse_rule.description, _rows_fail(len(failed), examples))
        results.append(
            RuleResult(
                rule=parse_rule.id,
                expectation="parse",
                column=None,
                severity=parse_rule.severity,
                scope=parse_rule.scope,
                success=not failed,
                unexpected_count=len(failed),
                unexpected_lines=[issue.line for issue in failed[:SAMPLE_LINES]],
                message=message,
            )
        )
    for issue in parsed.issues:
        log.warning("%s: line %d: rule %s: %s", parsed.name, issue.line, issue.rule, issue.message)

    holds_people = contract.has_person_refs
    table_rules = [rule for rule in contract.rules if rule.is_table_rule]
    column_rules = [rule for rule in contract.rules if not rule.is_table_rule]
    rejections: list[str] = []
    quarantine: dict[int, list[tuple[str, str]]] = {}
    withheld: dict[str, list[str]] = {}  # column -> conditions of the rows whose value in it is not loaded

    for stage, table in ((table_rules, "file_columns"), (column_rules, "parsed")):
        if rejections or not stage:
            break
        # GX lists results in its own order (rules that raised come first): match them by rule id.
        by_rule = {r.expectation_config.meta["rule"]: r for r in _run_suite(stage, contract, period, parsed, table)}
        stage_results = [(rule, _rule_result(rule, by_rule[rule.id])) for rule in stage]
        with parsed.connect() as connection:
            # every row rule's failing rows found by its SQL condition, in one scan, and counted against GX's count
            checked = [rule for rule, result in stage_results if not rule.is_table_rule and not result.message]
            counts = _mark_failing(connection, checked, period) if checked else {}
            for rule, result in stage_results:
                evaluated = not result.message
                shown: dict[int, str] = {}  # line -> the values shown: every failing row of a quarantining rule
                if rule.id in counts:
                    if counts[rule.id] != result.unexpected_count or (counts[rule.id] == 0) != result.success:
                        raise RoutingMismatch(f"rule {rule.id}: GX finds {result.unexpected_count} failing rows, "
                                              f"the routing SQL {counts[rule.id]} ({failing(rule, period)})")
                    if counts[rule.id]:
                        quarantines = rule.severity == "critical" and rule.scope == "row"
                        shown = dict(_failing_rows(connection, rule, holds_people,
                                                   limit=None if quarantines else SAMPLE_LINES))
                    result.unexpected_lines = list(shown)[:SAMPLE_LINES]
                if not result.success:
                    description = _describe(parsed, contract, rule, result, shown)
                    result.message = description
                    if rule.severity == "critical" and (rule.scope == "file" or not evaluated):
                        rejections.append(description)
                    elif rule.severity == "critical":
                        for line, values in shown.items():
                            quarantine.setdefault(line, []).append((rule.id, values))
                    elif holds_people and rule.scope == "row" and evaluated:
                        # The row loads, but not the value: in a file that holds people it is not known to be safe.
                        for column in (rule.column, rule.other_column):
                            if column:
                                withheld.setdefault(column, []).append(failing(rule, period))
                        description = result.message = f"{description} {WITHHELD_VALUES}"
                    log.warning("%s [%s]", description, rule.severity)
                results.append(result)

    quarantined = list(parsed.issues)
    with parsed.connect() as connection:
        if quarantine:
            if holds_people:
                # The raw line holds the raw reference, and a shifted one can sit in any column: only the line
                # number (the landed file keeps the row itself).
                raw = dict.fromkeys(quarantine, WITHHELD)
            elif Path(parsed.name).suffix.lower() == ".csv":
                raw = raw_records(parsed.path, set(quarantine))
            else:  # a workbook has no text lines: keep the row as read
                raw = {int(line): record_line(list(values)) for line, *values in connection.execute(
                    "SELECT * FROM parsed WHERE line IN (SELECT UNNEST(?::BIGINT[]))", [sorted(quarantine)]
                ).fetchall()}
            for line, broken in sorted(quarantine.items()):
                rules = ", ".join(rule for rule, _ in broken)
                values = "; ".join(value for _, value in broken)
                quarantined.append(RowIssue(line, rules, values, raw.get(line, "")))
        quarantined.sort(key=lambda issue: issue.line)
        # The rows to load: the parsed rows but the quarantined lines (found by the rules' conditions above), with
        # the values withheld emptied (their conditions evaluated on the values as parsed).
        connection.execute("CREATE OR REPLACE TABLE quarantined_line AS SELECT UNNEST(?::BIGINT[]) AS line",
                           [sorted(quarantine)])
        columns = [d[0] for d in connection.execute("SELECT * FROM parsed LIMIT 0").description if d[0] != "line"]
        selected = ", ".join(
            f"CASE WHEN {' OR '.join(withheld[name])} THEN NULL ELSE {quoted(name)} END AS {quoted(name)}"
            if name in withheld else quoted(name)
            for name in columns
        )
        keep = "false" if rejections else "line NOT IN (SELECT line FROM quarantined_line)"
        connection.execute(f"CREATE OR REPLACE VIEW accepted AS SELECT line{', ' if selected else ''}{selected} "
                           f"FROM parsed WHERE {keep}")
        rows_accepted = connection.execute("SELECT count(*) FROM parsed").fetchone()[0] - len(quarantine)
    if not rejections and quarantined and rows_accepted == 0:
        rejections.append(f"{parsed.name}: every row broke a critical rule ({len(quarantined)} rows quarantined)")
    return Validation(
        path=parsed.path,
        contract=contract,
        parsed=parsed,
        rows_read=parsed.rows_read,
        rows_accepted=0 if rejections else rows_accepted,
        results=results,
        quarantined=quarantined,
        rejection="; ".join(rejections) or None,
    )
