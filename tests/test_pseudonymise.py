"""Pseudonymisation keys: every key has an id, stored beside its pseudonyms; previous keys for a rotation.

The rotation itself, a MARAC victim referred before and after it, is in tests/test_marac.py.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date

import pytest

from safer_communities import errors
from safer_communities.sources import ingest
from safer_communities.sources.pseudonymise import PseudonymisationKeyInvalid, key_fingerprint, pseudonymiser
from tests import test_iom, test_marac, test_survey
from tests.conftest import PSEUDONYMISATION_KEY as KEY
from tests.conftest import set_pseudonymisation_key
from tests.partner_files import csv_bytes, deliver_file

OLD_KEY = "test-only-previous-key"
DAY = date(2027, 1, 15)


def hashed(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def test_the_key_id_is_the_connections_or_a_fingerprint_that_does_not_reveal_the_key(monkeypatch):
    set_pseudonymisation_key(monkeypatch)
    unnamed = pseudonymiser(DAY)
    assert unnamed.key_id == key_fingerprint(KEY) == hashed(KEY, "key id")[:12]
    assert unnamed(" ab12 ") == hashed(KEY, "AB12")  # the pseudonyms themselves are as before key ids
    set_pseudonymisation_key(monkeypatch, key_id="2026-11")
    named = pseudonymiser(DAY)
    assert named.key_id == "2026-11" and named(" ab12 ") == unnamed(" ab12 ")
    assert named.links == set()  # no previous key: nothing to link
    set_pseudonymisation_key(monkeypatch, "", secret=KEY)  # the key in extra.secret
    assert pseudonymiser(DAY).key_id == key_fingerprint(KEY)


def test_a_previous_key_links_within_its_window_and_is_ignored_with_a_warning_after(monkeypatch, caplog):
    set_pseudonymisation_key(monkeypatch, KEY, key_id="2027-01",
                             previous=[{"key_id": "2026-11", "secret": OLD_KEY, "until": "2027-03-31"}])
    last_day = pseudonymiser(date(2027, 3, 31))
    assert last_day(" v1 ") == hashed(KEY, "V1")
    assert last_day.links == {("2026-11", hashed(OLD_KEY, "V1"), "2027-01", hashed(KEY, "V1"))}

    caplog.set_level(logging.WARNING)
    day_after = pseudonymiser(date(2027, 4, 1))
    day_after("V1")
    assert day_after.links == set()
    assert ("pseudonymisation key 2026-11 was accepted until 2027-03-31: on 2027-04-01 it is no longer used for "
            "linkage; remove it from extra.previous") in caplog.text
    assert KEY not in caplog.text and OLD_KEY not in caplog.text


def test_a_previous_key_without_an_id_is_named_by_its_fingerprint(monkeypatch):
    """The id its pseudonyms were stored with while it was the current key without an id."""
    set_pseudonymisation_key(monkeypatch, KEY, previous=[{"secret": OLD_KEY, "until": "2027-03-31"}])
    pseudonymise = pseudonymiser(DAY)
    pseudonymise("V1")
    assert pseudonymise.links == {(key_fingerprint(OLD_KEY), hashed(OLD_KEY, "V1"), key_fingerprint(KEY),
                                   hashed(KEY, "V1"))}


@pytest.mark.parametrize(("extra", "message"), [
    ({"previous": {"secret": OLD_KEY, "until": "2027-03-31"}}, "extra.previous of the connection .* must be a list"),
    ({"previous": [OLD_KEY]}, "previous key 1 of the connection .* is not an object"),
    ({"previous": [{"secret": OLD_KEY}]}, "previous key 1 .* needs until"),
    ({"previous": [{"secret": OLD_KEY, "until": "31/03/2027"}]}, "previous key 1 .* needs until"),
    ({"previous": [{"until": "2027-03-31"}]}, "previous key 1 .* has no secret"),
    ({"previous": [{"secret": OLD_KEY, "until": "2027-03-31", "valid_to": "2027-03-31"}]},
     r"unknown fields \['valid_to'\]"),
    ({"previous": [{"secret": KEY, "until": "2027-03-31"}]}, "previous key 1 .* is the current key"),
    ({"key_id": "2027-01", "previous": [{"key_id": "2027-01", "secret": OLD_KEY, "until": "2027-03-31"}]},
     "previous key 1 .* repeats the key id '2027-01'"),
    ({"key_id": "January 2027"}, "the key_id of the key of the connection .* must be"),
    # expired, and still checked
    ({"previous": [{"key_id": "", "secret": OLD_KEY, "until": "2020-01-01"}]}, "the key_id of previous key 1"),
])
def test_a_malformed_key_entry_stops_the_run_saying_which_and_never_quoting_a_key(monkeypatch, extra, message):
    set_pseudonymisation_key(monkeypatch, KEY, **extra)
    with pytest.raises(PseudonymisationKeyInvalid, match=message) as raised:
        pseudonymiser(DAY)
    assert errors.lasting(raised.value) == str(raised.value)  # no retry: the task fails at once, saying this
    assert KEY not in str(raised.value) and OLD_KEY not in str(raised.value)


# source: (period, file, staging table, core table)
PERSON_LEVEL = {
    "marac_referrals": ("2015/16 Q1", csv_bytes(test_marac.HEADER, test_marac.REFERRALS["2015/16 Q1"]),
                        "staging.marac_referrals", "core.fact_marac_referral"),
    "iom_cohort": ("2014/15", csv_bytes(test_iom.HEADER, test_iom.COHORTS["2014/15"]),
                   "staging.iom_cohort", "core.fact_iom_offender"),
    "community_survey": ("2015/16 Q1", csv_bytes(test_survey.HEADER, test_survey.Q1),
                         "staging.community_survey", "core.fact_survey_response"),
}


@pytest.mark.parametrize("source", sorted(PERSON_LEVEL))
def test_pseudonyms_are_stored_with_their_key_id(home, warehouse, monkeypatch, source):
    period, content, staging, core = PERSON_LEVEL[source]
    set_pseudonymisation_key(monkeypatch, key_id="2026-11")
    deliver_file(home, source, period, content)
    assert ingest.ingest(source, period, as_of=DAY, run_id="t", warehouse=warehouse)[0]["status"] == "available"
    for table in (staging, core):
        assert warehouse.query(f"SELECT DISTINCT pseudonym_key_id FROM {table}") == [{"pseudonym_key_id": "2026-11"}]
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.pseudonym_link")[0]["n"] == 0  # nothing rotated
