"""The daemon's optional HTTP listener (`[bot] http`): /healthz and /metrics.

- ``/healthz``: 200 ``ok`` while the scheduler runs, delivery is alive and the database
  takes writes; otherwise 503 with the reasons, one a line.
- ``/metrics``: Prometheus text format (see `bot.metrics`).
- ``/report``: the cold-spots report the daemon last wrote (`[report] out`), 404 when no
  `[report]` is configured, 503 until the first one is written.
- pages channel kinds serve, such as ``/email/unsubscribe`` (see their modules).

It listens on the configured address only (127.0.0.1 by default in the examples): put a
reverse proxy in front of it to publish it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.metrics import CONTENT_TYPE, Metrics

if TYPE_CHECKING:
    from bot.delivery.notifiers.registry import Route

log = logging.getLogger("tenderbot.http")

HealthCheck = Callable[[], list[str]]
"""Returns the reasons the daemon is unhealthy (none when healthy)."""


REPORT_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def make_web_app(
    metrics: Metrics,
    health: HealthCheck,
    report: tuple[Path, str] | None = None,
    routes: Sequence[Route] = (),
) -> web.Application:
    """The aiohttp application serving the routes; `report` is the report's file and format.

    `routes` are the pages channel kinds serve (an email's one-click unsubscribe).
    """

    async def healthz(request: web.Request) -> web.Response:
        reasons = health()
        if reasons:
            return web.Response(status=503, text="unhealthy\n" + "\n".join(reasons) + "\n")
        return web.Response(text="ok\n")

    async def metrics_page(request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    async def report_page(request: web.Request) -> web.Response:
        if report is None:
            return web.Response(status=404, text="no [report] is configured\n")
        path, fmt = report
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            return web.Response(status=503, text="the report has not been made yet\n")
        return web.Response(body=body, headers={"Content-Type": REPORT_TYPES[fmt]})

    application = web.Application()
    application.router.add_get("/report", report_page)
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/metrics", metrics_page)
    for method, path, handler in routes:
        application.router.add_route(method, path, handler)
    return application


class Listener:
    """Runs the web application on one address inside the daemon's event loop."""

    def __init__(self, application: web.Application, host: str, port: int) -> None:
        self._runner = web.AppRunner(application, access_log=None)
        self._host = host
        self._port = port
        self.port: int | None = None

    async def start(self) -> None:
        """Bind and serve; `port` holds the bound port (useful with port 0).

        Raises:
            OSError: the address cannot be bound.
        """
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._port
        log.info(
            "HTTP listener on http://%s:%s (/healthz, /metrics, /report)", self._host, self.port
        )

    async def stop(self) -> None:
        """Stop serving."""
        await self._runner.cleanup()
