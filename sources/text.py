"""Turn publisher text (entities, stray markup, mojibake, ragged whitespace) into plain text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_BLOCK_TAGS = frozenset({"br", "p", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5"})
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")
_PLAIN = re.compile(r"[\x20-\x25\x27-\x3b\x3d\x3f-\x7e\t\n]*")
"""Printable ASCII without ``&``, ``<`` or ``>``: nothing for `clean_text` to decode or strip."""
_MANY_NEWLINES = re.compile(r"\n{3,}")
# C0/C1 controls (but tab and newline), bidirectional overrides and isolates, and lone
# surrogates: invisible in chat, they can reorder what a reader sees or break encoders.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, with line breaks at block boundaries."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _strip_markup(text: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(text)
    extractor.close()
    return "".join(extractor.parts)


def _repair_run(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        return run.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return run


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Windows-1252 (``â€™`` back to ``’``).

    Only runs of non-ASCII characters that decode cleanly are changed, so genuine accented
    text such as ``café`` is left alone.
    """
    return _NON_ASCII_RUN.sub(_repair_run, text)


def strip_unsafe(text: str) -> str:
    """`text` without control characters (tab and newline kept), bidi controls or surrogates."""
    return _UNSAFE.sub("", text)


def clean_text(text: str | None, *, multiline: bool = False) -> str:
    """Return publisher text as clean plain text.

    HTML entities are decoded (also double-encoded ones such as ``&amp;apos;``), markup is
    dropped, mojibake is repaired, and whitespace is normalised: one line for titles, or
    paragraphs separated by one blank line when `multiline` is true.

    Args:
        text: the raw text; None gives "".
        multiline: keep line breaks (for descriptions) instead of folding to one line.
    """
    if not text:
        return ""
    plain = _PLAIN.fullmatch(text) is not None  # ASCII, no markup, entities or controls
    if plain and not multiline:
        return " ".join(text.split())
    if not plain and _TAG.search(text):
        text = _strip_markup(text)
    if not plain:
        for _ in range(3):
            decoded = html.unescape(text)
            if decoded == text:
                break
            text = decoded
        if not text.isascii():  # mojibake is made of non-ASCII runs
            text = repair_mojibake(text)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = strip_unsafe(text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u200b", "")
    if not multiline:
        return " ".join(text.split())
    # str.split() splits on exactly the whitespace `\s` matches: a line's runs become one space.
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
