"""Validation with Great Expectations (GX Core 1.x), and our own routing of its results.

The contract's rules become one GX expectation each, run on the parsed frame
(pandas, in memory: GX's SQL path does not work on DuckDB, and the frame is
already in hand). GX says pass or fail; the contract's severity says what that
means: reject the file, quarantine the rows, or record a warning. GX is imported
here, inside the function that needs it, never at DAG parse time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from safer_communities.contracts import (
    PARSE_RULES,
    WITHHELD,
    Contract,
    ParsedFile,
    RowIssue,
    Rule,
    described,
    record_line,
)

if TYPE_CHECKING:
    import pandas as pd

    from safer_communities.periods import Period

log = logging.getLogger(__name__)
SAMPLE_LINES = 20
# In a file that holds people, a value that breaks a warning rule loads as empty; the warning says so.
WITHHELD_VALUES = "These values are not loaded (left empty): in a file that holds people they are not known to be safe."


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
    """What validation decided for one file."""

    path: Path
    contract: Contract
    rows_read: int
    results: list[RuleResult]
    accepted: pd.DataFrame
    quarantined: list[RowIssue]
    rejection: str | None = None

    @property
    def rejected(self) -> bool:
        return self.rejection is not None

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]


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
            return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=rule.regex, meta=meta)
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

            # GX's structured condition (string conditions are deprecated since GX Core 1.9)
            condition = {"row_condition": Column(rule.unless.column) != rule.unless.equals} if rule.unless else {}
            return gxe.ExpectColumnValuesToNotBeNull(column=column, meta=meta, **condition)
    raise AssertionError(rule.expect)


def _run_suite(rules: list[Rule], contract: Contract, period: Period, frame: pd.DataFrame) -> list:
    """Run the rules as one GX suite on the frame; return GX's per-expectation results."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX hashes the whole frame on every get_batch only to label the batch ("fingerprint"):
    # ~1 s per 600k rows, twice per suite. We label batches ourselves (source, period, sha256).
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("extract")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("whole_file")
    )
    suite = gx.ExpectationSuite(name=contract.suite_name)
    for rule in rules:
        suite.add_expectation(_expectation(rule, contract, period))
    # An unnamed index keeps GX's unexpected_index_list a plain list of line numbers.
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame.rename_axis(None)})
    outcome = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    return outcome.results


def _rule_result(rule: Rule, gx_result) -> RuleResult:
    result = gx_result.result or {}
    error = (gx_result.exception_info or {}).get("exception_message")
    lines = [int(line) for line in result.get("unexpected_index_list") or []]
    observed = result.get("observed_value")
    return RuleResult(
        rule=rule.id,
        expectation=gx_result.expectation_config.type,
        column=rule.column,
        severity=rule.severity,
        scope=rule.scope,
        success=bool(gx_result.success),
        unexpected_count=int(result.get("unexpected_count") or 0),
        unexpected_lines=lines,
        observed=json.dumps(observed, default=str) if observed is not None else None,
        message=f"GX could not evaluate the rule: {error}" if error else "",
    )


def _failure(file: str, rule_id: str, description: str, detail: str) -> str:
    """The one shape of every validation message: which file, which rule, what failed."""
    return f"{file}: rule {rule_id} ({description}): {detail}"


def _rows_fail(count: int, examples: list[str]) -> str:
    more = f" and {count - len(examples)} more" if count > len(examples) else ""
    return f"{count} rows fail: {', '.join(examples)}{more}"


def _describe(parsed: ParsedFile, contract: Contract, rule: Rule, result: RuleResult) -> str:
    """The error a partner can act on: which file, which rule, which lines and values."""
    if result.message:
        detail = result.message
    elif rule.expect == "columns_in_order":
        detail = f"header is {parsed.header}, expected {contract.column_names}"
    elif rule.expect == "columns_match":
        columns = list(parsed.frame.columns)
        missing = [c for c in contract.column_names if c not in columns]
        unknown = [c for c in columns if c not in contract.column_names]
        detail = "; ".join(
            part for part in (
                f"missing required columns {missing}" if missing else "",
                f"unknown columns {unknown}" if unknown else "",
            ) if part
        ) + f" (columns are matched ignoring case and spaces; expected {contract.column_names})"
    elif rule.expect == "row_count_at_least":
        detail = f"the file has {result.observed} data rows"
    else:
        examples = [f"line {line} {_values(parsed.frame, line, rule, contract.has_person_refs)}"
                    for line in result.unexpected_lines[:5]]
        detail = _rows_fail(result.unexpected_count, examples)
    return _failure(parsed.name, rule.id, rule.description, detail)


