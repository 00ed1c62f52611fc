"""SMTP for email channels: one connection per delivery, STARTTLS or SMTPS, login or XOAUTH2.

Also the checks that keep header values and addresses safe, and how SMTP answers map to a
`SendError` (see `bot.delivery.notifiers.email` for what is retried).
"""

from __future__ import annotations

import asyncio
import base64
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING

import aiosmtplib

from bot.delivery.notifiers import SendError

if TYPE_CHECKING:
    from bot.delivery.notifiers.email import EmailSettings

TOKEN_COMMAND_SECONDS = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Login:
    """The SMTP login read from the environment (either may be None: a relay needs none)."""

    username: str | None = None
    password: str | None = None


class HeaderInjection(ValueError):
    """A header value holds a CR or LF (raised before anything is sent)."""


def header(value: str) -> str:
    """`value` if it is safe in a header.

    Raises:
        HeaderInjection: it holds a CR or LF.
    """
    if "\r" in value or "\n" in value:
        raise HeaderInjection(f"a header value holds a line break: {value[:60]!r}")
    return value


def mail_address(text: str) -> str:
    """The address in `text` (``Name <a@b>`` or ``a@b``).

    Raises:
        ValueError: it is not one plain address.
    """
    header(text)
    _, address = parseaddr(text)
    plain = address in text  # parseaddr would quietly join "a @b" into "a@b"
    if not plain or address.count("@") != 1 or any(c.isspace() for c in address):
        raise ValueError(f"{text!r} is not an email address")
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        raise ValueError(f"{text!r} is not an email address") from None
    return address


def classify(exc: Exception) -> SendError:
    """An aiosmtplib or network failure as a `SendError`."""
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SendError(
            f"email: the server rejected the credentials ({exc.code} {exc.message})",
            retryable=False,
            channel_gone=True,
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return SendError(f"email: {exc}", retryable=False, channel_gone=True)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        if codes and all(400 <= c < 500 for c in codes):
            return SendError(f"email: recipient deferred ({codes[0]})", retryable=True)
        return SendError(
            f"email: recipient refused ({codes[0] if codes else '?'})", retryable=False
        )
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPTimeoutError):
        return SendError(f"email: {type(exc).__name__}: {exc}", retryable=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        what = f"{exc.code} {exc.message}".strip()
        if 400 <= exc.code < 500:
            return SendError(f"email: server deferred ({what})", retryable=True)
        return SendError(f"email: server refused ({what})", retryable=False)
    return SendError(f"email: {type(exc).__name__}: {exc}", retryable=True)


async def run_token_command(command: str) -> str:
    """The OAuth2 access token the configured command prints (first line of its output).

    Raises:
        SendError: the command fails, times out or prints nothing (the channel pauses).
    """
    try:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(command),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), TOKEN_COMMAND_SECONDS)
    except (OSError, ValueError, TimeoutError) as exc:
        raise SendError(
            f"email: oauth_token_command failed: {type(exc).__name__}", retryable=False
        ) from exc
    token = out.decode(errors="replace").strip().splitlines()[0] if out.strip() else ""
    if process.returncode != 0 or not token:
        reason = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise SendError(
            f"email: oauth_token_command exited {process.returncode}: {reason[0][:200]}",
            retryable=False,
            channel_gone=True,
        )
    return token


def _client(settings: EmailSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.tls,
        # Required STARTTLS is asked for by hand below, so that a server without it
        # pauses the channel with a clear reason instead of being retried forever.
        start_tls=False if settings.starttls else None,
        timeout=settings.timeout,
    )


async def _connect(smtp: aiosmtplib.SMTP, settings: EmailSettings, login: Login) -> None:
    await smtp.connect()
    if settings.starttls:
        if not smtp.supports_extension("starttls"):
            raise SendError(
                f"email: {settings.host} does not offer STARTTLS, which starttls = true requires",
                retryable=False,
                channel_gone=True,
            )
        await smtp.starttls()
    if settings.oauth_token_command:
        token = await run_token_command(settings.oauth_token_command)
        await _xoauth2(smtp, login.username or mail_address(settings.sender), token)
    elif login.username and login.password:
        await smtp.login(login.username, login.password)


async def _xoauth2(smtp: aiosmtplib.SMTP, user: str, token: str) -> None:
    """Authenticate with XOAUTH2 (Microsoft 365, Gmail): a bearer token, no password."""
    raw = f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
    response = await smtp.execute_command(b"AUTH", b"XOAUTH2", base64.b64encode(raw))
    if response.code == 334:  # the server's error details; an empty line ends the exchange
        response = await smtp.execute_command(b"")
    if response.code != 235:
        raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)


async def send_all(
    settings: EmailSettings,
    login: Login,
    messages: list[tuple[str, EmailMessage]],
    accepted: Callable[[str], None],
) -> None:
    """Send each (address, message) over one connection; `accepted(address)` after each 250.

    Raises:
        SendError: classified as in `classify`; messages accepted before it stay accepted.
    """
    smtp = _client(settings)
    try:
        await _connect(smtp, settings, login)
        for address, message in messages:
            await smtp.send_message(
                message, sender=mail_address(settings.sender), recipients=[address]
            )
            accepted(address)
    except SendError:
        raise
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise classify(exc) from exc
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                smtp.close()
        else:
            smtp.close()
