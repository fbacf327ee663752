"""Parsing and validation routing on small files: what rejects, what quarantines, what only warns."""

from __future__ import annotations

import json

import pytest

from safer_communities.periods import Month
from safer_communities.sources.contracts import load_contract
from safer_communities.sources.extract import parse_extract
from safer_communities.sources.validation import validate
from tests.police_samples import COLUMNS, crime_row, first_row, january_rows, line_of, to_bytes

CONTRACT = load_contract("police_street")
JANUARY = Month(2020, 1)


def run(tmp_path, content: bytes, month: Month = JANUARY, name: str = "2020-01-leicestershire-street.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return validate(parse_extract(path, CONTRACT), CONTRACT, month)


def result(outcome, rule):
    return next(r for r in outcome.results if r.rule == rule)


def test_a_good_file_passes_every_rule(tmp_path):
    outcome = run(tmp_path, to_bytes(january_rows(300)))
    assert not outcome.rejected
    assert outcome.quarantined == []
    assert outcome.rows_accepted == 300
    assert all(r.success for r in outcome.results), [r.rule for r in outcome.results if not r.success]
    assert {r.rule for r in outcome.results} == {rule.id for rule in CONTRACT.rules} | {
        "parse_utf8", "parse_field_count", "parse_type"}
    # lines are the file's own line numbers: the header is line 1
    assert list(outcome.accepted_frame().index[:2]) == [2, 3]


def test_the_whole_real_month_passes(tmp_path):
    outcome = validate(parse_extract(january_rows.__globals__["JANUARY"], CONTRACT), CONTRACT, JANUARY)
    assert not outcome.rejected and outcome.quarantined == [] and outcome.rows_accepted == 8852


def test_wrong_header_rejects_the_file_naming_the_rule(tmp_path):
    rows = january_rows(5)
    rows[0] = [*COLUMNS[:9], "Crime Type", *COLUMNS[10:]]
    outcome = run(tmp_path, to_bytes(rows))
    assert outcome.rejected
    assert "2020-01-leicestershire-street.csv: rule header_exact" in outcome.rejection
    assert "'Crime Type'" in outcome.rejection
    assert outcome.rows_accepted == 0


def test_wrong_month_inside_the_file_rejects_it_naming_the_lines(tmp_path):
    rows = january_rows(20)
    rows[7][1] = "2019-12"
    rows[12][1] = "2019-12"
    outcome = run(tmp_path, to_bytes(rows))
    assert outcome.rejected
    assert "rule month_is_period" in outcome.rejection
    assert "2 rows fail: line 8 Month='2019-12', line 13 Month='2019-12'" in outcome.rejection
    assert result(outcome, "month_is_period").unexpected_lines == [8, 13]


def test_a_file_for_another_month_is_rejected(tmp_path):
    outcome = run(tmp_path, to_bytes(january_rows(10)), month=Month(2020, 2))
    assert outcome.rejected and "20 rows fail" not in outcome.rejection and "10 rows fail" in outcome.rejection


def test_non_utf8_bytes_quarantine_the_row_with_its_raw_bytes(tmp_path):
    rows = january_rows(10)
    content = to_bytes(rows).replace(b"On or near Hobill Close", b"On or near Hob\xe9ll Close", 1)
    outcome = run(tmp_path, content)
    assert not outcome.rejected
    assert [(q.line, q.rule) for q in outcome.quarantined] == [(2, "parse_utf8")]
    assert "Hob\\xe9ll" in outcome.quarantined[0].raw
    assert outcome.rows_accepted == 9
    assert result(outcome, "parse_utf8").unexpected_lines == [2]


@pytest.mark.parametrize("content", [b"", b"\n"])
def test_an_empty_file_is_rejected(tmp_path, content):
    outcome = run(tmp_path, content)
    assert outcome.rejected
    assert "rule header_exact" in outcome.rejection


def test_a_header_only_file_is_rejected_for_having_no_rows(tmp_path):
    outcome = run(tmp_path, to_bytes(january_rows(0)))
    assert outcome.rejected
    assert "rule has_rows" in outcome.rejection and "0 data rows" in outcome.rejection


def test_a_duplicated_crime_id_quarantines_both_rows(tmp_path):
    rows = january_rows(30)
    first = crime_row(rows)
    second = next(i for i in range(first + 1, len(rows)) if rows[i][0])
    rows[second][0] = rows[first][0]
    outcome = run(tmp_path, to_bytes(rows))
    assert not outcome.rejected
    assert [(q.line, q.rule) for q in outcome.quarantined] == [
        (line_of(first), "crime_id_unique"), (line_of(second), "crime_id_unique")]
    assert outcome.rows_accepted == 28


def test_garbage_rows_are_quarantined_each_with_the_rule_it_broke(tmp_path):
    rows = january_rows(40)
    burglary = first_row(rows, start=10, crime_type="Burglary")
    rows[burglary][0] = ""                                   # empty Crime ID on a crime
    rows[3][9] = "Burglarly"                                 # unknown crime type
    rows[4][4] = "west"                                      # not a number
    rows[5][7] = "LE1 5XX"                                   # not an LSOA code
    rows[6][0] = "not-a-hash"                                # Crime ID not 64 hex
    rows.insert(8, ["garbage", "row"])                       # wrong field count
    outcome = run(tmp_path, to_bytes(rows))
    assert not outcome.rejected
    found = {q.line: q.rule for q in outcome.quarantined}
    assert found == {
        line_of(burglary + 1): "crime_id_only_empty_for_asb",  # +1: the garbage row inserted above it
        4: "crime_type_known",
        5: "parse_type",
        6: "lsoa_code_pattern",
        7: "crime_id_hex",
        9: "parse_field_count",
    }
    assert outcome.rows_accepted == 40 - 5
    by_line = {q.line: q for q in outcome.quarantined}
    assert "Burglarly" in by_line[4].message and "Burglarly" in by_line[4].raw
    assert "Longitude 'west' is not a number" in by_line[5].message
    assert by_line[9].raw == "garbage,row"


def test_warnings_load_the_row_and_are_recorded(tmp_path):
    rows = january_rows(10)
    rows[2][5] = "40.000000"  # latitude south of Great Britain
    outcome = run(tmp_path, to_bytes(rows))
    assert not outcome.rejected and outcome.quarantined == []
    assert outcome.rows_accepted == 10
    warning = result(outcome, "latitude_in_box")
    assert (warning.success, warning.severity, warning.unexpected_lines) == (False, "warning", [3])
    assert outcome.warnings == [warning]
    assert "line 3 Latitude=40.0" in warning.message


def test_results_carry_gx_observed_values(tmp_path):
    outcome = run(tmp_path, to_bytes(january_rows(5)))
    assert json.loads(result(outcome, "header_exact").observed) == COLUMNS
    assert result(outcome, "has_rows").observed == "5"


def _garbage_file() -> bytes:
    rows = january_rows(40)
    rows[3][9] = "Burglarly"                                 # line 4: unknown crime type
    rows.insert(6, ["garbage", "row"])                       # line 7: wrong field count
    rows[12][4] = "west"                                     # line 13: not a number
    rows[20][7] = "LE1 5XX"                                  # line 21: not an LSOA code
    return to_bytes(rows).replace(b"On or near Hobill Close", b"On or near Hob\xe9ll Close", 1)


def _outcome(outcome):
    frame = outcome.accepted_frame()
    return ([(q.line, q.rule, q.message, q.raw) for q in outcome.quarantined], outcome.rejection,
            [(r.rule, r.success, r.unexpected_count, r.unexpected_lines) for r in outcome.results],
            list(frame.index), frame.to_dict("records"))


def test_duckdb_and_the_python_reader_agree_line_for_line(tmp_path, monkeypatch):
    from safer_communities.sources import extract

    content = _garbage_file()
    fast = run(tmp_path, content)
    assert {(q.line, q.rule) for q in fast.quarantined} >= {(4, "crime_type_known"), (7, "parse_field_count"),
                                                            (13, "parse_type"), (21, "lsoa_code_pattern")}
    monkeypatch.setattr(extract, "_read_csv", lambda *args: None)  # every file read in Python
    slow = run(tmp_path, content)
    assert _outcome(fast) == _outcome(slow)
    assert fast.rows_accepted == 40 - 4  # four real rows broken; the garbage row is not one of the 40


def test_rows_after_a_rejected_record_keep_their_own_lines(tmp_path):
    rows = january_rows(10)
    rows.insert(3, ["garbage", "row"])  # line 4
    rows[8][4] = "west"  # line 9
    outcome = run(tmp_path, to_bytes(rows))
    assert [(q.line, q.rule) for q in outcome.quarantined] == [(4, "parse_field_count"), (9, "parse_type")]
    frame = outcome.accepted_frame()
    assert list(frame.index) == [2, 3, 5, 6, 7, 8, 10, 11, 12]
    assert list(frame["Location"]) == [rows[line - 1][6] for line in frame.index]


def test_a_line_break_inside_quotes_or_a_blank_line_keeps_every_line_number(tmp_path):
    rows = january_rows(8)
    rows[2][6] = "On or near\nHobill Close"  # record 3 takes lines 3 and 4
    rows[5][4] = "west"                      # so this row is on line 7
    content = to_bytes(rows)
    lines = content.split(b"\n")
    content = b"\n".join([*lines[:8], b"", *lines[8:]])  # a blank line 9: the last rows are on lines 10 and 11
    outcome = run(tmp_path, content)
    assert [(q.line, q.rule) for q in outcome.quarantined] == [(7, "parse_type")]
    frame = outcome.accepted_frame()
    assert list(frame.index) == [2, 3, 5, 6, 8, 10, 11]
    assert frame.loc[3, "Location"] == "On or near\nHobill Close"
    assert frame.loc[11, "Location"] == rows[8][6]


def test_a_file_read_on_several_threads_keeps_every_line_number(tmp_path):
    """A file of many read buffers (about 50 MB): DuckDB reads it on every thread, and each row still gets the line
    it is on, rejected records and bad values included. Each row carries its own line in its Context."""
    real = january_rows(2000)
    header, rows = real[0], real[1:]
    lines = [header]
    broken = {50_001: "field count", 123_457: "type", 199_999: "field count", 250_000: "type"}
    for line in range(2, 260_002):
        row = list(rows[line % len(rows)])
        row[11] = f"line {line}"
        if broken.get(line) == "field count":
            row = row[:5]
        elif broken.get(line) == "type":
            row[4] = "west"
        lines.append(row)
    path = tmp_path / "2020-01-leicestershire-street.csv"
    path.write_bytes(to_bytes(lines))
    parsed = parse_extract(path, CONTRACT)
    try:
        assert sorted((issue.line, issue.rule) for issue in parsed.issues) == [
            (50_001, "parse_field_count"), (123_457, "parse_type"), (199_999, "parse_field_count"),
            (250_000, "parse_type")]
        with parsed.connect() as connection:
            count, misplaced, first, last = connection.execute(
                "SELECT count(*), count(*) FILTER (WHERE \"Context\" <> 'line ' || line), min(line), max(line) "
                "FROM parsed").fetchone()
        assert (count, misplaced, first, last) == (260_000 - 4, 0, 2, 260_001)
    finally:
        parsed.remove()


def test_raw_records_finds_lines_across_blocks_of_any_length(tmp_path):
    """The quarantine's raw text of a line, found block by block (1 MiB): lines longer than a block, lines that
    straddle two, Windows line ends, bad bytes, and a last line with no line break, against a plain split."""
    from safer_communities.sources.extract import raw_records

    lengths = [10, 1_500_000, 0, 3, 1_048_570, 7, 2_100_000, 20, 1_048_576, 5]
    records = [(b"\xff" if number == 4 else b"") + b"x" * length + str(number).encode()
               for number, length in enumerate(lengths, start=1)]
    for end, last_break in ((b"\n", True), (b"\r\n", False)):
        path = tmp_path / "long.csv"
        path.write_bytes(end.join(records) + (end if last_break else b""))
        found = raw_records(path, set(range(1, len(records) + 2)))
        assert found == {number: record.decode("utf-8", "backslashreplace")
                         for number, record in enumerate(records, start=1)}
        assert raw_records(path, {2, 9}) == {2: records[1].decode(), 9: records[8].decode()}