def _values(frame: pd.DataFrame, line: int, rule: Rule, holds_people: bool) -> str:
    """The value(s) a rule looked at on a line, e.g. ``Re-offenders=12 > Cohort size=10``. In a file that holds
    people a failing value is not known to be safe (a victim's reference shifted into the District column), so it
    is described, never quoted: ``District: text of 9 characters``."""
    def one(column: str) -> str:
        value = _value(frame, line, column)
        return f"{column}: {described(value)}" if holds_people else f"{column}={value!r}"

    shown = one(rule.column)
    if rule.other_column:
        shown += f" > {one(rule.other_column)}"
    return shown


def _value(frame: pd.DataFrame, line: int, column: str | None):
    if column is None or line not in frame.index:
        return None
    import pandas as pd

    value = frame.at[line, column]
    if pd.isna(value):  # NaN, or pd.NA in an integer column (where `value != value` raises)
        return None
    return value.item() if hasattr(value, "item") else value


def raw_records(path: Path, lines: set[int]) -> dict[int, str]:
    """The original text of the given lines of a file, bad bytes shown as \\xNN."""
    wanted = {}
    with Path(path).open("rb") as handle:
        for number, text in enumerate(handle, start=1):
            if number in lines:
                wanted[number] = text.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
    return wanted


def validate(parsed: ParsedFile, contract: Contract, period: Period) -> Validation:
    """Validate a parsed file against its contract for the period it was pulled for.

    Critical file-scope failures reject the file; critical row-scope failures
    quarantine the rows (each with every rule it broke); warnings and info are
    recorded and the rows load.
    """
    path = parsed.path
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

    frame = parsed.frame
    table_rules = [rule for rule in contract.rules if rule.is_table_rule]
    column_rules = [rule for rule in contract.rules if not rule.is_table_rule]
    rejections: list[str] = []
    quarantine: dict[int, list[tuple[str, str]]] = {}
    withheld: dict[int, set[str]] = {}  # line -> columns whose failing values are not loaded

    # Column rules see only the columns they name: GX copies its frame for each expectation.
    named = {c for rule in column_rules
             for c in (rule.column, rule.other_column, rule.unless.column if rule.unless else None) if c}
    stages = ((table_rules, frame), (column_rules, frame[[c for c in frame.columns if c in named]]))
    for stage, stage_frame in stages:
        if rejections or not stage:
            break
        # GX lists results in its own order (rules that raised come first): match them by rule id.
        by_rule = {r.expectation_config.meta["rule"]: r for r in _run_suite(stage, contract, period, stage_frame)}
        for rule in stage:
            result = _rule_result(rule, by_rule[rule.id])
            if not result.success:
                evaluated = not result.message
                description = _describe(parsed, contract, rule, result)
                result.message = description
                if rule.severity == "critical" and (rule.scope == "file" or not evaluated):
                    rejections.append(description)
                elif rule.severity == "critical":
                    for line in result.unexpected_lines:
                        quarantine.setdefault(line, []).append(
                            (rule.id, _values(frame, line, rule, contract.has_person_refs)))
                elif contract.has_person_refs and rule.scope == "row":
                    # The row loads, but not the value: in a file that holds people it is not known to be safe.
                    for line in result.unexpected_lines:
                        withheld.setdefault(line, set()).update(c for c in (rule.column, rule.other_column) if c)
                    description = result.message = f"{description} {WITHHELD_VALUES}"
                log.warning("%s [%s]", description, rule.severity)
            result.unexpected_lines = result.unexpected_lines[:SAMPLE_LINES]
            results.append(result)

    quarantined = list(parsed.issues)
    if quarantine:
        if contract.has_person_refs:
            # The raw line holds the raw reference, and a shifted one can sit in any column: only the line number
            # (the landed file keeps the row itself).
            raw = dict.fromkeys(quarantine, WITHHELD)
        elif Path(parsed.name).suffix.lower() == ".csv":
            raw = raw_records(path, set(quarantine))
        else:  # a workbook has no text lines: keep the row as read
            raw = {line: record_line(list(frame.loc[line])) for line in quarantine}
        for line, broken in sorted(quarantine.items()):
            rules = ", ".join(rule for rule, _ in broken)
            values = "; ".join(value for _, value in broken)
            quarantined.append(RowIssue(line, rules, values, raw.get(line, "")))
    quarantined.sort(key=lambda issue: issue.line)
    accepted = frame.drop(index=list(quarantine)) if not rejections else frame.iloc[0:0]
    if withheld and not accepted.empty:
        accepted = accepted.copy()
        for line, columns in withheld.items():
            if line in accepted.index:
                accepted.loc[line, sorted(columns)] = None
    if not rejections and quarantined and accepted.empty:
        rejections.append(f"{parsed.name}: every row broke a critical rule ({len(quarantined)} rows quarantined)")
    return Validation(
        path=path,
        contract=contract,
        rows_read=parsed.rows_read,
        results=results,
        accepted=accepted,
        quarantined=quarantined,
        rejection="; ".join(rejections) or None,
    )
