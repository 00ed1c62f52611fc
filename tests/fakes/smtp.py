"""A real SMTP server (aiosmtpd) on 127.0.0.1 port 0 that keeps what it receives.

`login` (user, password) turns on AUTH PLAIN/LOGIN; `oauth` (user, token) AUTH XOAUTH2.

`faults` queues misbehaviours for the next messages: ``("rcpt", "421 ...")`` or
``("data", "550 ...")`` answers that instead; ``("drop", None)`` reads the whole message,
keeps it in `dropped`, then hangs up without answering (the case SMTP cannot settle).
"""

from __future__ import annotations

import base64
import logging
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd logs every connection at INFO from its own thread, after a test's capture ends.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _Handler:
    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    def _fault(self, stage: str) -> str | None:
        with self.fake.lock:
            if self.fake.faults and self.fake.faults[0][0] == stage:
                return self.fake.faults.pop(0)[1] or ""
        return None

    async def auth_XOAUTH2(self, server, args):
        if self.fake.oauth is None or len(args) < 2:
            return AuthResult(success=False, handled=False)
        raw = base64.b64decode(args[1]).decode()
        fields = dict(part.split("=", 1) for part in raw.split("\x01") if part)
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        self.fake.logins.append(user)
        return AuthResult(success=(user, token) == self.fake.oauth, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self._fault("rcpt")
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        if self._fault("drop") is not None:
            with self.fake.lock:
                self.fake.dropped.append(message)
            server.transport.close()
            return "250 never heard"
        answer = self._fault("data")
        if answer:
            return answer
        with self.fake.lock:
            self.fake.messages.append(message)
            self.fake.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class FakeSmtp:
    """Use as a context manager; `port` is the bound port."""

    def __init__(
        self, *, login: tuple[str, str] | None = None, oauth: tuple[str, str] | None = None
    ) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        self.dropped: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.faults: list[tuple[str, Any]] = []
        self.logins: list[str] = []
        self.oauth = oauth
        kwargs: dict[str, Any] = {}
        if login is not None or oauth is not None:
            check = self._authenticate(login or ("", "\x00"))
            kwargs = {"authenticator": check, "auth_require_tls": False}
        self._controller = _Controller(_Handler(self), hostname="127.0.0.1", port=0, **kwargs)

    def _authenticate(self, login: tuple[str, str]):
        def check(server, session, envelope, mechanism, auth_data):
            if not isinstance(auth_data, LoginPassword):
                return AuthResult(success=False, handled=False)
            user, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append(user)
            return AuthResult(success=(user, password) == login, handled=False)

        return check

    def fail(self, *faults: tuple[str, Any]) -> None:
        with self.lock:
            self.faults.extend(faults)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def __enter__(self) -> FakeSmtp:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
