"""A local imitation of Slack's Socket Mode endpoint: a websocket on 127.0.0.1.

`send(type, payload)` delivers an envelope to the connected app (or on its next connection);
acknowledgements are recorded in `acks`, and an envelope never acknowledged is sent again
when the app reconnects, as Slack does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from typing import Any

from aiohttp import WSMsgType, web


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self._unacked: dict[str, dict[str, Any]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        with self._lock:
            self.connections += 1
            self._sockets.append(socket)
            pending = list(self._unacked.values())
        await socket.send_json({"type": "hello", "num_connections": 1})
        for envelope in pending:
            await socket.send_json(envelope)
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                with self._lock:
                    self.acks.append(data)
                    self._unacked.pop(str(data.get("envelope_id")), None)
        with self._lock:
            self._sockets.remove(socket)
        return socket

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
        }
        with self._lock:
            self._unacked[envelope_id] = envelope
            sockets = list(self._sockets)
        for socket in sockets:
            asyncio.run_coroutine_threadsafe(socket.send_json(envelope), self._loop).result(5)
        return envelope_id

    def ack(self, envelope_id: str) -> dict[str, Any] | None:
        with self._lock:
            return next((a for a in self.acks if a.get("envelope_id") == envelope_id), None)

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            for socket in list(self._sockets):
                await socket.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
