"""Which addresses a source may request: only its own configured host."""

from __future__ import annotations

from urllib.parse import urlsplit

from sources.errors import PayloadError


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower() or None, port


def check_same_host(source: str, url: str, base: str) -> None:
    """Refuse `url` unless it has the scheme, host and port of the source's `base` URL.

    A publisher's response (a next-page link, a redirect) must never make tenderbot request
    another address, an internal one least of all.

    Raises:
        PayloadError: `url` points somewhere else.
    """
    if _origin(url) != _origin(base):
        raise PayloadError(
            source, f"GET {url[:200]}", f"refused: the link leaves {urlsplit(base).netloc}"
        )
