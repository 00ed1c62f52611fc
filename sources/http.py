"""The one HTTP seam for sources: GET with timeouts, a size cap, throttling and retries."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

import certifi
import httpx

from sources.base import SourceSettings, Validators
from sources.clock import Clock
from sources.errors import FetchError, PayloadError, ThrottledError
from sources.hosts import check_same_host
from sources.politeness import HostGate

log = logging.getLogger("tenderbot.sources")

THROTTLE_STATUSES = frozenset({403, 429})


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """A completed response whose body is within the size cap."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes


def retry_after_seconds(value: str | None, clock: Clock) -> float | None:
    """Read a `Retry-After` header: delta-seconds or an HTTP date; None when absent or bad."""
    return retry_after_at(value, clock.now())


def retry_after_at(value: str | None, now: datetime) -> float | None:
    """Seconds from `now` that a `Retry-After` header asks to wait; None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc or type(exc).__name__})"
    return f"{type(exc).__name__}: {exc or 'connection failed'}"


class HttpFetcher:
    """Fetches URLs for one source with its timeout, size cap and retry policy.

    Throttling (HTTP 403 or 429) is never retried here: it raises `ThrottledError` so the
    pass ends and the caller waits. Server errors, timeouts and dropped connections are
    retried with capped exponential backoff and jitter; each failed attempt is logged as
    one line.
    """

    def __init__(
        self,
        settings: SourceSettings,
        client: httpx.AsyncClient,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        gate: HostGate | None = None,
        validators: MutableMapping[str, Validators] | None = None,
    ) -> None:
        """Prepare fetching for one source.

        Args:
            settings: the source's settings (timeouts, retries, size cap, politeness).
            client: the shared HTTP client.
            clock: time, for backoff and politeness waits.
            rng: randomness for jitter.
            gate: per-host politeness shared across sources (default: this fetcher's own).
            validators: ETag / Last-Modified per URL from earlier passes; updated in place.
        """
        self._settings = settings
        self._client = client
        self._clock = clock
        self._rng = rng or random.Random()
        self._gate = gate or HostGate(clock)
        self.validators: MutableMapping[str, Validators] = {} if validators is None else validators

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based).

        The step doubles up to `backoff_cap`; jitter takes up to a quarter off it, so no wait
        is ever longer than the cap.
        """
        doublings = min(attempt - 1, 64)  # past the cap anyway; 2.0 ** 1024 overflows
        step: float = min(self._settings.backoff_cap, self._settings.backoff * 2.0**doublings)
        return step * (1 - self._rng.uniform(0, 0.25))

    async def get(
        self, url: str, *, params: dict[str, str] | None = None, conditional: bool = False
    ) -> Response:
        """GET `url`, retrying transient failures.

        With `conditional`, the request carries the ETag / Last-Modified seen last time and a
        304 Not Modified comes back as a `Response` with status 304 and no body.

        Raises:
            ThrottledError: the server answered 403 or 429.
            FetchError: a network error or HTTP error persisted after every retry.
            PayloadError: the body is larger than the configured cap.
        """
        name = self._settings.name
        attempts = self._settings.retries + 1
        for attempt in range(1, attempts + 1):
            request = self._client.build_request("GET", url, params=params)
            key = str(request.url)
            known = self.validators.get(key) if conditional else None
            if known is not None:
                if known.etag:
                    request.headers["If-None-Match"] = known.etag
                if known.last_modified:
                    request.headers["If-Modified-Since"] = known.last_modified
            where = f"GET {request.url}"
            try:
                async with self._gate.slot(request.url.netloc.decode(), self._settings.min_gap):
                    # One deadline for connect, every read and every redirect together: a
                    # server dripping a byte at a time cannot hold a pass past `timeout`.
                    async with asyncio.timeout(self._settings.timeout):
                        response = await self._send(request, where)
            except TimeoutError:
                problem = f"no complete answer within {self._settings.timeout:g}s"
            except httpx.HTTPError as exc:
                problem = _describe(exc)
            else:
                if response.status == 304 and known is not None:
                    return response
                if conditional and response.status < 300:
                    etag = response.headers.get("ETag")
                    modified = response.headers.get("Last-Modified")
                    if etag or modified:
                        self.validators[key] = Validators(etag=etag, last_modified=modified)
                if response.status in THROTTLE_STATUSES:
                    wait = retry_after_seconds(response.headers.get("Retry-After"), self._clock)
                    wait = self._settings.throttle_wait if wait is None else wait
                    raise ThrottledError(
                        name,
                        where,
                        f"throttled (HTTP {response.status}); waiting {wait:.0f}s before next try",
                        retry_after=wait,
                    )
                if response.status < 400:
                    return response
                problem = f"HTTP {response.status}"
                if response.status < 500:
                    raise FetchError(name, where, problem)
            if attempt == attempts:
                raise FetchError(name, where, f"{problem} (gave up after {attempts} attempts)")
            delay = self.backoff_delay(attempt)
            # The host's politeness gap may hold the retry longer than the backoff: say the
            # wait it will really be.
            gap = self._gate.remaining(request.url.netloc.decode(), self._settings.min_gap)
            log.warning(
                "%s: %s: %s; retry %d of %d in %.0fs%s",
                name,
                where,
                problem,
                attempt,
                attempts - 1,
                max(delay, gap),
                " (the gap between requests to this publisher)" if gap > delay else "",
            )
            await self._clock.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: httpx.Request, where: str) -> Response:
        cap = self._settings.max_bytes
        response = await self._client.send(request, stream=True)
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise PayloadError(
                    self._settings.name, where, f"response of {declared} bytes exceeds {cap}"
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise PayloadError(
                        self._settings.name, where, f"response exceeds the {cap}-byte cap"
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        return Response(
            url=str(request.url),
            status=response.status_code,
            headers=response.headers,
            body=b"".join(chunks),
        )


def make_client(settings: SourceSettings) -> httpx.AsyncClient:
    """An HTTP client for `settings`: timeout, User-Agent, redirects kept on the source's host.

    Raises (from requests it sends):
        PayloadError: a redirect leads to another host.
    """

    async def stay_on_host(request: httpx.Request) -> None:
        check_same_host(settings.name, str(request.url), settings.url)

    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout),
        headers={"User-Agent": settings.user_agent},
        follow_redirects=True,
        event_hooks={"request": [stay_on_host]},
        verify=trust_for(settings),
    )


def trust_for(settings: SourceSettings) -> ssl.SSLContext | bool:
    """Certificates trusted for a source: certifi's, plus the source's own `ca_bundle`."""
    if settings.ca_bundle is None:
        return True
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=settings.ca_bundle)
    return context
