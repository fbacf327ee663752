"""Pseudonymisation at ingestion: person references become keyed hashes before anything is kept.

Offender, victim and respondent references are replaced by HMAC-SHA256 under a
secret key, so the same person gets the same pseudonym in every extract and
quarter (MARAC repeats can be found) while the raw reference never reaches the
warehouse, the logs or XCom. The key lives only in the Airflow connection
``safer_communities_pseudonymisation`` (its password, or ``extra.key``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

PSEUDONYMISATION_CONN_ID = "safer_communities_pseudonymisation"


class PseudonymisationKeyMissing(RuntimeError):
    """No key: the run stops rather than write raw or unkeyed references."""


def normalise_ref(ref: str) -> str:
    """References compare ignoring surrounding space and case (' ab12 ' is 'AB12')."""
    return ref.strip().upper()


def pseudonymiser(conn_id: str = PSEUDONYMISATION_CONN_ID) -> Callable[[str], str]:
    """A function from a raw reference to its pseudonym (64 hex characters)."""
    from safer_communities.connections import get_connection

    connection = get_connection(conn_id)
    key = None
    if connection is not None:
        key = connection.password or (connection.extra_dejson or {}).get("key")
    if not key:
        raise PseudonymisationKeyMissing(
            f"no pseudonymisation key: define the Airflow connection {conn_id!r} with the key as its password "
            f"(for example the environment variable AIRFLOW_CONN_{conn_id.upper()}="
            '\'{"conn_type": "generic", "password": "<secret>"}\'). Person references are never loaded unkeyed.'
        )
    secret = key.encode("utf-8")

    def pseudonym(ref: str) -> str:
        return hmac.new(secret, normalise_ref(str(ref)).encode("utf-8"), hashlib.sha256).hexdigest()

    return pseudonym
