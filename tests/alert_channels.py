"""The alert channels' other ends, on loopback: a real SMTP server (aiosmtpd) keeping what it is sent, and an HTTP
endpoint keeping each webhook POST. The fixtures that start them are in conftest.py."""

from __future__ import annotations

import email
import json
import socket

from tests.http_server import LoopbackServer, _Handler

BASE_URL = "http://airflow.example.test:8080"  # the Airflow UI address alert links are built from in the tests
RECIPIENTS = ["analyst@example.test", "duty-lead@example.test"]
SENDER = "airflow@example.test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _WebhookHandler(_Handler):
    def do_POST(self) -> None:  # noqa: N802
        self.server.owner.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.server.owner._answer(self)


class WebhookServer(LoopbackServer):
    """The transport tests' loopback server, also answering POST and keeping each request's body."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []
        self._server.RequestHandlerClass = _WebhookHandler

    def posted(self) -> list[dict]:
        return [json.loads(body) for body in self.bodies]


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[tuple[list[str], str, str]]:
        """(recipients, subject, body text) of each message received."""
        found = []
        for envelope in self.envelopes:
            message = email.message_from_bytes(envelope.content)
            part = next(p for p in message.walk() if p.get_content_type() == "text/html")
            found.append((envelope.rcpt_tos, message["Subject"], part.get_payload(decode=True).decode()))
        return found


def smtp_connection(port: int) -> str:
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": {
        "from_email": SENDER, "to": RECIPIENTS, "disable_ssl": True, "disable_tls": True,
        "timeout": 5, "retry_limit": 0}})
