"""A webhook receiver on 127.0.0.1 port 0 that checks Standard Webhooks signatures itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time

from tests.fakes.http_base import FakeServer

SECRET = "whsec_" + base64.b64encode(b"a very secret key for tests!").decode()


class Receiver:
    """A webhook endpoint: verifies each request as the specification says, then answers.

    The check is written from the Standard Webhooks specification, not with tenderbot's code:
    the key is the base64 after ``whsec_``; the signed content is ``id.timestamp.body``; the
    header holds space-separated ``v1,<base64 HMAC-SHA256>`` values.
    """

    def __init__(self) -> None:
        self.replies: list[tuple[int, dict[str, str]] | float] = []
        self.received: list[dict[str, object]] = []
        self.attempts: list[str] = []
        self.lock = threading.Lock()
        self.server = FakeServer(self._handle)

    def _handle(self, method, path, headers, body):
        lower = {k.lower(): v for k, v in headers.items()}
        key = base64.b64decode(SECRET.split("_", 1)[1])
        content = f"{lower['webhook-id']}.{lower['webhook-timestamp']}.".encode() + body
        wanted = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        offered = [s.split(",", 1)[1] for s in lower["webhook-signature"].split() if "," in s]
        with self.lock:
            self.attempts.append(lower["webhook-id"])
            reply = self.replies.pop(0) if self.replies else (204, {})
        if not any(hmac.compare_digest(o, wanted) for o in offered):
            return 401, {}, b"bad signature"
        if isinstance(reply, float):
            time.sleep(reply)
            reply = (204, {})
        status, extra = reply
        if 200 <= status < 300:
            with self.lock:
                self.received.append(
                    {
                        "id": lower["webhook-id"],
                        "at": lower["webhook-timestamp"],
                        **json.loads(body),
                    }
                )
        return status, extra, b""

    @property
    def url(self) -> str:
        return self.server.url + "/hook"
