"""Pseudonymisation at ingestion: person references become keyed hashes before anything is kept.

Offender, victim and respondent references are replaced by HMAC-SHA256 under a
secret key, so the same person gets the same pseudonym in every extract and
quarter (MARAC repeats can be found) while the raw reference never reaches the
warehouse, the logs or XCom. The key lives only in the Airflow connection
``safer_communities_pseudonymisation`` (its password, or ``extra.secret``, a name Airflow's masker hides).

Every key has an id (``extra.key_id``, or a fingerprint of the key), stored beside the pseudonyms made under
it. A new key would break MARAC repeat linkage, so the old one stays listed under ``extra.previous`` with an
``until`` date: while it is accepted, each reference is also pseudonymised under it and the pair (old
pseudonym -> new pseudonym) is loaded into ``core.pseudonym_link`` with the slice (docs/operating.md, "Key rotation").
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import logging
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safer_communities.errors import Lasting
from safer_communities.settings import SQL_DIR

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)
PSEUDONYMISATION_CONN_ID = "safer_communities_pseudonymisation"
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
PREVIOUS_FIELDS = {"key_id", "secret", "until"}  # "secret": Airflow's masker hides it
LINK_COLUMNS = ["source", "period", "load_batch_id", "from_key_id", "from_pseudonym", "to_key_id", "to_pseudonym"]


class PseudonymisationKeyError(Lasting, RuntimeError):
    """The key connection is missing or wrong: every try would fail the same way (``errors.lasting``)."""


class PseudonymisationKeyMissing(PseudonymisationKeyError):
    """No key: the run stops rather than write raw or unkeyed references."""


class PseudonymisationKeyInvalid(PseudonymisationKeyError):
    """A key id or a previous key that cannot be used: the run stops rather than lose linkage silently."""


def normalise_ref(ref: str) -> str:
    """References compare ignoring surrounding space and case (' ab12 ' is 'AB12')."""
    return ref.strip().upper()


def _hmac(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def key_fingerprint(key: str) -> str:
    """A key's id when the connection gives none: it names the key without revealing it."""
    return _hmac(key.encode("utf-8"), "key id")[:12]


class Pseudonymiser:
    """A raw reference -> its pseudonym under the current key (64 hex characters). Each reference is also
    pseudonymised under every previous key still accepted, and the pairs kept in ``links`` (from key id, from
    pseudonym, to key id, to pseudonym): pseudonyms only, never the reference."""

    def __init__(self, key: str, key_id: str, previous: list[tuple[str, str]]) -> None:
        self.key_id = key_id
        self.links: set[tuple[str, str, str, str]] = set()
        self._secret = key.encode("utf-8")
        self._previous = [(previous_id, previous_key.encode("utf-8")) for previous_id, previous_key in previous]

    def __call__(self, ref: str) -> str:
        text = normalise_ref(str(ref))
        pseudonym = _hmac(self._secret, text)
        for previous_id, secret in self._previous:
            self.links.add((previous_id, _hmac(secret, text), self.key_id, pseudonym))
        return pseudonym

    def write_links(self, path: Path, source: str, period: str, load_batch_id: str) -> None:
        """The links as a CSV in ``staging.pseudonym_link`` column order (a header alone when there are none),
        written beside the validated rows: a file, not XCom, takes them to the load."""
        with Path(path).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(LINK_COLUMNS)
            writer.writerows((source, period, load_batch_id, *link) for link in sorted(self.links))


def _key_id(given: Any, key: str, which: str) -> str:
    if given is None:
        return key_fingerprint(key)
    if not isinstance(given, str) or not KEY_ID.match(given):
        raise PseudonymisationKeyInvalid(
            f"the key_id of {which} must be 1-64 letters, digits, '.', '_', ':' or '-' (e.g. \"2026-11\")")
    return given


def _accepted_previous(extra: dict, key: str, key_id: str, as_of: date, conn_id: str) -> list[tuple[str, str]]:
    """(key id, key) of each previous key whose window is open on ``as_of``; one past its window is left out,
    with a warning to remove it. A malformed entry is an error, never skipped: skipping would break linkage."""
    entries = extra.get("previous") or []
    if not isinstance(entries, list):
        raise PseudonymisationKeyInvalid(
            f"extra.previous of the connection {conn_id!r} must be a list of "
            '{"key_id": ..., "secret": ..., "until": "YYYY-MM-DD"}')
    accepted, ids = [], {key_id}
    for number, entry in enumerate(entries, start=1):
        which = f"previous key {number} of the connection {conn_id!r}"
        if not isinstance(entry, dict):
            raise PseudonymisationKeyInvalid(f"{which} is not an object with secret and until")
        unknown = sorted(set(entry) - PREVIOUS_FIELDS)
        if unknown:
            raise PseudonymisationKeyInvalid(f"{which} has unknown fields {unknown}: only key_id, secret and until")
        previous_key, until = entry.get("secret"), entry.get("until")
        if not isinstance(previous_key, str) or not previous_key:
            raise PseudonymisationKeyInvalid(f"{which} has no secret")
        if previous_key == key:
            raise PseudonymisationKeyInvalid(f"{which} is the current key")
        try:
            last_day = date.fromisoformat(until)
        except (TypeError, ValueError):
            raise PseudonymisationKeyInvalid(f"{which} needs until, the last day it is accepted (YYYY-MM-DD)") from None
        previous_id = _key_id(entry.get("key_id"), previous_key, which)
        if previous_id in ids:
            raise PseudonymisationKeyInvalid(f"{which} repeats the key id {previous_id!r}")
        ids.add(previous_id)
        if as_of > last_day:
            log.warning("pseudonymisation key %s was accepted until %s: on %s it is no longer used for linkage; "
                        "remove it from extra.previous of the connection %r", previous_id, last_day, as_of, conn_id)
            continue
        accepted.append((previous_id, previous_key))
    return accepted


def pseudonymiser(as_of: date, conn_id: str = PSEUDONYMISATION_CONN_ID) -> Pseudonymiser:
    """The pseudonymiser of the connection's key, linking from the previous keys accepted on ``as_of`` (the
    run's date, not the clock: a run done again links the same way)."""
    from safer_communities.connections import get_connection

    connection = get_connection(conn_id)
    extra = (connection.extra_dejson or {}) if connection is not None else {}
    key = (connection.password or extra.get("secret")) if connection is not None else None
    if not key:
        raise PseudonymisationKeyMissing(
            f"no pseudonymisation key: define the Airflow connection {conn_id!r} with the key as its password "
            f"(for example the environment variable AIRFLOW_CONN_{conn_id.upper()}="
            '\'{"conn_type": "generic", "password": "<secret>"}\'). Person references are never loaded unkeyed.'
        )
    key_id = _key_id(extra.get("key_id"), key, f"the key of the connection {conn_id!r}")
    return Pseudonymiser(key, key_id, _accepted_previous(extra, key, key_id, as_of, conn_id))


def load_links(connection: Connection, source: str, period: str, links: Path) -> None:
    """Replace the slice's links in staging (from the file written beside its validated rows) and carry them into
    ``core.pseudonym_link``, in the caller's transaction: the slice's own, so links and rows commit together."""
    from safer_communities.warehouse import replace_slice, run_sql_file

    replace_slice(connection, "staging.pseudonym_link", LINK_COLUMNS, links, source=source, period=period)
    run_sql_file(connection, SQL_DIR / "load" / "pseudonym_link.sql", {"source": source, "period": period})
