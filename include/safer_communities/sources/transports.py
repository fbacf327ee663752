"""How files travel: a local drop folder, or HTTP.

A transport answers two questions for a month: is it published yet, and give
me the file (written to a path we choose). A missing file is
:class:`NotDelivered` (a status, not a failure); a broken transfer is
:class:`TransferError` (the task fails and Airflow retries it).
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit, urlunsplit

from safer_communities.settings import drop_dir

if TYPE_CHECKING:
    import requests

    from safer_communities.periods import Period
    from safer_communities.sources.registry import HttpTransport, Source

log = logging.getLogger(__name__)


class NotDelivered(Exception):
    """The file for a month is not there (yet): the period is awaited or late."""


class TransferError(Exception):
    """The file is there but could not be fetched whole: timeout, server error, truncated body."""


@dataclass(frozen=True)
class Fetched:
    origin: str
    original_name: str
    notices: tuple[str, ...] = ()  # e.g. other files delivered for the same period, not taken


class Transport(Protocol):
    def check_published(self, period: Period) -> None:
        """Raise :class:`NotDelivered` if the period is known not to be published yet."""

    def fetch(self, period: Period, destination: Path) -> Fetched:
        """Write the period's file to ``destination``."""


class LocalDrop:
    """A folder partners drop files into (a mounted share)."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def _paths(self, period: Period) -> list[Path]:
        """The period's files that are there (one place per accepted format), the most recently delivered first."""
        folder = drop_dir()
        candidates = [Path(p) for p in self.source.locations_for(period, drop_dir=folder)]
        found = [path for path in candidates if path.is_file()]
        if not found:  # named within the drop folder: the reason reaches the board report
            raise NotDelivered(f"no file at {' or '.join(_named(path) for path in candidates)} in the drop folder")
        return sorted(found, key=lambda path: path.stat().st_mtime_ns, reverse=True)

    def check_published(self, period: Period) -> None:
        self._paths(period)

    def fetch(self, period: Period, destination: Path) -> Fetched:
        """Copy the newest delivery; a warning names every other file delivered for the period."""
        newest, *others = self._paths(period)
        shutil.copyfile(newest, destination)
        notices = ()
        if others:
            notices = (f"{len(others) + 1} files delivered for {period}: took {_named(newest)} "
                       f"(delivered {_delivered(newest)}), the newest; not "
                       + ", ".join(f"{_named(path)} (delivered {_delivered(path)})" for path in others) + ".",)
            log.warning("%s %s: %s", self.source.name, period, notices[0])
        return Fetched(origin=str(newest), original_name=newest.name, notices=notices)


def _named(path: Path) -> str:
    """A drop-folder file as its partner knows it: relative to the drop folder."""
    folder = drop_dir()
    return str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path)


