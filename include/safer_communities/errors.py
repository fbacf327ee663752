"""Errors that retrying cannot fix, and the one sentence that says what to do about each.

A bad period, a missing pseudonymisation key, a broken source registry or indicator catalogue, and a
warehouse nobody has migrated fail the same way on every try: a task fails at once (Airflow's
``AirflowFailException``: no retry) and the command line prints one line, not a traceback. Each such error is a
:class:`Lasting` (its module's own class derives from it) and says what to do in :attr:`Lasting.advice`; this
module imports no other of the package, so any module may import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

MIGRATE = "run `safer-communities migrate` first (the compose file's airflow-init does)"


class Lasting(Exception):
    """An error every try would meet again. ``advice``: the sentence that says what to do (by default the error's
    own text, which then names the fix)."""

    @property
    def advice(self) -> str:
        return str(self)


class CorrectTheFile(Lasting):
    """A configuration file of the project that breaks its schema."""

    @property
    def advice(self) -> str:
        return f"{self}: correct the file and trigger the run again"


class WarehouseNotMigrated(Lasting, RuntimeError):
    """The warehouse has no schema yet."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"the warehouse has no {missing} yet: {MIGRATE}")


def lasting(error: BaseException) -> str | None:
    """What to do about an error that would fail again on a retry, or None for one that might pass."""
    return error.advice if isinstance(error, Lasting) else None


@contextmanager
def fail_fast() -> Iterator[None]:
    """Inside a task: an error no retry can fix fails the task at once, with what to do."""
    try:
        yield
    except Exception as error:
        advice = lasting(error)
        if advice is None:
            raise
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(advice) from error


def one_line(command: str, error: BaseException) -> str:
    """The command line's message for an error: what to do, or, for anything unforeseen, its type and text with
    the traceback written to a log file whose path it gives."""
    import traceback
    from datetime import UTC, datetime

    from safer_communities.settings import home

    advice = lasting(error)
    if advice is not None:
        return f"safer-communities {command}: {advice}"
    folder = home() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"cli-{datetime.now(UTC):%Y%m%dT%H%M%S}-{command}.log"
    log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    first = (str(error).splitlines() or [""])[0][:300]
    return f"safer-communities {command} failed: {type(error).__name__}: {first} (traceback in {log})"
