"""Email bodies: plain text and HTML for alerts and digests, from autoescaping templates.

Feed text reaches the HTML only through Jinja2 with autoescape on, so ``<script>`` in a title
shows as text; the stylesheet is then inlined into ``style`` attributes with css-inline,
because many mail clients drop ``<style>`` blocks. The plain-text part carries the same
facts and links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import css_inline
import jinja2

from bot.delivery.alerts import Alert, Digest, doubt
from bot.delivery.notifiers.content import (
    AlertContent,
    content_of,
    cut,
    digest_line,
    radar_reference,
    safe_url,
)
from sources.text import strip_unsafe

DESCRIPTION_LIMIT = 2000
SUBJECT_LIMIT = 150

STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #1b1b1b; font-size: 15px; }
h1 { font-size: 20px; margin: 4px 0 12px 0; }
h2 { font-size: 16px; margin: 16px 0 4px 0; }
.label { color: #505a5f; font-size: 13px; text-transform: uppercase; letter-spacing: 1px; }
.facts td { padding: 2px 12px 2px 0; vertical-align: top; }
.why { color: #505a5f; font-size: 13px; }
.button { display: inline-block; background: #1d70b8; color: #ffffff; padding: 8px 14px;
  text-decoration: none; border-radius: 4px; margin: 0 8px 8px 0; }
.footer { color: #6f777b; font-size: 12px; margin-top: 28px; border-top: 1px solid #b1b4b6;
  padding-top: 8px; }
"""

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>{{ style }}</style></head><body>
{% block body %}{% endblock %}
<div class="footer">
{%- if links %}{% for label, url in links %}<a href="{{ url }}">{{ label }}</a>
{%- if not loop.last %} · {% endif %}{% endfor %}<br>{% endif %}
Sent by tenderbot{% if reason %} because {{ reason }}{% endif %}.
</div></body></html>"""

_ALERT = """{% extends "page" %}{% block body %}
<p class="label">{{ c.label }} notice</p>
<h1>{{ c.title }}</h1>
{% if original %}<p class="why">This updates the alert “{{ original }}”.</p>{% endif %}
{% if follows %}<p class="why">{{ follows }}</p>{% endif %}
<table class="facts">{% for name, value in c.fields %}
<tr><td><b>{{ name }}</b></td><td>{{ value }}</td></tr>{% endfor %}
</table>
{% if c.changes %}<h2>What changed</h2><ul>{% for change in c.changes %}
<li>{{ change }}</li>{% endfor %}</ul>{% endif %}
{% if description %}<p>{{ description }}</p>{% endif %}
{% if c.reasons %}<p class="why">Why it matched: {{ c.reasons | join("; ") }}</p>{% endif %}
{% if c.also %}<p class="why">Also published at: {% for url in c.also %}
<a href="{{ url }}">{{ url }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
<p>{% if c.notice_url %}<a class="button" href="{{ c.notice_url }}">View notice</a>{% endif %}
{% if c.portal_url %}<a class="button" href="{{ c.portal_url }}">Bid on portal</a>{% endif %}</p>
{% endblock %}"""

_DIGEST = """{% extends "page" %}{% block body %}
<h1>{{ title }}</h1>
{% for entry in entries %}{% if entry.section %}<h2>{{ entry.section }}</h2>{% endif %}
<p><b>{% if entry.url %}<a href="{{ entry.url }}">{{ entry.title }}</a>
{%- else %}{{ entry.title }}{% endif %}</b><br>{{ entry.details }}</p>
{% endfor %}{% endblock %}"""

_TEXT = """{% extends "page" %}{% block body %}<p>{{ text }}</p>{% endblock %}"""

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.DictLoader(
        {"page": _PAGE, "alert": _ALERT, "digest": _DIGEST, "text": _TEXT},
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_INLINER = css_inline.CSSInliner(keep_style_tags=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailBody:
    """One message's subject and its two parts."""

    subject: str
    text: str
    html: str
    transactional: bool = False
    """A message the address asked for (a confirmation): no unsubscribe header."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    title: str
    details: str
    url: str | None
    section: str | None = None


def one_line(text: str) -> str:
    """Text on one line: no control characters, runs of whitespace (CR/LF too) as one space."""
    return " ".join(strip_unsafe(text).split())


def _html(template: str, links: list[tuple[str, str]], reason: str, **values: object) -> str:
    page = _ENVIRONMENT.get_template(template).render(
        style=STYLE, links=links, reason=reason, **values
    )
    return str(_INLINER.inline(page))


def _footer_text(links: list[tuple[str, str]], reason: str) -> str:
    lines = ["", "--", f"Sent by tenderbot because {reason}." if reason else "Sent by tenderbot."]
    lines += [f"{label}: {url}" for label, url in links]
    return "\n".join(lines) + "\n"


def _alert_text(
    content: AlertContent, description: str, original: str | None, follows: str | None
) -> str:
    lines = [f"{content.label.upper()}: {content.title}", ""]
    if original:
        lines += [f"This updates the alert “{original}”.", ""]
    if follows:
        lines += [follows, ""]
    lines += [f"{name}: {value}" for name, value in content.fields]
    if content.changes:
        lines += ["", "What changed:"] + [f"- {change}" for change in content.changes]
    if description:
        lines += ["", description]
    if content.reasons:
        lines += ["", "Why it matched: " + "; ".join(content.reasons)]
    for url in content.also:
        lines.append(f"Also published at: {url}")
    lines.append("")
    if content.notice_url:
        lines.append(f"View notice: {content.notice_url}")
    if content.portal_url:
        lines.append(f"Bid on portal: {content.portal_url}")
    return "\n".join(lines) + "\n"


def render_alert(
    alert: Alert,
    *,
    now: datetime,
    zone: ZoneInfo,
    links: list[tuple[str, str]],
    reason: str,
) -> EmailBody:
    """The message for one alert; `links` (label, URL) go in the footer."""
    content = content_of(alert, now=now, zone=zone)
    description = cut(content.description, DESCRIPTION_LIMIT)
    original = one_line(alert.previous.title) if alert.previous is not None else None
    if original == one_line(content.title):
        original = None
    first_title = original or one_line(content.title)
    subject = cut(first_title, SUBJECT_LIMIT)
    if alert.reply_to:
        subject = "Re: " + subject
    else:
        subject = f"{content.label}: {subject}" if content.label != "New" else subject
    follows = radar_reference(alert)
    html_part = _html(
        "alert",
        links,
        reason,
        c=content,
        description=description,
        original=original,
        follows=follows,
    )
    text = _alert_text(content, description, original, follows) + _footer_text(links, reason)
    return EmailBody(subject=subject, text=text, html=html_part)


def render_digest(
    digest: Digest,
    *,
    now: datetime,
    zone: ZoneInfo,
    links: list[tuple[str, str]],
    reason: str,
) -> EmailBody:
    """The message for one digest."""
    part = f" (part {digest.part} of {digest.parts})" if digest.parts > 1 else ""
    title = one_line(f"{digest.title}{part}: {len(digest.alerts)} notice(s)")
    entries = []
    for section, alerts in digest.sections():
        for number, alert in enumerate(alerts):
            name, details = digest_line(alert, now=now, zone=zone)
            why = doubt(alert)
            entries.append(
                _Entry(
                    title=name,
                    details=f"{details} · {why}" if why else details,
                    url=safe_url(alert.notice.url),
                    section=section if number == 0 else None,
                )
            )
    text = [title, ""]
    for entry in entries:
        if entry.section:
            text += ["", entry.section.upper(), ""]
        text += [entry.title, f"  {entry.details}"] + ([f"  {entry.url}"] if entry.url else [])
    body = "\n".join(text) + "\n" + _footer_text(links, reason)
    page = _html("digest", links, reason, title=title, entries=entries)
    return EmailBody(subject=cut(title, SUBJECT_LIMIT), text=body, html=page)


def render_text(subject: str, text: str) -> EmailBody:
    """A plain message (a test, an admin notice)."""
    clean = strip_unsafe(text)
    return EmailBody(
        subject=cut(one_line(subject), SUBJECT_LIMIT),
        text=clean + "\n",
        html=_html("text", [], "", text=clean),
    )