def _delivered(path: Path) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class HttpSourceHook:
    """An HTTP file source; base URL and credentials come only from the Airflow connection.

    Connection: host (and schema/port), optional login/password (basic auth),
    extra ``{"headers": {...}, "verify": true}``. Requests time out and are
    retried with exponential backoff on 429 and 5xx (honouring Retry-After).
    """

    def __init__(self, conn_id: str, *, timeout: float = 30.0, retries: int = 4, backoff: float = 1.0,
                 deadline: float = 1800.0) -> None:
        self.conn_id = conn_id
        self.timeout = timeout
        self.deadline = deadline  # seconds for a whole download, however the bytes trickle
        self.retries = retries
        self.backoff = backoff
        self._session: requests.Session | None = None
        self._base_url: str | None = None

    def _connect(self) -> tuple[requests.Session, str]:
        if self._session is None:
            import requests
            from requests.adapters import HTTPAdapter
            from urllib3.util.retry import Retry

            from safer_communities.connections import get_connection

            connection = get_connection(self.conn_id)
            if connection is None or not connection.host:
                raise TransferError(f"HTTP connection {self.conn_id!r} is not defined (or has no host)")
            host = connection.host
            parts = urlsplit(host if "://" in host else f"{connection.schema or 'https'}://{host}")
            if connection.port and parts.port is None:
                parts = parts._replace(netloc=f"{parts.netloc}:{connection.port}")
            self._base_url = urlunsplit(parts).rstrip("/") + "/"
            retry = Retry(
                total=self.retries,
                connect=self.retries,
                read=self.retries,
                status=self.retries,
                backoff_factor=self.backoff,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=("GET", "HEAD"),
                respect_retry_after_header=True,
                retry_after_max=int(max(self.timeout, self.backoff * 2**self.retries, 60)),
                raise_on_status=False,
            )
            session = requests.Session()
            session.mount("http://", HTTPAdapter(max_retries=retry))
            session.mount("https://", HTTPAdapter(max_retries=retry))
            extra = connection.extra_dejson or {}
            session.headers.update(extra.get("headers", {}))
            session.verify = extra.get("verify", True)
            if connection.login:
                session.auth = (connection.login, connection.password or "")
            self._session = session
        return self._session, self._base_url

    def url(self, path: str) -> str:
        _, base = self._connect()
        return base + path.lstrip("/")

    def get(self, path: str, *, stream: bool = False, missing_means_not_delivered: bool = True) -> requests.Response:
        """GET with retries. A 404 is :class:`NotDelivered` for a file, but a :class:`TransferError`
        for an endpoint that must exist (``missing_means_not_delivered=False``)."""
        import requests

        session, _ = self._connect()
        url = self.url(path)
        try:
            response = session.get(url, timeout=self.timeout, stream=stream)
        except requests.RequestException as error:
            raise TransferError(f"GET {url} failed after {self.retries} retries: {error}") from error
        if response.status_code == 404 and missing_means_not_delivered:
            response.close()
            raise NotDelivered(f"GET {url} answered 404 Not Found")
        if response.status_code >= 400:
            response.close()
            raise TransferError(f"GET {url} answered {response.status_code} {response.reason} after retries")
        return response

    def download(self, path: str, destination: Path) -> str:
        """Stream a file to ``destination``, whole or not at all: a body shorter than its Content-Length, a text
        body without a Content-Length that ends mid-line (the connection closed early), or a download that
        outlasts ``deadline`` seconds in all (a server trickling bytes never trips the per-read timeout) is
        a :class:`TransferError`, and nothing is kept."""
        import requests
        from urllib3.exceptions import HTTPError

        response = self.get(path, stream=True)
        url = response.url
        received, last = 0, b""
        give_up = time.monotonic() + self.deadline
        try:
            with Path(destination).open("wb") as handle:
                while chunk := response.raw.read1(1 << 20, decode_content=True):  # as soon as bytes arrive
                    handle.write(chunk)
                    received, last = received + len(chunk), chunk[-1:]
                    if time.monotonic() > give_up:
                        raise TransferError(f"GET {url}: not finished after {self.deadline:g} s in all "
                                            f"({received} bytes so far)")
        except (requests.RequestException, HTTPError, OSError) as error:
            Path(destination).unlink(missing_ok=True)
            raise TransferError(f"GET {url}: transfer broke off after {received} bytes: {error}") from error
        except TransferError:
            Path(destination).unlink(missing_ok=True)
            raise
        finally:
            response.close()
        expected = response.headers.get("Content-Length")
        if expected is not None and int(expected) != received and "Content-Encoding" not in response.headers:
            Path(destination).unlink(missing_ok=True)
            raise TransferError(f"GET {url}: truncated body, {received} of {expected} bytes")
        if expected is None and path.endswith(".csv") and received and last != b"\n":
            Path(destination).unlink(missing_ok=True)
            raise TransferError(f"GET {url}: no Content-Length and the body ends mid-line after {received} bytes: "
                                "the connection closed before the end of the file")
        return url


class HttpFiles:
    """Monthly files over HTTP, optionally checked against the police API's list of published months."""

    def __init__(self, source: Source) -> None:
        self.source = source
        transport: HttpTransport = source.transport
        self.hook = HttpSourceHook(
            transport.conn_id,
            timeout=transport.timeout_seconds,
            retries=transport.retries,
            backoff=transport.backoff_seconds,
            deadline=transport.deadline_seconds,
        )


    def check_published(self, period: Period) -> None:
        if self.source.transport.publication_check != "police_api":
            return
        api = {"missing_means_not_delivered": False}
        published = {entry["date"] for entry in self.hook.get("crimes-street-dates", **api).json()}
        if str(period) not in published:
            latest = self.hook.get("crime-last-updated", **api).json().get("date", "unknown")
            raise NotDelivered(
                f"{period} is not yet published by the police API (crimes-street-dates; last updated {latest})"
            )

    def fetch(self, period: Period, destination: Path) -> Fetched:
        """Try each accepted format's path in turn; the period is not delivered if every one is 404."""
        missing = []
        for path in self.source.locations_for(period, drop_dir=""):
            try:
                url = self.hook.download(path, destination)
            except NotDelivered as why:
                missing.append(str(why))
                continue
            return Fetched(origin=url, original_name=Path(path).name)
        raise NotDelivered("; ".join(missing))


def transport_for(source: Source) -> Transport:
    return LocalDrop(source) if source.transport.kind == "local" else HttpFiles(source)
